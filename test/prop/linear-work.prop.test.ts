/**
 * Every ByteQueue-based parser stays linear in bytes whatever the chunking: one byte per push, at the
 * caps, costs work proportional to the bytes, not to bytes x chunks. Work is counted (chunk visits in
 * the queue, `ByteQueue.work`), never timed. bench/chunking.bench.ts measures the same inputs for speed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ByteQueue } from '../../src/bytes/byte-queue.js';
import { MultipartParser } from '../../src/multipart/multipart-parser.js';
import { AutoDemuxer } from '../../src/dh/sniff.js';
import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../../src/dh/dhav-demuxer.js';
import { muxDh, muxDhav } from '../support/dh-mux.js';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';

/** Work units allowed per byte pushed (the constant of the linear bound). */
const PER_BYTE = 12;
/** Sizes for the 1-byte-chunk runs: the parsers' real caps in long runs, smaller by default. */
const LONG = PROP_RUNS > 100;
/** Millions of pushes at the real caps in long runs: a generous bound on a hang, not a speed test. */
const CAP_TIMEOUT = LONG ? 20 * 60_000 : undefined;

function queueWork(x: unknown): number {
  const o = x as { q?: ByteQueue; inner?: { q: ByteQueue } };
  return (o.q?.work ?? 0) + (o.inner?.q.work ?? 0);
}

function feedBytewise(p: { push(c: Uint8Array): void; end(): void }, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1));
  p.end();
}

/** The same, yielding to the event loop every 256 Ki pushes (millions of pushes at the real caps). */
async function feedBytewiseYielding(p: { push(c: Uint8Array): void; end(): void }, bytes: Uint8Array): Promise<void> {
  for (let i = 0; i < bytes.length; i++) {
    p.push(bytes.subarray(i, i + 1));
    if ((i & 0x3ffff) === 0x3ffff) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  p.end();
}

/** A body that keeps the delimiter search busy: near-miss prefixes of the boundary between random bytes. */
function nearMisses(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  const miss = Buffer.from('\r\n--myboundar', 'latin1');
  for (let i = 0; i + miss.length < n; i += 97) {
    miss.copy(b, i);
    b[i + miss.length] = 0x58; // 'X': never completes the boundary, however long the body
  }
  return b;
}

describe('linear work under 1-byte chunks', { timeout: PROP_TIMEOUT }, () => {
  it('multipart: a part without Content-Length at the part cap, 1 byte per push', async () => {
    const size = LONG ? 16 * 1024 * 1024 : 256 * 1024;
    const body = nearMisses(size, 7);
    const stream = Buffer.concat([Buffer.from('--myboundary\r\nContent-Type: image/jpeg\r\n\r\n'), body, Buffer.from('\r\n--myboundary--\r\n')]);
    let got = 0;
    const p = new MultipartParser('myboundary', { part: (x) => void (got = x.body.length) }, { maxPartSize: size });
    await feedBytewiseYielding(p, stream);
    expect(got).toBe(size);
    expect(queueWork(p)).toBeLessThanOrEqual(PER_BYTE * stream.length);
  }, CAP_TIMEOUT);

  it('multipart: random bodies and header noise, any part size, 1 byte per push', async () => {
    await assertProp(
      fc.property(fc.array(fc.tuple(fc.nat(4000), fc.integer()), { minLength: 1, maxLength: 5 }), fc.boolean(), (parts, withLength) => {
        const pieces: Buffer[] = [];
        for (const [n, seed] of parts) {
          const body = nearMisses(n, seed);
          pieces.push(Buffer.from(`--myboundary\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${n}\r\n` : ''}\r\n`), body, Buffer.from('\r\n'));
        }
        pieces.push(Buffer.from('--myboundary--\r\n'));
        const stream = Buffer.concat(pieces);
        let count = 0;
        const p = new MultipartParser('myboundary', { part: () => void count++ });
        feedBytewise(p, stream);
        expect(count).toBe(parts.length);
        expect(queueWork(p)).toBeLessThanOrEqual(PER_BYTE * stream.length);
      }),
      { numRuns: Math.min(PROP_RUNS, 200) },
    );
  });

  it('DH/DHAV sniffing: garbage up to the sniff limit before the first packet, 1 byte per push', async () => {
    // Up to just below the sniff limit (1 MiB): past it the demuxer settles on DH by rule.
    const junk = Buffer.alloc(LONG ? 1024 * 1024 - 4096 : 128 * 1024, 0x44 /* 'D': a magic candidate at every byte */);
    const frames = [{ kind: 'video' as const, payload: Buffer.alloc(1000, 1), videoType: 2, dhavVideoCodec: 2, frameType: 1, sequence: 1 }];
    for (const packets of [muxDh(frames), muxDhav(frames)]) {
      const stream = Buffer.concat([junk, packets]);
      let count = 0;
      const d = new AutoDemuxer({ frame: () => void count++ });
      await feedBytewiseYielding(d, stream);
      expect(count).toBe(1);
      expect(queueWork(d)).toBeLessThanOrEqual(PER_BYTE * stream.length);
    }
  }, CAP_TIMEOUT);

  it('DH/DHAV: a packet at the packet cap and hunting through garbage, 1 byte per push', async () => {
    const cap = LONG ? 8 * 1024 * 1024 : 256 * 1024;
    const frames = [
      { kind: 'video' as const, payload: Buffer.alloc(cap - 64, 1), videoType: 2, dhavVideoCodec: 2, frameType: 1, sequence: 1 },
      { kind: 'audio' as const, payload: Buffer.alloc(100, 2), audioType: 8, dhavAudioCodec: 14, sequence: 2 },
    ];
    let count = 0;
    for (const [make, mux] of [
      [() => new DhDemuxer({ frame: () => void count++ }, { maxPacketSize: cap }), muxDh],
      [() => new DhavDemuxer({ frame: () => void count++ }, { maxPacketSize: cap }), muxDhav],
    ] as const) {
      const good = mux(frames);
      // Garbage of near-miss magics between two copies of the stream.
      const stream = Buffer.concat([good, Buffer.from('DHDHDHAVDHAV'.repeat(2000), 'latin1'), good]);
      count = 0;
      const d = make();
      await feedBytewiseYielding(d, stream);
      expect(count).toBe(4);
      expect(queueWork(d)).toBeLessThanOrEqual(PER_BYTE * stream.length);
    }
  }, CAP_TIMEOUT);
});
