/**
 * Regression: found by the long fuzz run (CAMSTREAM_PROP_RUNS=20000) of the RtspStreamParser
 * "same under chunking" property. Garbage ending in a lone 'R' at a chunk edge (a possible start of
 * 'RTSP/') must not end the garbage run early: whole or split at any offset, the parser reports the
 * same single resync and the same frames.
 */
import { describe, expect, it } from 'vitest';
import { RtspStreamParser } from '../../src/rtsp/rtsp-parser.js';

// 0x00 'ET_PARAMETER rtsp://cam/x?a=1 RTSP/1.0' ... (a request missing its first byte, so garbage),
// then 'R SP/1.0 100 Reason' (not 'RTSP/': garbage too), then two '$' frames on channel 0.
const COUNTEREXAMPLE = Buffer.from([
  0, 69, 84, 95, 80, 65, 82, 65, 77, 69, 84, 69, 82, 32, 114, 116, 115, 112, 58, 47, 47, 99, 97, 109, 47, 120, 63, 97, 61, 49, 32, 82, 84, 83, 80, 47, 49,
  46, 48, 13, 10, 67, 83, 101, 113, 58, 32, 49, 48, 48, 48, 48, 48, 13, 10, 83, 101, 114, 118, 101, 114, 58, 32, 97, 97, 97, 97, 97, 97, 13, 10, 114,
  116, 112, 45, 105, 110, 102, 111, 58, 32, 97, 97, 97, 13, 10, 83, 101, 115, 115, 105, 111, 110, 58, 32, 97, 97, 13, 10, 67, 111, 110, 116, 101, 110,
  116, 45, 76, 101, 110, 103, 116, 104, 58, 32, 53, 13, 10, 13, 10, 0, 0, 0, 0, 0, 82, 32, 83, 80, 47, 49, 46, 48, 32, 49, 48, 48, 32, 82, 101, 97, 115,
  111, 110, 13, 10, 67, 83, 101, 113, 58, 32, 49, 48, 48, 48, 48, 48, 13, 10, 67, 111, 110, 116, 101, 110, 116, 45, 84, 121, 112, 101, 58, 32, 97, 97,
  97, 13, 10, 67, 111, 110, 116, 101, 110, 116, 45, 76, 101, 110, 103, 116, 104, 58, 32, 52, 13, 10, 13, 10, 0, 0, 0, 0, 36, 0, 0, 2, 0, 0, 36, 0, 0, 10,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

function run(bytes: Uint8Array, cuts: number[]): string[] {
  const out: string[] = [];
  const p = new RtspStreamParser({
    message: (m) => out.push(`message@${m.offset}`),
    interleaved: (ch, b) => out.push(`$${ch}:${Buffer.from(b).toString('hex')}`),
    error: (e) => out.push(`${e.code}@${e.offset}`),
  });
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(prev, c));
    prev = c;
  }
  p.end();
  return out;
}

describe('RtspStreamParser resync across chunk edges', () => {
  it('reports one resync and the same frames whole and split at every offset', () => {
    const whole = run(COUNTEREXAMPLE, []);
    expect(whole).toEqual(['RTSP_RESYNC@0', '$0:0000', '$0:00000000000000000000']);
    for (let cut = 1; cut < COUNTEREXAMPLE.length; cut++) expect(run(COUNTEREXAMPLE, [cut]), `split at ${cut}`).toEqual(whole);
  });

  it('a partial RTSP/ prefix at a chunk edge that does complete still starts a message', () => {
    const msg = Buffer.from('garbage!RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n', 'latin1');
    const whole = run(msg, []);
    expect(whole).toEqual(['RTSP_RESYNC@0', 'message@8']);
    for (let cut = 1; cut < msg.length; cut++) expect(run(msg, [cut]), `split at ${cut}`).toEqual(whole);
  });
});

describe('RtspStreamParser after MSG_HEAD_TOO_LARGE', () => {
  // A head over the cap, then 70 '$' frames: the resync starts at the first byte over the cap
  // (headStart + maxHeadSize) whatever the chunking, so every chunking yields the same frames.
  const frames: Buffer[] = [];
  for (let i = 0; i < 70; i++) frames.push(Buffer.concat([Buffer.from([0x24, 0, 0, 4]), Buffer.from([i, i, i, i])]));
  const head = Buffer.concat([Buffer.from('RTSP/1.0 200 OK\r\nX: ', 'latin1'), Buffer.alloc(3000, 0x61), Buffer.from('\r\n\r\n', 'latin1')]);
  const input = Buffer.concat([head, ...frames]);

  function runWith(chunk: number): string[] {
    const out: string[] = [];
    const p = new RtspStreamParser(
      {
        message: (m) => out.push(`message@${m.offset}`),
        interleaved: (ch, b) => out.push(`$${ch}:${Buffer.from(b).toString('hex')}`),
        error: (e) => out.push(`${e.code}@${e.offset}`),
      },
      { maxHeadSize: 2048 },
    );
    for (let i = 0; i < input.length; i += chunk) p.push(input.subarray(i, i + chunk));
    p.end();
    return out;
  }

  it('gives the same output pushed whole and in 1 KiB, 7-byte and 1-byte chunks', () => {
    const whole = runWith(input.length);
    expect(whole[0]).toBe('MSG_HEAD_TOO_LARGE@0');
    expect(whole.filter((e) => e.startsWith('$')).length).toBe(70);
    for (const chunk of [1024, 1000, 7, 1]) expect(runWith(chunk), `chunks of ${chunk}`).toEqual(whole);
  });
});
