/**
 * multipart/x-mixed-replace: 200 x 100 KiB 'JPEG' parts (FFD8 ... FFD9, random bytes between) fed in
 * 64 KiB chunks; one stream with Content-Length (skip by length, then verify the delimiter), one
 * without (short-prefix native search). Targets: >= 0.7 and >= 0.35 of Buffer.copy. Each part
 * spans chunks, so each is one copy: into fresh exact-size memory (default, cold pages) or into a reused
 * scratch buffer (`transientBodies`).
 */
import { MultipartParser, type MultipartPart } from '../src/multipart/multipart-parser.js';
import { buildMultipart } from '../test/support/multipart-build.js';
import { jpegLike, randomBytes, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

const PARTS = 200;
const SIZE = 100 * 1024;

function jpegs(): Buffer[] {
  const next = xorshift32(0x9e3779b9);
  return jpegLike(PARTS, SIZE, (n) => randomBytes(n, next));
}

function oneCase(name: string, length: 'exact' | 'none', bodies: Buffer[], transientBodies = false): BenchCase {
  const boundary = 'myboundary';
  const stream = buildMultipart(
    bodies.map((body) => ({ body, headers: [['Content-Type', 'image/jpeg']] as Array<[string, string]> })),
    { boundary, length, ending: 'open' },
  );
  const chunks = chunked(stream);
  let acc = 0;
  const sink = {
    part(p: MultipartPart): void {
      acc += p.body.length + p.body[p.body.length - 1]!;
    },
  };
  return {
    name,
    chunks,
    units: PARTS,
    unitName: 'parts',
    fn: () => {
      const p = new MultipartParser(boundary, sink, { transientBodies });
      for (const c of chunks) p.push(c);
      p.end();
      consume(acc);
      acc = 0;
    },
    verify: () => {
      const got: Uint8Array[] = [];
      const p = new MultipartParser(boundary, { part: (x) => got.push(Buffer.from(x.body)) }, { transientBodies });
      for (const c of chunks) p.push(c);
      p.end();
      if (got.length !== PARTS) throw new Error(`${name}: ${got.length} parts`);
      for (let i = 0; i < PARTS; i++) if (!Buffer.from(got[i]!).equals(bodies[i]!)) throw new Error(`${name}: part ${i} differs`);
    },
  };
}

export function cases(): BenchCase[] {
  const bodies = jpegs();
  return [
    oneCase('multipart 200 x 100 KiB Content-Length (64 KiB chunks)', 'exact', bodies),
    oneCase('multipart 200 x 100 KiB scanning (64 KiB chunks)', 'none', bodies),
    // Bodies assembled in a reused scratch buffer (valid during part() only): no fresh memory per part.
    oneCase('multipart 200 x 100 KiB Content-Length transient (64 KiB chunks)', 'exact', bodies, true),
    oneCase('multipart 200 x 100 KiB scanning transient (64 KiB chunks)', 'none', bodies, true),
  ];
}
