import { MultipartParser, type MultipartOptions, type MultipartPart } from '../../src/multipart/multipart-parser.js';
import type { ProtocolError } from '../../src/errors.js';

export interface ParseResult {
  parts: MultipartPart[];
  bodies: string[];
  errors: ProtocolError[];
  parser: MultipartParser;
}

/** Feeds chunks, ends, and collects everything (bodies also as latin1 for readable asserts). */
export function parseChunks(chunks: Uint8Array[], boundary: string, opts?: MultipartOptions): ParseResult {
  const parts: MultipartPart[] = [];
  const errors: ProtocolError[] = [];
  const parser = new MultipartParser(boundary, { part: (p) => parts.push({ ...p, body: Buffer.from(p.body) }), error: (e) => errors.push(e) }, opts);
  for (const c of chunks) parser.push(c);
  parser.end();
  return { parts, bodies: parts.map((p) => Buffer.from(p.body).toString('latin1')), errors, parser };
}

export function oneByteChunks(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.subarray(i, i + 1));
  return out;
}
