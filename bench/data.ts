/**
 * Deterministic bench input: one pseudo-random generator, so every run (and every machine) measures
 * the same bytes.
 */

/** xorshift32 (Marsaglia 2003, shifts 13/17/5): one unsigned 32-bit word per call, never 0. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Fills `b` from `next`, four bytes per word, low byte first (the last word partly). Returns `b`. */
export function fillRandom<T extends Uint8Array>(b: T, next: () => number): T {
  const n = b.length;
  for (let i = 0; i < n; i += 4) {
    let w = next();
    for (let k = 0; k < 4 && i + k < n; k++, w >>>= 8) b[i + k] = w & 0xff;
  }
  return b;
}

/** `n` bytes from `next` (see `fillRandom`). */
export function randomBytes(n: number, next: () => number): Buffer {
  return fillRandom(Buffer.allocUnsafe(n), next);
}

/** `count` JPEG-like bodies of `size` bytes: SOI (FF D8), `body`'s bytes, EOI (FF D9). */
export function jpegLike(count: number, size: number, body: (size: number) => Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = body(size);
    b[0] = 0xff;
    b[1] = 0xd8;
    b[size - 2] = 0xff;
    b[size - 1] = 0xd9;
    out.push(b);
  }
  return out;
}
