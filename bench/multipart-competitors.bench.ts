/**
 * MJPEG over HTTP, camstream against the two npm MJPEG parsers most used (dev-only, measured in
 * the same run; no floors for them). Same stream for all: 200 x 100 KiB JPEG-like parts (SOI, bytes
 * without 0xFF as in byte-stuffed entropy data, EOI) with Content-Length, in 64 KiB chunks. The
 * competitors are Transform streams; their `_transform` is called directly (no stream machinery
 * overhead charged to them) and each emitted frame is counted, so a wrong frame count shows.
 */
import { createRequire } from 'node:module';
import { MultipartParser } from '../src/multipart/multipart-parser.js';
import { buildMultipart } from '../test/support/multipart-build.js';
import { jpegLike, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

const require = createRequire(import.meta.url);
const PARTS = 200;
const SIZE = 100 * 1024;

interface TransformLike {
  _transform(chunk: Buffer, enc: string, cb: (err?: unknown) => void): void;
  push(b: Buffer): boolean;
  on(ev: string, fn: (b: Buffer) => void): void;
}

/** Bodies whose bytes between SOI and EOI are 0x00..0xFE (one word each): no marker bytes inside. */
function stuffedJpegs(): Buffer[] {
  const next = xorshift32(0x2545f491);
  return jpegLike(PARTS, SIZE, (n) => {
    const b = Buffer.allocUnsafe(n);
    for (let k = 0; k < n; k++) b[k] = next() % 255;
    return b;
  });
}

export function cases(): BenchCase[] {
  const bodies = stuffedJpegs();
  const boundary = 'myboundary';
  const stream = buildMultipart(
    bodies.map((body) => ({ body, headers: [['Content-Type', 'image/jpeg']] as Array<[string, string]> })),
    { boundary, length: 'exact', ending: 'open' },
  );
  const chunks = chunked(stream) as Buffer[];
  const competitor = (name: string, make: () => TransformLike, viaEvent: boolean): BenchCase => {
    let frames = 0;
    let acc = 0;
    const run = (): void => {
      const t = make();
      const onJpeg = (b: Buffer): void => {
        frames++;
        acc += b.length;
      };
      if (viaEvent) t.on('jpeg', onJpeg);
      else
        t.push = (b: Buffer): boolean => {
          onJpeg(b);
          return true;
        };
      for (const c of chunks) t._transform(c, 'buffer', () => undefined);
    };
    return {
      name,
      chunks,
      units: PARTS,
      unitName: 'parts',
      fn: () => {
        run();
        consume(acc);
        acc = 0;
      },
      verify: () => {
        frames = 0;
        run();
        if (frames !== PARTS) throw new Error(`${name}: ${frames} frames, expected ${PARTS}`);
      },
    };
  };
  const MjpegConsumer = require('mjpeg-consumer') as new () => TransformLike;
  const Pipe2Jpeg = require('pipe2jpeg') as new () => TransformLike;
  let acc = 0;
  return [
    {
      name: 'mjpeg: camstream MultipartParser (jpeg-like, Content-Length)',
      chunks,
      units: PARTS,
      unitName: 'parts',
      fn: () => {
        const p = new MultipartParser(boundary, { part: (x) => (acc += x.body.length) });
        for (const c of chunks) p.push(c);
        p.end();
        consume(acc);
        acc = 0;
      },
    },
    competitor('mjpeg: mjpeg-consumer 2.0.0 (competitor)', () => new MjpegConsumer(), false),
    competitor('mjpeg: pipe2jpeg 0.3.0 (competitor)', () => new Pipe2Jpeg(), true),
  ];
}
