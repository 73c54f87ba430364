/**
 * The `interleavedRange` sink's lifetime promise: a range is valid until the next push. Frames that
 * straddle chunks are gathered in reused buffers, so this checks every pair of cut points over three
 * small frames, reading each range only when its push has returned: a frame completed at the start of
 * a chunk must not be overwritten by the next frame that starts filling before that push ends.
 */
import { describe, expect, it } from 'vitest';
import { RtspStreamParser } from '../../src/rtsp/rtsp-parser.js';

const frames = [
  Buffer.from([0x24, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  Buffer.from([0x24, 1, 0, 7, 11, 12, 13, 14, 15, 16, 17]),
  Buffer.from([0x24, 2, 0, 12, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32]),
];
const bytes = Buffer.concat(frames);
const want = frames.map((f) => `${f[1]}:${f.subarray(4).toString('hex')}`);

function run(cuts: number[]): string[] {
  const got: string[] = [];
  let pending: Array<[number, Uint8Array, number, number]> = [];
  const p = new RtspStreamParser({
    message: () => undefined,
    interleaved: (ch, b) => got.push(`${ch}:${Buffer.from(b).toString('hex')}`),
    interleavedRange: (ch, buf, s, e) => pending.push([ch, buf, s, e]),
    error: (e) => got.push(`error ${e.code}`),
  });
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(prev, c));
    prev = c;
    for (const [ch, buf, s, e] of pending) got.push(`${ch}:${Buffer.from(buf.subarray(s, e)).toString('hex')}`);
    pending = [];
  }
  p.end();
  return got;
}

describe('RtspStreamParser interleavedRange lifetime', () => {
  it('ranges stay intact until the next push, for every pair of cut points', () => {
    for (let i = 1; i < bytes.length; i++) {
      expect(run([i]), `cut ${i}`).toEqual(want);
      for (let j = i + 1; j < bytes.length; j++) expect(run([i, j]), `cuts ${i},${j}`).toEqual(want);
    }
  });
});
