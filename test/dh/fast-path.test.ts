/**
 * The in-place hot path (`scan`), its chunk-edge partner (`bridge`) and the general path must give
 * the same frames, with the documented payload lifetimes, wherever the chunk edges fall; and
 * `heldFrom` must be safe for a reader that recycles its read buffers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../../src/dh/dhav-demuxer.js';
import { AutoDemuxer } from '../../src/dh/sniff.js';
import type { DhFrame } from '../../src/dh/types.js';
import { dhavPackets, dhPacket, muxDh, muxDhav, type MuxFrame } from '../support/dh-mux.js';
import { PROP_RUNS, splitAt } from '../support/prop.js';
import { demux, digest } from './helpers.js';

/** Payloads over Node's 4 KiB pool threshold, so an exact copy owns its whole ArrayBuffer. */
const BIG = 5000;
const fill = (n: number, v: number): Buffer => Buffer.alloc(n, v);
const frames: MuxFrame[] = [
  { kind: 'video', payload: fill(BIG, 1), sequence: 1, videoType: 2, dhavVideoCodec: 2, frameType: 1, width: 640, height: 360, fps: 25 },
  { kind: 'audio', payload: fill(320, 2), sequence: 2, audioType: 8, dhavAudioCodec: 14 },
  { kind: 'video', payload: fill(BIG + 7, 3), sequence: 3, videoType: 2, frameType: 2 },
  { kind: 'video', payload: fill(BIG + 11, 4), sequence: 4, videoType: 2, frameType: 2 },
];

const streams = [
  { kind: 'dh' as const, bytes: muxDh(frames), sizes: frames.map((f) => dhPacket(f).length), tail: 0, ext: (f: MuxFrame) => dhPacket(f).length - f.payload.length },
  {
    kind: 'dhav' as const,
    bytes: muxDhav(frames),
    sizes: frames.map((f) => dhavPackets(f)[0]!.length),
    tail: 8,
    ext: (f: MuxFrame) => dhavPackets(f)[0]!.length - f.payload.length - 8,
  },
];

describe('hot path: payload lifetime at every chunk edge', () => {
  for (const s of streams) {
    it(`${s.kind}: a view when the payload lies in one chunk, else one exact-size copy`, () => {
      const before = Buffer.from(s.bytes);
      const whole = demux(s.kind, [s.bytes]);
      expect(whole.frames).toHaveLength(frames.length);
      for (const f of whole.frames) expect(f.payload.buffer).toBe(s.bytes.buffer);
      // Payload ranges in the stream, to tell where each one lies.
      const ranges: [number, number][] = [];
      let at = 0;
      frames.forEach((f, i) => {
        const p = at + s.ext(f);
        ranges.push([p, p + f.payload.length]);
        at += s.sizes[i]!;
      });
      for (let cut = 1; cut < s.bytes.length; cut += 7) {
        const r = demux(s.kind, [s.bytes.subarray(0, cut), s.bytes.subarray(cut)]);
        expect(digest(r)).toEqual(digest(whole));
        r.frames.forEach((f, i) => {
          const [a, b] = ranges[i]!;
          if (cut <= a || cut >= b) expect(f.payload.buffer).toBe(s.bytes.buffer);
          else {
            expect(f.payload.buffer).not.toBe(s.bytes.buffer);
            if (f.payload.length > 4096) expect(f.payload.buffer.byteLength).toBe(f.payload.length);
          }
          expect(f.payload.every((x) => x === frames[i]!.payload[0])).toBe(true);
        });
      }
      expect(s.bytes.equals(before)).toBe(true);
    });

    it(`${s.kind}: transient mode assembles straddling payloads in one reused buffer`, () => {
      // Two cuts inside two different payloads.
      const cuts = [s.sizes[0]! - 100, s.sizes[0]! + s.sizes[1]! + s.sizes[2]! - 100];
      const seen: { buffer: ArrayBufferLike; ok: boolean }[] = [];
      const sink = { frame: (f: DhFrame) => seen.push({ buffer: f.payload.buffer, ok: f.payload.every((x) => x === f.payload[0]) && f.payload.length > 0 }) };
      const d = s.kind === 'dh' ? new DhDemuxer(sink, { transientPayload: true }) : new DhavDemuxer(sink, { transientPayload: true });
      for (const c of splitAt(s.bytes, cuts)) d.push(c);
      d.end();
      expect(seen.map((x) => x.ok)).toEqual([true, true, true, true]);
      expect(seen[0]!.buffer).not.toBe(s.bytes.buffer);
      expect(seen[2]!.buffer).toBe(seen[0]!.buffer);
      expect(seen[1]!.buffer).toBe(s.bytes.buffer);
      expect(seen[3]!.buffer).toBe(s.bytes.buffer);
    });

    it(`${s.kind}: packets ending exactly at chunk ends are all views`, () => {
      const cuts: number[] = [];
      let at = 0;
      for (const n of s.sizes) cuts.push((at += n));
      const r = demux(s.kind, splitAt(s.bytes, cuts));
      expect(digest(r)).toEqual(digest(demux(s.kind, [s.bytes])));
      for (const f of r.frames) expect(f.payload.buffer).toBe(s.bytes.buffer);
    });

    it(`${s.kind}: plain Uint8Array chunks at an offset in a larger ArrayBuffer`, () => {
      const ab = new ArrayBuffer(s.bytes.length + 13);
      const u8 = new Uint8Array(ab, 13, s.bytes.length);
      u8.set(s.bytes);
      for (const cuts of [[], [30], [s.sizes[0]!], [10, 4000, 5100, 9000]]) {
        const r = demux(s.kind, splitAt(u8, cuts));
        expect(digest(r)).toEqual(digest(demux(s.kind, [s.bytes])));
      }
    });
  }

  it('DHAV: header, extensions and trailer straddling edges, one byte chunks', () => {
    const s = streams[1]!;
    const whole = digest(demux('dhav', [s.bytes]));
    const p0 = s.sizes[0]!;
    // Inside the header, at the header/extension edge, inside the trailer, right after it.
    for (const cut of [p0 + 3, p0 + 24, p0 + s.sizes[1]! - 5, p0 + s.sizes[1]!]) {
      expect(digest(demux('dhav', [s.bytes.subarray(0, cut), s.bytes.subarray(cut)]))).toEqual(whole);
    }
    const ones: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) ones.push(s.bytes.subarray(i, i + 1));
    ones.push(s.bytes.subarray(400));
    expect(digest(demux('dhav', ones))).toEqual(whole);
  });
});

describe('heldFrom: a reader may recycle chunks that lie before it', () => {
  const frameArb = fc.record({
    kind: fc.constantFrom('video', 'audio') as fc.Arbitrary<'video' | 'audio'>,
    size: fc.integer({ min: 1, max: 3000 }),
    pieces: fc.constantFrom(1, 1, 2, 3),
  });
  it('overwriting released chunks never changes the output (transient mode, DH/DHAV/auto)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.constantFrom('dh', 'dhav', 'auto'), fc.array(fc.nat(), { maxLength: 12 }), (spec, kind, cuts) => {
        let v = 0;
        const fs: MuxFrame[] = spec.map((x, i) => {
          const payload = Buffer.alloc(x.size);
          for (let k = 0; k < payload.length; k++) payload[k] = (v = (v * 31 + 7 + i) & 0xff);
          return x.kind === 'video'
            ? { kind: 'video', payload, sequence: i, videoType: 2, dhavVideoCodec: 2, frameType: 2, pieces: Math.min(x.pieces, x.size) }
            : { kind: 'audio', payload, sequence: i, audioType: 8, dhavAudioCodec: 14 };
        });
        const bytes = kind === 'dh' ? muxDh(fs, { preamble: '9' }) : muxDhav(fs, { fileHeader: true, padAfter: new Map([[0, 5]]) });
        const expected = fs.map((f) => Buffer.from(f.payload).toString('hex'));
        const got: string[] = [];
        const sink = { frame: (f: DhFrame) => got.push(Buffer.from(f.payload).toString('hex')) };
        const d = kind === 'dh' ? new DhDemuxer(sink, { transientPayload: true }) : kind === 'dhav' ? new DhavDemuxer(sink, { transientPayload: true }) : new AutoDemuxer(sink, { transientPayload: true });
        // Each chunk is a private copy, scribbled over once the demuxer releases it.
        const live: { buf: Uint8Array; end: number }[] = [];
        let pos = 0;
        for (const part of splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)))) {
          const buf = Uint8Array.from(part);
          pos += buf.length;
          live.push({ buf, end: pos });
          d.push(buf);
          while (live.length > 0 && live[0]!.end <= d.heldFrom) live.shift()!.buf.fill(0xaa);
        }
        d.end();
        expect(got).toEqual(expected);
        expect(d.heldFrom).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: PROP_RUNS },
    );
  });
});
