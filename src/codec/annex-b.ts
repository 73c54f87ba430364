/**
 * Annex B byte streams (H.264 Annex B, H.265 Annex B): NAL units separated by start codes
 * `00 00 01` (or `00 00 00 01`; the extra zero belongs to the previous NAL's trailing_zero_8bits).
 */

/**
 * Index of the first `00 00 01` in `buf[from, end)`, or -1. Skips 3 bytes whenever the byte under
 * test is > 1 (it cannot be part of a start code that ends at or before it).
 */
export function findStartCode(buf: Uint8Array, from: number, end: number): number {
  let i = from + 2;
  while (i < end) {
    const b = buf[i]!;
    if (b > 1) i += 3;
    else if (b === 0) i++;
    else {
      if (buf[i - 1] === 0 && buf[i - 2] === 0) return i - 2;
      i += 3;
    }
  }
  return -1;
}

/**
 * Calls `cb(start, end)` for each NAL unit in `buf[from, end)`. Bytes before the first start code
 * form a NAL unit when there are any (a payload that is "NAL, start code, NAL"). Trailing zero bytes
 * of each NAL (the zero_byte of a 4-byte start code, trailing_zero_8bits) are trimmed; empty NALs are
 * skipped.
 */
export function forEachAnnexBNal(buf: Uint8Array, from: number, end: number, cb: (start: number, end: number) => void): void {
  let nalStart = from;
  for (;;) {
    const sc = findStartCode(buf, nalStart, end);
    let nalEnd = sc < 0 ? end : sc;
    while (nalEnd > nalStart && buf[nalEnd - 1] === 0) nalEnd--;
    if (nalEnd > nalStart) cb(nalStart, nalEnd);
    if (sc < 0) return;
    nalStart = sc + 3;
  }
}

/** Splits an Annex B stream into NAL unit views (no copies). */
export function splitAnnexB(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  forEachAnnexBNal(bytes, 0, bytes.length, (s, e) => out.push(bytes.subarray(s, e)));
  return out;
}

/** Joins NAL units into Annex B with 4-byte start codes (one exact-size allocation). */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const u of nalus) n += 4 + u.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const u of nalus) {
    out[o + 3] = 1;
    out.set(u, o + 4);
    o += 4 + u.length;
  }
  return out;
}
