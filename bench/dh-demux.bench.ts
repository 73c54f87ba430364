/** DH and DHAV demux: 4 Mbit/s, 25 fps, 1 s GOP (I ~80 KB, P ~17 KB) + G.711 audio, 10 s, 64 KiB chunks. */
import { DhDemuxer } from '../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../src/dh/dhav-demuxer.js';
import type { DhFrame } from '../src/dh/types.js';
import { muxDh, muxDhav, type MuxFrame } from '../test/support/dh-mux.js';
import { randomBytes, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

function frames(): MuxFrame[] {
  const next = xorshift32(12345);
  const rnd = (n: number): Buffer => randomBytes(n, next);
  const out: MuxFrame[] = [];
  for (let i = 0; i < 250; i++) {
    const key = i % 25 === 0;
    const size = key ? 60_000 + ((i * 7919) % 40_000) : 15_000 + ((i * 104729) % 5_000);
    out.push({ kind: 'video', payload: rnd(size), sequence: i, frameType: key ? 1 : 2, videoType: 2, width: 1280, height: 720, fps: 25,
      dhavVideoCodec: key ? 2 : undefined, utc: 1_700_000_000 + Math.floor(i / 25), utcms: (i % 25) * 40, ms: i * 40 });
    out.push({ kind: 'audio', payload: rnd(320), sequence: i, audioType: 8, freqIndex: 2, dhavAudioCodec: 14, ms: i * 40 });
  }
  return out;
}

function bench(name: string, bytes: Buffer, make: (sink: { frame: (f: DhFrame) => void }) => { push(c: Uint8Array): void; end(): void }, units: number): BenchCase {
  const chunks = chunked(bytes);
  let n = 0;
  let acc = 0;
  const sink = {
    frame: (f: DhFrame) => {
      n++;
      acc += f.payload.length + f.payload[f.payload.length >> 1]!;
    },
  };
  const fn = (): void => {
    const d = make(sink);
    for (const c of chunks) d.push(c);
    d.end();
    consume(acc);
  };
  return {
    name,
    chunks,
    units,
    unitName: 'frames',
    fn,
    verify: () => {
      n = 0;
      fn();
      if (n !== units) throw new Error(`${name}: ${n} frames, expected ${units}`);
    },
  };
}

export function cases(): BenchCase[] {
  const fs = frames();
  return [
    bench('dh-demux DH 4 Mbit/s 25 fps (64 KiB chunks)', muxDh(fs), (s) => new DhDemuxer(s), fs.length),
    bench('dh-demux DHAV 4 Mbit/s 25 fps (64 KiB chunks)', muxDhav(fs), (s) => new DhavDemuxer(s), fs.length),
    bench('dh-demux DH transient 4 Mbit/s 25 fps (64 KiB chunks)', muxDh(fs), (s) => new DhDemuxer(s, { transientPayload: true }), fs.length),
    bench('dh-demux DHAV transient 4 Mbit/s 25 fps (64 KiB chunks)', muxDhav(fs), (s) => new DhavDemuxer(s, { transientPayload: true }), fs.length),
  ];
}
