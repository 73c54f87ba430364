/**
 * RTSP interleaved de-framing (RFC 2326 §10.12): 8 MiB of '$' frames (1400-byte RTP-sized payloads,
 * one RTSP message every 1000 frames) fed in 64 KiB chunks. Frames inside a chunk are views; only
 * frames straddling a chunk edge are copied once.
 */
import { RtspStreamParser } from '../src/rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeResponse } from '../src/rtsp/encode.js';
import { chunked, consume, type BenchCase } from './harness.js';

export function cases(): BenchCase[] {
  const parts: Buffer[] = [];
  const payload = Buffer.alloc(1400);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
  let size = 0;
  let frames = 0;
  let messages = 0;
  while (size < 8 * 1024 * 1024) {
    const unit = frames % 1000 === 999 ? encodeResponse(200, 'OK', { CSeq: messages + 1, Session: '12345678' }) : encodeInterleaved(frames & 1, payload);
    if (frames % 1000 === 999) messages++;
    parts.push(unit);
    size += unit.length;
    frames++;
  }
  const chunks = chunked(Buffer.concat(parts));
  const expectFrames = frames - messages;
  let got = 0;
  let acc = 0;
  const parser = new RtspStreamParser({
    message: () => {
      acc++;
    },
    interleaved: (_ch, p) => {
      got++;
      acc += p[0]!;
    },
    error: (e) => {
      throw e;
    },
  });
  let gotRange = 0;
  const rangeParser = new RtspStreamParser({
    message: () => {
      acc++;
    },
    interleaved: (_ch, p) => {
      gotRange++;
      acc += p[0]!;
    },
    interleavedRange: (_ch, buf, start) => {
      gotRange++;
      acc += buf[start]!;
    },
    error: (e) => {
      throw e;
    },
  });
  return [
    {
      name: 'rtsp interleaved 1400 B frames as ranges (interleavedRange, 64 KiB chunks)',
      chunks,
      units: expectFrames,
      unitName: 'frames',
      fn: () => {
        for (const c of chunks) rangeParser.push(c);
        consume(acc);
      },
      verify: () => {
        gotRange = 0;
        for (const c of chunks) rangeParser.push(c);
        rangeParser.end();
        if (gotRange !== expectFrames) throw new Error(`expected ${expectFrames} frames, got ${gotRange}`);
      },
    },
    {
      name: 'rtsp interleaved 1400 B frames (64 KiB chunks)',
      chunks,
      units: expectFrames,
      unitName: 'frames',
      fn: () => {
        for (const c of chunks) parser.push(c);
        consume(acc);
      },
      verify: () => {
        got = 0;
        for (const c of chunks) parser.push(c);
        parser.end();
        if (got !== expectFrames) throw new Error(`expected ${expectFrames} frames, got ${got}`);
      },
    },
  ];
}
