import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Mp4Writer } from '../../src/mp4/writer.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { lengthPrefixedNalus, readMp4 } from '../support/mp4-reader.js';
import { AAC_CONFIG, MemoryFile } from './support.js';

const RUNS = Number(process.env.PROP_RUNS ?? 40);
const src = loadH264();

/** A slice NAL of `size` bytes: IDR (5) or non-IDR (1), random body. */
function slice(idr: boolean, body: Uint8Array): Uint8Array {
  const n = new Uint8Array(body.length + 1);
  n[0] = idr ? 0x65 : 0x41;
  n.set(body, 1);
  return n;
}

const frameArb = fc.record({
  slices: fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { minLength: 1, maxLength: 3 }),
  duration: fc.integer({ min: 1, max: 9000 }),
});
const gopArb = fc.array(frameArb, { minLength: 1, maxLength: 12 });
const audioArb = fc.array(fc.record({ size: fc.integer({ min: 1, max: 600 }), duration: fc.integer({ min: 1, max: 2048 }) }), { maxLength: 60 });

describe('Mp4Writer round trip (fast-check)', () => {
  it('sizes, durations, sync flags, bytes and times read back as written, for random GOPs, sizes and fragmenting', () => {
    fc.assert(
      fc.property(fc.array(gopArb, { minLength: 1, maxLength: 5 }), audioArb, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 8000 }), fc.boolean(), (gops, audio, fragMs, maxMs, tables) => {
        const mem = new MemoryFile();
        const w = new Mp4Writer({ tracks: [{ codec: 'h264', sps: src.sps, pps: [src.pps] }, { codec: 'aac', config: AAC_CONFIG }], fragmentDurationMs: fragMs, maxFragmentDurationMs: maxMs, sampleTables: tables }, mem);
        const video: { nalus: Uint8Array[]; time: number; duration: number; sync: boolean }[] = [];
        let t = 0;
        for (const gop of gops) {
          gop.forEach((f, i) => {
            video.push({ nalus: f.slices.map((b) => slice(i === 0, b)), time: t, duration: f.duration, sync: i === 0 });
            t += f.duration;
          });
        }
        // Audio at 16 kHz, spread over the video's span, interleaved by time.
        const aud: { data: Uint8Array; time: number; duration: number }[] = [];
        let at = 0;
        for (const a of audio) {
          aud.push({ data: new Uint8Array(a.size).fill(a.size & 0xff), time: at, duration: a.duration });
          at += a.duration;
        }
        const events = [
          ...video.map((v, i) => ({ sec: v.time / 90000, push: () => w.push(0, { data: v.nalus[0]!, nalus: v.nalus, keyframe: v.sync, time: v.time, duration: v.duration }), i })),
          ...aud.map((a, i) => ({ sec: a.time / 16000, push: () => w.push(1, { data: a.data, keyframe: true, time: a.time, duration: a.duration }), i })),
        ].sort((x, y) => x.sec - y.sec);
        for (const e of events) e.push();
        w.close();
        expect(mem.errors).toEqual([]);
        const file = mem.bytes();
        const check = (bytes: Uint8Array): void => {
          const m = readMp4(bytes);
          const [rv, ra] = m.tracks;
          expect(rv!.samples.map((s) => [s.time, s.duration, s.sync])).toEqual(video.map((v) => [v.time, v.duration, v.sync]));
          rv!.samples.forEach((s, i) => {
            const got = lengthPrefixedNalus(s.data);
            expect(got.length).toBe(video[i]!.nalus.length);
            got.forEach((n, k) => expect(Buffer.compare(n, video[i]!.nalus[k]!)).toBe(0));
          });
          // Audio: every sample at or after the video's start (0) is kept, in order, with its bytes.
          expect(ra!.samples.map((s) => [s.time, s.size, s.duration])).toEqual(aud.map((a) => [a.time, a.data.length, a.duration]));
        };
        check(file);
        if (tables) {
          const plan = w.faststart();
          check(new Uint8Array(Buffer.concat([plan.head, ...plan.ranges.map((r) => file.subarray(r.offset, r.offset + r.length))])));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
