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
 *
 * Linear in bytes whatever the chunking:
 * - A cursor remembers the chunk last read and its stream offset, and every read walks from there
 *   (forwards or backwards), so a scan that moves through the queue visits each chunk a bounded
 *   number of times instead of walking from the first chunk on every `byteAt`/`indexOf`.
 * - Chunks shorter than `COALESCE_BELOW` bytes are copied into a queue-owned block (appended to the
 *   block of the previous small chunk while it has room), so a peer sending one byte per TCP segment
 *   costs one block reference per ~16 KiB, not one chunk object per byte. Such bytes are no longer
 *   views of the pushed chunk; results over them are views of the block (never reused).
 * - Consumed chunk references are dropped in batches whose cost is proportional to the batch.
 */

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Chunks shorter than this are copied into a shared block instead of being held by reference. */
export const COALESCE_BELOW = 256;
const BLOCK_SIZE = 16 * 1024;
const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`. */
  private head = 0;
  /** Consumed bytes of `chunks[head]`. */
  private headOff = 0;
  private len = 0;
  private consumed = 0;
  /** Cursor: index in `chunks` of the chunk last located, and the stream offset of its byte 0. */
  private cc = 0;
  private cAbs = 0;
  /** Block that small chunks are appended to; `chunks[blockEntry]` is its filled region from `blockFrom`. */
  private block: Buffer = EMPTY;
  private blockFill = 0;
  private blockFrom = 0;
  private blockEntry = -1;
  /** Chunk visits made by reads (walking the cursor, scanning chunks): for linearity tests. */
  private visits = 0;

  /** Bytes available to read. */
  get length(): number {
    return this.len;
  }

  /** Absolute stream offset of the first unconsumed byte (bytes consumed so far). */
  get offset(): number {
    return this.consumed;
  }

  /**
   * Chunk visits made by reads since construction: bounded by a constant times the bytes pushed
   * when the callers scan forward (what test/prop/linear-work.prop.test.ts checks). Not a timer.
   */
  get work(): number {
    return this.visits;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0) return;
    this.len += n;
    if (n < COALESCE_BELOW) {
      const last = this.chunks.length - 1;
      if (this.blockEntry === last && last >= this.head && this.blockFill + n <= this.block.length) {
        this.block.set(chunk, this.blockFill);
        this.blockFill += n;
        this.chunks[last] = this.block.subarray(this.blockFrom, this.blockFill);
        return;
      }
      if (this.blockFill + n > this.block.length) {
        this.block = Buffer.allocUnsafe(BLOCK_SIZE);
        this.blockFill = 0;
      }
      this.blockFrom = this.blockFill;
      this.block.set(chunk, this.blockFill);
      this.blockFill += n;
      this.blockEntry = this.chunks.length;
      this.chunks.push(this.block.subarray(this.blockFrom, this.blockFill));
      return;
    }
    this.chunks.push(asBuffer(chunk));
  }

  /** Drops everything; `offset` advances past the dropped bytes. */
  clear(): void {
    this.consumed += this.len;
    this.chunks.length = 0;
    this.head = 0;
    this.headOff = 0;
    this.len = 0;
    this.blockEntry = -1;
    this.cc = 0;
    this.cAbs = this.consumed;
  }

  /**
   * Moves the cursor to the chunk holding index i (0 <= i < length) and returns the position of
   * byte i inside `chunks[cc]`.
   */
  private locate(i: number): number {
    const abs = this.consumed + i;
    const chunks = this.chunks;
    let c = this.cc;
    let a = this.cAbs;
    if (c < this.head || c >= chunks.length) {
      c = this.head;
      a = this.consumed - this.headOff;
    }
    let v = 0;
    while (abs < a) {
      c--;
      a -= chunks[c]!.length;
      v++;
    }
    for (;;) {
      const l = chunks[c]!.length;
      if (abs < a + l) break;
      a += l;
      c++;
      v++;
    }
    this.visits += v + 1;
    this.cc = c;
    this.cAbs = a;
    return abs - a;
  }

  /** Byte at index i (0 = first unconsumed). Caller guarantees i < length. */
  byteAt(i: number): number {
    const pos = this.locate(i);
    return this.chunks[this.cc]![pos]!;
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
    if (i >= this.len || i < 0) return EMPTY;
    if (i === 0) {
      const ch = this.chunks[this.head]!;
      const p = this.headOff;
      return ch.subarray(p, Math.min(ch.length, p + max));
    }
    const pos = this.locate(i);
    const ch = this.chunks[this.cc]!;
    return ch.subarray(pos, Math.min(ch.length, pos + max));
  }

  /**
   * The chunk holding the first unconsumed byte, whole (no view made): its live bytes start at
   * `headPos`. For hot loops that parse in place; empty when nothing is held.
   */
  get headChunk(): Buffer {
    return this.head < this.chunks.length ? this.chunks[this.head]! : EMPTY;
  }

  /** Index in `headChunk` of the first unconsumed byte. */
  get headPos(): number {
    return this.headOff;
  }

  /** The live bytes of the k-th held chunk (0 = the one holding the first unconsumed byte). */
  chunkAt(k: number): Buffer {
    const c = this.head + k;
    if (c >= this.chunks.length) return EMPTY;
    const ch = this.chunks[c]!;
    return k === 0 && this.headOff > 0 ? ch.subarray(this.headOff) : ch;
  }

  /**
   * Index (relative to the first unconsumed byte) of the first occurrence of `needle` at or after
   * `from`, or -1. Uses the native `Buffer.indexOf` inside each chunk and checks the few positions
   * where a needle would straddle two chunks byte by byte. Starts at the chunk holding `from`.
   */
  indexOf(needle: Uint8Array | number, from = 0): number {
    if (from < 0) from = 0;
    const m = typeof needle === 'number' ? 1 : needle.length;
    if (m === 0) return from <= this.len ? from : -1;
    if (from + m > this.len) return -1;
    const chunks = this.chunks;
    let localFrom = this.locate(from);
    let c = this.cc;
    let base = this.cAbs - this.consumed; // relative index of chunks[c][0] (may be negative for the head)
    for (; c < chunks.length; c++) {
      const ch = chunks[c]!;
      this.visits++;
      const hit = ch.indexOf(needle as Buffer | number, localFrom);
      if (hit >= 0) return base + hit;
      if (m > 1) {
        // Straddling candidates: the last m-1 positions of this chunk.
        const firstStraddle = Math.max(from, base + ch.length - (m - 1));
        const lastStart = Math.min(base + ch.length - 1, this.len - m);
        for (let p = firstStraddle; p <= lastStart; p++) {
          if (this.matchesAt(needle as Uint8Array, p)) return p;
        }
      }
      base += ch.length;
      localFrom = 0;
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
    if (n <= 0) return;
    let pos = this.locate(i);
    let c = this.cc;
    let t = targetOffset;
    let left = n;
    while (left > 0) {
      const ch = this.chunks[c]!;
      const k = Math.min(left, ch.length - pos);
      target.set(k === ch.length ? ch : ch.subarray(pos, pos + k), t);
      t += k;
      left -= k;
      pos = 0;
      c++;
    }
    this.visits += c - this.cc;
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
    if (n <= 0) return;
    this.len -= n;
    const target = this.consumed + n;
    this.consumed = target;
    if (this.len === 0) {
      // Everything consumed: drop all references at once.
      this.chunks.length = 0;
      this.head = 0;
      this.headOff = 0;
      this.blockEntry = -1;
      this.cc = 0;
      this.cAbs = target;
      return;
    }
    // Jump straight to the chunk holding the new first byte (from the cursor when it is closer).
    let c = this.head;
    let a = target - n - this.headOff;
    if (this.cc > c && this.cc < this.chunks.length && this.cAbs <= target) {
      c = this.cc;
      a = this.cAbs;
    }
    let v = 0;
    for (;;) {
      const l = this.chunks[c]!.length;
      if (target < a + l) break;
      a += l;
      c++;
      v++;
    }
    this.visits += v;
    this.head = c;
    this.headOff = target - a;
    this.cc = c;
    this.cAbs = a;
    // Drop consumed chunk references so memory is bounded by what is unconsumed; only when the
    // dead prefix is at least as long as the live part, so the splice cost stays linear overall.
    if (c >= 32 && c * 2 >= this.chunks.length) {
      this.chunks.splice(0, c);
      this.head = 0;
      this.cc = 0;
      if (this.blockEntry >= 0) this.blockEntry -= c;
    }
  }

  /** Number of chunk references held (for tests of boundedness). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }
}
