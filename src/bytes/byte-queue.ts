/**
 * A queue of received chunks read as one contiguous byte stream (DESIGN "bytes/").
 *
 * - `push` stores a reference to the chunk: no copy. Callers must not modify a chunk after pushing
 *   it (the same contract as Node streams). The queue drops its reference once every byte of the
 *   chunk is consumed.
 * - `take(n)` returns a view (`subarray`) when the n bytes lie in one chunk, otherwise ONE copy
 *   into an exact-size buffer. This is the only place data is copied.
 * - Reads (`byteAt`, `u32le`, `indexOf`, ...) take indices relative to the first unconsumed byte.
 * - `offset` is the absolute stream position of the first unconsumed byte, for error reporting.
 */

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`. */
  private head = 0;
  /** Consumed bytes of `chunks[head]`. */
  private headOff = 0;
  private len = 0;
  private consumed = 0;

  /** Bytes available to read. */
  get length(): number {
    return this.len;
  }

  /** Absolute stream offset of the first unconsumed byte (bytes consumed so far). */
  get offset(): number {
    return this.consumed;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(asBuffer(chunk));
    this.len += chunk.length;
  }

  /** Drops everything; `offset` advances past the dropped bytes. */
  clear(): void {
    this.consumed += this.len;
    this.chunks.length = 0;
    this.head = 0;
    this.headOff = 0;
    this.len = 0;
  }

  /** Byte at index i (0 = first unconsumed). Caller guarantees i < length. */
  byteAt(i: number): number {
    let c = this.head;
    let pos = i + this.headOff;
    for (;;) {
      const ch = this.chunks[c]!;
      if (pos < ch.length) return ch[pos]!;
      pos -= ch.length;
      c++;
    }
  }

  u16le(i: number): number {
    const ch = this.chunks[this.head]!;
    const p = this.headOff + i;
    if (p + 2 <= ch.length) return ch[p]! | (ch[p + 1]! << 8);
    return this.byteAt(i) | (this.byteAt(i + 1) << 8);
  }

  u32le(i: number): number {
    const ch = this.chunks[this.head]!;
    const p = this.headOff + i;
    if (p + 4 <= ch.length) return (ch[p]! | (ch[p + 1]! << 8) | (ch[p + 2]! << 16)) + ch[p + 3]! * 0x1000000;
    return (this.byteAt(i) | (this.byteAt(i + 1) << 8) | (this.byteAt(i + 2) << 16)) + this.byteAt(i + 3) * 0x1000000;
  }

  u16be(i: number): number {
    const ch = this.chunks[this.head]!;
    const p = this.headOff + i;
    if (p + 2 <= ch.length) return (ch[p]! << 8) | ch[p + 1]!;
    return (this.byteAt(i) << 8) | this.byteAt(i + 1);
  }

  u32be(i: number): number {
    const ch = this.chunks[this.head]!;
    const p = this.headOff + i;
    if (p + 4 <= ch.length) return ch[p]! * 0x1000000 + ((ch[p + 1]! << 16) | (ch[p + 2]! << 8) | ch[p + 3]!);
    return this.byteAt(i) * 0x1000000 + ((this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3));
  }

  /**
   * The longest contiguous view starting at index i (up to `max` bytes) without copying: the rest
   * of the chunk that holds byte i. Empty when i >= length.
   */
  contiguousAt(i: number, max = Infinity): Buffer {
    let c = this.head;
    let pos = i + this.headOff;
    while (c < this.chunks.length) {
      const ch = this.chunks[c]!;
      if (pos < ch.length) return ch.subarray(pos, Math.min(ch.length, pos + max));
      pos -= ch.length;
      c++;
    }
    return Buffer.alloc(0);
  }

  /**
   * Index (relative to the first unconsumed byte) of the first occurrence of `needle` at or after
   * `from`, or -1. Uses the native `Buffer.indexOf` inside each chunk and checks the few positions
   * where a needle would straddle two chunks byte by byte.
   */
  indexOf(needle: Uint8Array | number, from = 0): number {
    if (from < 0) from = 0;
    const m = typeof needle === 'number' ? 1 : needle.length;
    if (m === 0) return from <= this.len ? from : -1;
    if (from + m > this.len) return -1;
    let base = 0; // relative index of chunk c's first live byte
    for (let c = this.head; c < this.chunks.length; c++) {
      const ch = this.chunks[c]!;
      const start = c === this.head ? this.headOff : 0;
      const live = ch.length - start;
      if (from < base + live) {
        const localFrom = Math.max(0, from - base) + start;
        const hit = ch.indexOf(needle as Buffer | number, localFrom);
        if (hit >= 0) return base + (hit - start);
        if (m > 1) {
          // Straddling candidates: the last m-1 positions of this chunk.
          const firstStraddle = Math.max(from, base + live - (m - 1));
          const lastStart = Math.min(base + live - 1, this.len - m);
          for (let p = firstStraddle; p <= lastStart; p++) {
            if (this.matchesAt(needle as Uint8Array, p)) return p;
          }
        }
      }
      base += live;
    }
    return -1;
  }

  /** True when the bytes at index i equal `needle` (false when not enough bytes). */
  matchesAt(needle: Uint8Array, i: number): boolean {
    if (i < 0 || i + needle.length > this.len) return false;
    for (let k = 0; k < needle.length; k++) if (this.byteAt(i + k) !== needle[k]) return false;
    return true;
  }

  /**
   * Copies `n` bytes starting at index `i` into `target` at `targetOffset` without consuming.
   * Used by parsers that assemble a unit into one exact-size buffer as its pieces arrive.
   */
  copyTo(target: Uint8Array, targetOffset: number, i: number, n: number): void {
    let c = this.head;
    let pos = i + this.headOff;
    let t = targetOffset;
    let left = n;
    while (left > 0) {
      const ch = this.chunks[c]!;
      if (pos >= ch.length) {
        pos -= ch.length;
        c++;
        continue;
      }
      const k = Math.min(left, ch.length - pos);
      target.set(ch.subarray(pos, pos + k), t);
      t += k;
      left -= k;
      pos = 0;
      c++;
    }
  }

  /**
   * Removes and returns the first `n` bytes: a view when they lie in one chunk, else one exact copy.
   * Caller guarantees n <= length.
   */
  take(n: number): Buffer {
    const ch = this.chunks[this.head];
    if (ch !== undefined && this.headOff + n <= ch.length) {
      const view = ch.subarray(this.headOff, this.headOff + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyTo(out, 0, 0, n);
    this.skip(n);
    return out;
  }

  /** Like `take` but always returns a fresh buffer the caller owns. */
  takeCopy(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.copyTo(out, 0, 0, n);
    this.skip(n);
    return out;
  }

  /** Discards the first `n` bytes (n is clamped to length). */
  skip(n: number): void {
    if (n > this.len) n = this.len;
    this.len -= n;
    this.consumed += n;
    while (n > 0) {
      const ch = this.chunks[this.head]!;
      const rest = ch.length - this.headOff;
      if (n < rest) {
        this.headOff += n;
        break;
      }
      n -= rest;
      this.head++;
      this.headOff = 0;
    }
    // Drop consumed chunk references so memory is bounded by what is unconsumed.
    if (this.head > 0 && (this.head >= 32 || this.head === this.chunks.length)) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Number of chunk references held (for tests of boundedness). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }
}
