/**
 * A growable big-endian byte builder for ISO BMFF boxes (ISO/IEC 14496-12 §4.2): every box is
 * `size u32 | type 4cc | payload`, a FullBox adds `version u8 | flags u24`. `begin()` writes a size
 * placeholder that `end()` patches, so nested boxes need no size arithmetic by hand.
 *
 * Used for headers only (ftyp, moov, moof, mfra): sample data never passes through it.
 */
export class BoxWriter {
  buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos] = (v >>> 16) & 0xff;
    this.buf[this.pos + 1] = (v >>> 8) & 0xff;
    this.buf[this.pos + 2] = v & 0xff;
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v | 0);
    this.pos += 4;
    return this;
  }

  /** Unsigned 64-bit from a JS number (exact up to 2^53). */
  u64(v: number): this {
    this.ensure(8);
    this.view.setUint32(this.pos, Math.floor(v / 0x100000000) >>> 0);
    this.view.setUint32(this.pos + 4, v >>> 0);
    this.pos += 8;
    return this;
  }

  fourcc(s: string): this {
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.pos + i] = s.charCodeAt(i) & 0xff;
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Starts a box; returns its start for `end()`. */
  begin(type: string): number {
    const start = this.pos;
    this.u32(0).fourcc(type);
    return start;
  }

  /** Starts a FullBox (§4.2.2). */
  beginFull(type: string, version: number, flags: number): number {
    const start = this.begin(type);
    this.u8(version).u24(flags);
    return start;
  }

  end(start: number): void {
    this.view.setUint32(start, this.pos - start);
  }

  /** Overwrites a u32 already written at `at`. */
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }

  /** An exact-size copy of what was written ("yours to keep"). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
