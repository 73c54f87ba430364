/**
 * Benchmark harness (benchmark.js). Every case is measured against a same-run `Buffer.copy` of the
 * same chunks into a preallocated buffer: the physical limit on this machine. Absolute MB/s drift
 * between machines; the ratio holds, and the gate checks ratios.
 */
import Benchmark from 'benchmark';

export interface BenchCase {
  /** Stable name; floors in bench/floors.json are keyed by it. */
  name: string;
  /** The input bytes exactly as `fn` feeds them (e.g. 64 KiB chunks). */
  chunks: Uint8Array[];
  /** Frames/packets/parts produced by one pass. */
  units: number;
  unitName: string;
  /** One full pass over `chunks`; must consume its outputs so the engine cannot drop the work. */
  fn: () => void;
  /** Optional check run once before timing: throws when the output is wrong (never tune past correctness). */
  verify?: () => void;
}

export interface BenchResult {
  name: string;
  bytes: number;
  mbps: number;
  unitsPerSec: number;
  unitName: string;
  copyMbps: number;
  ratio: number;
  rme: number;
}

export interface MeasureOptions {
  /** Seconds per measurement (benchmark.js maxTime). */
  maxTime?: number;
  /** Alternating rounds of (copy, case); the best of each is kept. */
  rounds?: number;
}

/** Sink the engine cannot see through. */
export let blackhole = 0;
export function consume(n: number): void {
  blackhole = (blackhole + n) | 0;
}

function hz(fn: () => void, maxTime: number): { hz: number; rme: number } {
  const b = new Benchmark({ fn, maxTime, minSamples: 5, initCount: 1 });
  b.run({ async: false });
  if (b.error) throw b.error;
  return { hz: b.hz, rme: b.stats.rme };
}

export function totalBytes(chunks: Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

export function copyBaseline(chunks: Uint8Array[]): () => void {
  const bufs = chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  const target = Buffer.allocUnsafe(totalBytes(chunks));
  return () => {
    let off = 0;
    for (const b of bufs) off += b.copy(target, off);
    consume(target[off - 1] ?? 0);
  };
}

export function measure(c: BenchCase, opts: MeasureOptions = {}): BenchResult {
  const maxTime = opts.maxTime ?? 1;
  const rounds = opts.rounds ?? 2;
  c.verify?.();
  const bytes = totalBytes(c.chunks);
  const copy = copyBaseline(c.chunks);
  let bestCopy = 0;
  let best = 0;
  let rme = 0;
  for (let r = 0; r < rounds; r++) {
    bestCopy = Math.max(bestCopy, hz(copy, maxTime).hz);
    const m = hz(c.fn, maxTime);
    if (m.hz > best) {
      best = m.hz;
      rme = m.rme;
    }
  }
  const mb = bytes / 1e6;
  return {
    name: c.name,
    bytes,
    mbps: best * mb,
    unitsPerSec: best * c.units,
    unitName: c.unitName,
    copyMbps: bestCopy * mb,
    ratio: best / bestCopy,
    rme,
  };
}

/** Splits bytes into chunks of `size` (views, no copy). */
export function chunked(bytes: Uint8Array, size = 64 * 1024): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}
