/**
 * Muxing cost of the fragmented MP4 writer: a synthetic 1080p-like H.264 stream (25 fps, 1 s GOP:
 * SPS + PPS + an IDR of 250 KB - 1 MB, then 24 P frames of 20-40 KB, random NAL bodies), 4 GOPs,
 * pushed as access units with their NAL lists (what the depacketizer delivers) into one long-lived
 * writer, fragmented per GOP. The chunks compared with Buffer.copy are the NAL units themselves:
 * the writer's one copy of each sample (plus 4-byte length prefixes and the box headers) against a
 * plain copy of the same bytes. Outputs are consumed (length and a byte of each chunk).
 */
import { Mp4Writer } from '../src/mp4/writer.js';
import { fillRandom, xorshift32 } from './data.js';
import { consume, type BenchCase } from './harness.js';

const SPS = Buffer.from('6742c028da01e0089f97011000000300100000030320f1832a', 'hex'); // x264 1920x1080 Baseline@4.0
const PPS = Buffer.from('68ce0fc8', 'hex');

function nal(next: () => number, header: number, size: number): Uint8Array {
  const u = Buffer.allocUnsafe(size);
  u[0] = header;
  fillRandom(u.subarray(1), next);
  return u;
}

function accessUnits(gops: number): { nalus: Uint8Array[]; keyframe: boolean }[] {
  const next = xorshift32(0x1b873593);
  const aus: { nalus: Uint8Array[]; keyframe: boolean }[] = [];
  for (let g = 0; g < gops; g++) {
    aus.push({ nalus: [SPS, PPS, nal(next, 0x65, 250_000 + (next() % 750_001))], keyframe: true });
    for (let f = 1; f < 25; f++) aus.push({ nalus: [nal(next, 0x41, 20_000 + (next() % 20_001))], keyframe: false });
  }
  return aus;
}

export function cases(): BenchCase[] {
  const aus = accessUnits(4);
  const chunks = aus.flatMap((a) => a.nalus.filter((n) => n !== SPS && n !== PPS));
  // One long-lived writer per case, as in a recording: each pass pushes the next 4 GOPs (times go
  // on) and counts the fragments they complete; the init segment is written once, before timing.
  const writers = new Map<boolean, { w: Mp4Writer; out: number; t: number }>();
  const run = (transientChunks: boolean): number => {
    let s = writers.get(transientChunks);
    if (!s) {
      const state = { w: undefined as unknown as Mp4Writer, out: 0, t: 0 };
      state.w = new Mp4Writer(
        { tracks: [{ codec: 'h264', sps: SPS, pps: [PPS] }], transientChunks, mfra: false },
        {
          onChunk: (c) => {
            state.out += c.data.length;
            consume(c.data[c.data.length - 1]!);
          },
        },
      );
      writers.set(transientChunks, state);
      s = state;
    }
    const before = s.out;
    for (const au of aus) {
      s.w.push(0, { data: au.nalus[au.nalus.length - 1]!, nalus: au.nalus, keyframe: au.keyframe, time: s.t });
      s.t += 3600;
    }
    consume(s.out);
    return s.out - before;
  };
  const verify = (transient: boolean) => (): void => {
    let payload = 0;
    for (const c of chunks) payload += 4 + c.length;
    run(transient); // the init segment and the first pass (its last GOP stays pending)
    const out = run(transient);
    // A pass completes 4 fragments (the previous pass's last GOP and 3 of its own): every sample
    // byte plus its length prefix, plus a few KB of boxes.
    if (out < payload * 0.5 || out > payload + 64 * 1024) throw new Error(`fMP4 output ${out} B for ${payload} B of samples`);
  };
  return [
    // Each fragment in fresh memory (the default: chunks yours to keep): page faults bound the ratio.
    { name: 'mp4 fMP4 writer 1080p-like H.264, fragment per GOP', chunks, units: aus.length, unitName: 'frames', fn: () => void run(false), verify: verify(false) },
    // transientChunks: one reused fragment buffer (synchronous sinks): the copy itself is the limit.
    { name: 'mp4 fMP4 writer transient 1080p-like H.264, fragment per GOP', chunks, units: aus.length, unitName: 'frames', fn: () => void run(true), verify: verify(true) },
  ];
}
