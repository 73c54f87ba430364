/**
 * Linear in bytes whatever the chunking: the inputs of test/prop/linear-work.prop.test.ts at the caps,
 * fed ONE BYTE PER PUSH (a peer sending one byte per TCP segment): a 1 MiB MJPEG part without
 * Content-Length (the multipart scanning path) and 1 MiB of garbage before the first DH packet (the
 * auto demuxer's sniffing stage, whose limit is 1 MiB). The baseline is the same-run Buffer.copy of
 * the same 1-byte chunks, so the ratio compares per-push costs; a quadratic parser (walking its chunk
 * list from the start per read) ran these in minutes, i.e. a ratio near 0. The same inputs in 64 KiB
 * chunks are measured alongside for the per-byte overhead of tiny chunks.
 */
import { MultipartParser } from '../src/multipart/multipart-parser.js';
import { AutoDemuxer } from '../src/dh/sniff.js';
import { muxDh } from '../test/support/dh-mux.js';
import { randomBytes, xorshift32 } from './data.js';
import { chunked, consume, type BenchCase } from './harness.js';

const SIZE = 1024 * 1024;

function multipartStream(): Buffer {
  const body = randomBytes(SIZE, xorshift32(77));
  const near = Buffer.from('\r\n--myboundar', 'latin1'); // near misses keep the delimiter search busy
  for (let i = 0; i + near.length < SIZE; i += 4093) {
    near.copy(body, i);
    body[i + near.length] = 0x58; // 'X': never completes the boundary
  }
  return Buffer.concat([Buffer.from('--myboundary\r\nContent-Type: image/jpeg\r\n\r\n'), body, Buffer.from('\r\n--myboundary\r\n')]);
}

function dhStream(): Buffer {
  const junk = Buffer.alloc(SIZE - 2048, 0x44 /* 'D': a magic candidate at every byte */);
  return Buffer.concat([junk, muxDh([{ kind: 'video', payload: Buffer.alloc(1000, 1), videoType: 2, frameType: 1, sequence: 1 }])]);
}

function multipartCase(name: string, chunks: Uint8Array[]): BenchCase {
  let acc = 0;
  const run = (): number => {
    let got = 0;
    const p = new MultipartParser('myboundary', { part: (x) => void (got += x.body.length) }, { maxPartSize: SIZE });
    for (const c of chunks) p.push(c);
    p.end();
    return got;
  };
  return {
    name,
    chunks,
    units: 1,
    unitName: 'parts',
    fn: () => {
      acc += run();
      consume(acc);
    },
    verify: () => {
      if (run() !== SIZE) throw new Error(`${name}: wrong part size`);
    },
  };
}

function dhCase(name: string, chunks: Uint8Array[]): BenchCase {
  const run = (): number => {
    let n = 0;
    const d = new AutoDemuxer({ frame: () => void n++ });
    for (const c of chunks) d.push(c);
    d.end();
    return n;
  };
  return {
    name,
    chunks,
    units: 1,
    unitName: 'frames',
    fn: () => consume(run()),
    verify: () => {
      if (run() !== 1) throw new Error(`${name}: frame lost`);
    },
  };
}

function ones(b: Buffer): Uint8Array[] {
  const out: Uint8Array[] = new Array<Uint8Array>(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.subarray(i, i + 1);
  return out;
}

export function cases(): BenchCase[] {
  const mp = multipartStream();
  const dh = dhStream();
  return [
    multipartCase('chunking: multipart 1 MiB part, no Content-Length, 1-byte chunks', ones(mp)),
    multipartCase('chunking: multipart 1 MiB part, no Content-Length, 64 KiB chunks', chunked(mp)),
    dhCase('chunking: DH sniffing 1 MiB before the first packet, 1-byte chunks', ones(dh)),
    dhCase('chunking: DH sniffing 1 MiB before the first packet, 64 KiB chunks', chunked(dh)),
  ];
}
