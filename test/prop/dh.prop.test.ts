import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { PROP_RUNS, splitAt, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { muxDh, muxDhav, type MuxFrame } from '../support/dh-mux.js';
import { demux, digest } from '../dh/helpers.js';
import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../../src/dh/dhav-demuxer.js';
import { AutoDemuxer } from '../../src/dh/sniff.js';
import { ProtocolError } from '../../src/errors.js';
import type { DhEvent } from '../../src/dh/types.js';

// Seed payloads from the corpus: slices of real H.264 and G.711.
const H264 = readFileSync(new URL('../../corpus/h264-640x360-25fps.h264', import.meta.url));
const ALAW = readFileSync(new URL('../../corpus/g711a-8k.alaw', import.meta.url));

const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.nat(H264.length - 2000), fc.nat(1500)).map(([o, n]) => H264.subarray(o, o + n)),
  fc.tuple(fc.nat(ALAW.length - 400), fc.nat(320)).map(([o, n]) => ALAW.subarray(o, o + n)),
);

const frameArb: fc.Arbitrary<MuxFrame> = fc.record({
  kind: fc.constantFrom('video', 'audio', 'aux') as fc.Arbitrary<MuxFrame['kind']>,
  payload: payloadArb,
  channel: fc.nat(3),
  sequence: fc.nat(),
  utc: fc.nat(),
  utcms: fc.nat(999),
  frameType: fc.constantFrom(1, 2),
  ms: fc.nat(0xffff),
  date: fc.nat(0x7fffffff),
  pieces: fc.constantFrom(1, 1, 1, 2, 3),
}).map((f) =>
  f.kind === 'video'
    ? { ...f, videoType: 2, dhavVideoCodec: 2, width: 640, height: 360, fps: 25, pieces: f.payload.length >= f.pieces ? f.pieces : 1 }
    : f.kind === 'audio'
      ? { ...f, audioType: 8, freqIndex: 2, dhavAudioCodec: 14, pieces: 1 }
      : { ...f, pieces: 1 },
);

const streamArb = fc.record({
  frames: fc.array(frameArb, { minLength: 1, maxLength: 8 }),
  fmt: fc.constantFrom('dh', 'dhav') as fc.Arbitrary<'dh' | 'dhav'>,
  preamble: fc.boolean(),
  fileHeader: fc.boolean(),
});

function build(s: { frames: MuxFrame[]; fmt: 'dh' | 'dhav'; preamble: boolean; fileHeader: boolean }): Buffer {
  if (s.fmt === 'dh') return muxDh(s.frames, s.preamble ? { preamble: 'abc' } : {});
  return muxDhav(s.frames, { fileHeader: s.fileHeader, padAfter: new Map([[0, 33]]) });
}

describe('DH/DHAV properties', { timeout: PROP_TIMEOUT }, () => {
  it('mux -> demux round trip (DH, DHAV and auto)', async () => {
    await assertProp(
      fc.property(streamArb, (s) => {
        const bytes = build(s);
        for (const kind of [s.fmt, 'auto'] as const) {
          const r = demux(kind, [bytes]);
          expect(r.frames.map((f) => [f.kind, f.channel, f.sequence, Buffer.from(f.payload).toString('hex')])).toEqual(
            s.frames.map((f) => [f.kind, f.channel, f.sequence, Buffer.from(f.payload).toString('hex')]),
          );
          expect(r.stats.skippedBytes + r.stats.resyncs + r.stats.errors + r.stats.checksumMismatches).toBe(0);
        }
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('any chunking gives identical output (also with garbage in between)', async () => {
    await assertProp(
      fc.property(streamArb, fc.uint8Array({ maxLength: 40 }), fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }), (s, junk, cuts, mutations) => {
        const clean = build(s);
        const mid = Math.floor(clean.length / 2);
        const bytes = Buffer.concat([clean.subarray(0, mid), junk, clean.subarray(mid)]);
        for (const [at, v] of mutations) bytes[at % bytes.length] = v;
        for (const kind of [s.fmt, 'auto'] as const) {
          const whole = digest(demux(kind, [bytes]));
          const parts = splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)));
          expect(digest(demux(kind, parts))).toEqual(whole);
        }
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('split at every offset for a small stream', async () => {
    const frames: MuxFrame[] = [
      { kind: 'video', payload: H264.subarray(0, 60), videoType: 2, dhavVideoCodec: 2, frameType: 1, sequence: 1, pieces: 2 },
      { kind: 'audio', payload: ALAW.subarray(0, 40), audioType: 8, dhavAudioCodec: 14, sequence: 2 },
    ];
    for (const [kind, bytes] of [
      ['dh', muxDh(frames, { preamble: '5' })],
      ['dhav', muxDhav(frames, { fileHeader: true, padAfter: new Map([[0, 3]]) })],
    ] as const) {
      const whole = digest(demux(kind, [bytes]));
      for (let i = 1; i < bytes.length; i++) expect(digest(demux(kind, [bytes.subarray(0, i), bytes.subarray(i)]))).toEqual(whole);
    }
  });

  it('random and mutated bytes: only ProtocolError events, no throw, bounded buffering', async () => {
    const cap = 4096;
    await assertProp(
      fc.property(
        streamArb,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 20 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (s, mutations, random, cuts) => {
          const bytes = Buffer.from(build(s));
          for (const [at, v] of mutations) bytes[at % bytes.length] = v;
          for (const input of [bytes, Buffer.from(random), Buffer.concat([random, bytes])]) {
            for (const make of [
              (sink: { frame: () => void; event: (e: DhEvent) => void }) => new DhDemuxer(sink, { maxPacketSize: cap }),
              (sink: { frame: () => void; event: (e: DhEvent) => void }) => new DhavDemuxer(sink, { maxPacketSize: cap }),
              (sink: { frame: () => void; event: (e: DhEvent) => void }) => new AutoDemuxer(sink, { maxPacketSize: cap }),
            ]) {
              let frames = 0;
              const d = make({
                frame: () => void frames++,
                event: (e) => {
                  if ('error' in e) expect(e.error).toBeInstanceOf(ProtocolError);
                },
              });
              for (const c of splitAt(input, cuts.map((x) => x % (input.length + 1)))) {
                d.push(c);
                const inner = d instanceof AutoDemuxer ? (d as unknown as { inner?: { q: { length: number } } }).inner : (d as unknown as { q: { length: number } });
                // Held bytes: at most one packet (<= cap) + the following magic, or a DAHUA header.
                if (inner) expect(inner.q.length).toBeLessThanOrEqual(cap + 1024 + c.length);
              }
              d.end();
              const st = d.stats;
              expect(st.bytes).toBe(input.length);
              expect(st.frames.video + st.frames.audio + st.frames.aux).toBe(frames);
            }
          }
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });
});
