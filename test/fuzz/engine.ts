/**
 * The fuzz engine: structure-aware mutations of a target's seeds and the three oracles.
 *
 * Mutations (one to four per case): bit flips, random byte inserts, deletes, length-field corruption
 * (0, 1, max, off by one, huge), truncation, splices with another seed, duplicated ranges, and two
 * structured ones whose damage is confined: bytes changed inside one unit's payload, and garbage
 * inserted between two units. Every case is also fed in random chunks and (when small) 1 byte at a time.
 *
 * Oracles:
 * 1. only ProtocolErrors are thrown or reported (`crash`);
 * 2. the outcome is identical however the bytes are chunked (`chunking`);
 * 3. a unit whose bytes arrived intact is delivered (`lost`): checked after structured mutations,
 *    against the units the clean seed produced.
 */
import type { Outcome, Seed, Target } from './targets.js';

export type FindingKind = 'crash' | 'chunking' | 'lost';

export interface Finding {
  kind: FindingKind;
  target: string;
  detail: string;
  input: Uint8Array;
  /** The cut points of the chunking that disagreed (chunking findings). */
  cuts?: number[];
}

/** Small deterministic PRNG (xorshift32): a campaign is reproducible from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

export interface Case {
  input: Buffer;
  /** Expected unit keys that must be delivered (intact oracle), when the mutation was confined. */
  expect?: string[];
}

const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0xffffffff];

function writeLength(b: Buffer, at: number, size: 1 | 2 | 4, be: boolean, v: number): void {
  if (at + size > b.length) return;
  v >>>= 0;
  if (size === 1) b[at] = v & 0xff;
  else if (size === 2) be ? b.writeUInt16BE(v & 0xffff, at) : b.writeUInt16LE(v & 0xffff, at);
  else be ? b.writeUInt32BE(v, at) : b.writeUInt32LE(v, at);
}

function readLength(b: Uint8Array, at: number, size: 1 | 2 | 4, be: boolean): number {
  const v = Buffer.from(b.buffer, b.byteOffset, b.length);
  if (at + size > v.length) return 0;
  return size === 1 ? v[at]! : size === 2 ? (be ? v.readUInt16BE(at) : v.readUInt16LE(at)) : be ? v.readUInt32BE(at) : v.readUInt32LE(at);
}

/** One flat (unstructured) mutation. */
function flat(rng: Rng, b: Buffer, seed: Seed, others: Seed[]): Buffer {
  const n = b.length;
  switch (rng.int(8)) {
    case 0: {
      // bit flips
      const out = Buffer.from(b);
      for (let k = 1 + rng.int(4); k > 0 && n > 0; k--) {
        const i = rng.int(n);
        out[i] = out[i]! ^ (1 << rng.int(8));
      }
      return out;
    }
    case 1: {
      const at = rng.int(n + 1);
      return Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(32)), b.subarray(at)]);
    }
    case 2: {
      const at = rng.int(n + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + 1 + rng.int(64)))]);
    }
    case 3: {
      // length-field corruption
      const u = seed.units.length > 0 ? seed.units[rng.int(seed.units.length)]! : undefined;
      const f = u?.lengths.length ? u.lengths[rng.int(u.lengths.length)]! : undefined;
      if (f === undefined) return flat(rng, b, seed, others);
      const out = Buffer.from(b);
      const [at, size, be] = f;
      const old = readLength(b, at, size, be);
      const choices = [...INTERESTING, old + 1, old - 1, old * 2, old + 4, old - 4, rng.next()];
      writeLength(out, at, size, be, choices[rng.int(choices.length)]!);
      return out;
    }
    case 4:
      return b.subarray(0, rng.int(n + 1)); // truncation
    case 5: {
      // splice: a prefix of this input with a suffix of another seed
      const o = others[rng.int(others.length)]!.bytes;
      return Buffer.concat([b.subarray(0, rng.int(n + 1)), o.subarray(rng.int(o.length + 1))]);
    }
    case 6: {
      // duplicate a range
      const s = rng.int(n + 1);
      const e = Math.min(n, s + rng.int(256));
      const at = rng.int(n + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(s, e), b.subarray(at)]);
    }
    default: {
      // interesting byte values
      const out = Buffer.from(b);
      if (n > 0) out[rng.int(n)] = INTERESTING[rng.int(4)]! & 0xff;
      return out;
    }
  }
}

/**
 * A case from a seed: structured (damage confined, `expect` set) or flat. `clean` is the outcome of
 * the unmutated seed, whose units map 1:1 onto the seed's units when the counts agree.
 */
export function makeCase(rng: Rng, t: Target, seed: Seed, others: Seed[], clean: Outcome): Case {
  const b = Buffer.from(seed.bytes);
  const units = seed.units;
  const mapped = t.intact && units.length > 0 && clean.units.length === units.length && clean.errors.length === 0;
  const r = rng.int(10);
  if (mapped && r < 3) {
    // Damage inside one unit's payload.
    const k = rng.int(units.length);
    const u = units[k]!;
    if (u.pEnd > u.pStart) {
      const out = Buffer.from(b);
      for (let m = 1 + rng.int(4); m > 0; m--) out[u.pStart + rng.int(u.pEnd - u.pStart)] = rng.next() & 0xff;
      // The damaged unit itself may be dropped or delivered changed (keys hash the content).
      const expect = clean.units.filter((_, i) => i !== k);
      return { input: out, expect };
    }
  }
  if (mapped && r < 5) {
    // Garbage between two units (or before the first / after the last).
    let k = rng.int(units.length + 1);
    while (k < units.length && units[k]!.resync === false) k++;
    const at = k === units.length ? b.length : units[k]!.start;
    const junk = rng.bytes(1 + rng.int(48));
    const avoid = t.garbageAvoid ?? [];
    for (let i = 0; i < junk.length; i++) while (avoid.includes(junk[i]!)) junk[i] = rng.next() & 0xff;
    return { input: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]), expect: clean.units };
  }
  let out: Buffer = b as Buffer;
  for (let m = 1 + rng.int(4); m > 0; m--) out = flat(rng, out, seed, others);
  return { input: out };
}

/** Random cut points for a chunking of n bytes. */
export function randomCuts(rng: Rng, n: number): number[] {
  const cuts: number[] = [];
  const k = rng.int(12);
  for (let i = 0; i < k; i++) cuts.push(rng.int(n + 1));
  return [...new Set(cuts)].sort((a, b) => a - b);
}

export function chunksAt(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c > prev && c <= b.length) {
      out.push(b.subarray(prev, c));
      prev = c;
    }
  }
  if (prev < b.length || out.length === 0) out.push(b.subarray(prev));
  return out;
}

function same(a: Outcome, b: Outcome): boolean {
  return a.units.length === b.units.length && a.errors.length === b.errors.length && a.units.every((x, i) => x === b.units[i]) && a.errors.every((x, i) => x === b.errors[i]);
}

function firstDifference(a: Outcome, b: Outcome): string {
  const n = Math.max(a.units.length, b.units.length);
  for (let i = 0; i < n; i++) if (a.units[i] !== b.units[i]) return `unit ${i}: ${a.units[i] ?? '(none)'} vs ${b.units[i] ?? '(none)'} (${a.units.length} vs ${b.units.length} units)`;
  return `errors: ${JSON.stringify(a.errors.slice(0, 8))} vs ${JSON.stringify(b.errors.slice(0, 8))}`;
}

/** Largest input also fed one byte per push. */
const ONE_BYTE_MAX = 4096;

/**
 * Runs the oracles on one input. `cuts` gives a chunking to compare with the whole input (the
 * 1-byte chunking is added for small inputs). Returns the findings (empty: all oracles hold).
 */
export function check(t: Target, input: Uint8Array, cuts: number[], expect?: string[]): Finding[] {
  const found: Finding[] = [];
  const whole = t.run([input]);
  if (whole.crash !== undefined) return [{ kind: 'crash', target: t.name, detail: whole.crash, input }];
  if (t.chunked) {
    const split = t.run(chunksAt(input, cuts));
    if (split.crash !== undefined) return [{ kind: 'crash', target: t.name, detail: split.crash, input, cuts }];
    if (!same(whole, split)) found.push({ kind: 'chunking', target: t.name, detail: firstDifference(whole, split), input, cuts });
    else if (input.length <= ONE_BYTE_MAX) {
      const ones: number[] = [];
      for (let i = 1; i < input.length; i++) ones.push(i);
      const one = t.run(chunksAt(input, ones));
      if (one.crash !== undefined) return [{ kind: 'crash', target: t.name, detail: one.crash, input, cuts: ones }];
      if (!same(whole, one)) found.push({ kind: 'chunking', target: t.name, detail: `1-byte chunks: ${firstDifference(whole, one)}`, input, cuts: ones });
    }
  }
  if (expect !== undefined) {
    const have = new Map<string, number>();
    for (const u of whole.units) have.set(u, (have.get(u) ?? 0) + 1);
    for (const u of expect) {
      const c = have.get(u) ?? 0;
      if (c === 0) {
        found.push({ kind: 'lost', target: t.name, detail: `an intact unit (${u}) was not delivered; errors ${JSON.stringify(whole.errors.slice(0, 8))}`, input });
        break;
      }
      have.set(u, c - 1);
    }
  }
  return found;
}

export interface CampaignStats {
  cases: number;
  findings: Finding[];
}

/** A campaign of `cases` cases on one target, from `seed` (deterministic). Stops at the first finding when asked. */
export function campaign(t: Target, cases: number, seed: number, stopAtFirst = true, onCase?: (input: Uint8Array) => void): CampaignStats {
  const rng = new Rng(seed);
  const seeds = t.seeds();
  const cleans = seeds.map((s) => t.run([s.bytes]));
  const findings: Finding[] = [];
  let n = 0;
  for (; n < cases; n++) {
    const k = rng.int(seeds.length);
    const c = makeCase(rng, t, seeds[k]!, seeds, cleans[k]!);
    onCase?.(c.input);
    const f = check(t, c.input, randomCuts(rng, c.input.length), c.expect);
    if (f.length > 0) {
      findings.push(...f);
      if (stopAtFirst) break;
    }
  }
  return { cases: n, findings };
}
