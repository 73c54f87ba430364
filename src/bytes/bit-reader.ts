/**
 * MSB-first bit reader with exp-Golomb codes (H.264 §7.2 / §9.1, H.265 §9.2) over an RBSP, plus
 * emulation-prevention removal (H.264 §7.4.1: `00 00 03` -> `00 00`).
 * Reading past the end throws `RangeError`; callers wrap it into their codec's ProtocolError.
 */

/** RBSP of a NAL unit: `00 00 03` emulation-prevention bytes removed. Returns `nal` itself when none. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let first = -1;
  for (let i = 2; i < nal.length; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[o++] = b;
  }
  return out.subarray(0, o);
}

export class BitReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array, startByte = 0) {
    this.pos = startByte * 8;
  }

  get bitsLeft(): number {
    return this.buf.length * 8 - this.pos;
  }

  u1(): number {
    const p = this.pos;
    if (p >= this.buf.length * 8) throw new RangeError('bit reader: past the end');
    this.pos = p + 1;
    return (this.buf[p >> 3]! >> (7 - (p & 7))) & 1;
  }

  flag(): boolean {
    return this.u1() === 1;
  }

  /** Reads n (<= 32) bits as an unsigned number. */
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.u1();
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.buf.length * 8) throw new RangeError('bit reader: past the end');
    this.pos += n;
  }

  /** ue(v): unsigned exp-Golomb. */
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) {
      if (++zeros > 31) throw new RangeError('bit reader: exp-Golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed exp-Golomb (k -> (-1)^(k+1) ceil(k/2)). */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}
