/**
 * Builds the JPEG headers RFC 2435 leaves out (§3.1, Appendix B): the receiver writes
 * `SOI | DQT | SOF0 | DHT | [DRI] | SOS` before the scan data and `EOI` after it.
 *
 * ```
 * SOI  FFD8
 * DQT  FFDB len | (Pq<<4|Tq) table(64 or 128) | ... one entry per table (0 = luma, 1 = chroma)
 * SOF0 FFC0 len=17 | P=8 | Y height 16 | X width 16 | Nf=3 | (id, H<<4|V, Tq) x3
 *      type 0 (4:2:2): Y 0x21, type 1 (4:2:0): Y 0x22; Cb, Cr 0x11 with table 1
 * DHT  FFC4 len | the four Annex K.3 tables
 * DRI  FFDD len=4 | Ri 16                       (types 64-127 only)
 * SOS  FFDA len=12 | Ns=3 | (id, Td<<4|Ta) x3 | Ss=0 | Se=63 | Ah/Al=0
 * ```
 */
import { STD_HUFFMAN_DHT } from './tables.js';

export interface JpegHeaderParams {
  /** RFC 2435 type with the restart bit removed: 0 (4:2:2) or 1 (4:2:0). */
  type: number;
  width: number;
  height: number;
  /** Luma table then chroma table, each 64 (8-bit) or 128 (16-bit) bytes. */
  luma: Uint8Array;
  chroma: Uint8Array;
  /** Restart interval in MCUs; 0 = no DRI. */
  restartInterval: number;
}

let DHT_BODY_LEN = 0;
for (const t of STD_HUFFMAN_DHT) DHT_BODY_LEN += t.length;

export function jpegHeaderSize(p: JpegHeaderParams): number {
  return 2 + (4 + 2 + p.luma.length + p.chroma.length) + 19 + (4 + DHT_BODY_LEN) + (p.restartInterval > 0 ? 6 : 0) + 14;
}

/** Writes the headers at `out[at]`; returns the offset after them. */
export function writeJpegHeader(out: Uint8Array, at: number, p: JpegHeaderParams): number {
  let o = at;
  const u16 = (v: number): void => {
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  };
  u16(0xffd8);
  u16(0xffdb);
  u16(2 + 2 + p.luma.length + p.chroma.length);
  out[o++] = (p.luma.length === 128 ? 0x10 : 0) | 0;
  out.set(p.luma, o);
  o += p.luma.length;
  out[o++] = (p.chroma.length === 128 ? 0x10 : 0) | 1;
  out.set(p.chroma, o);
  o += p.chroma.length;
  u16(0xffc0);
  u16(17);
  out[o++] = 8;
  u16(p.height);
  u16(p.width);
  out[o++] = 3;
  out[o++] = 1;
  out[o++] = p.type === 0 ? 0x21 : 0x22;
  out[o++] = 0;
  out[o++] = 2;
  out[o++] = 0x11;
  out[o++] = 1;
  out[o++] = 3;
  out[o++] = 0x11;
  out[o++] = 1;
  u16(0xffc4);
  u16(2 + DHT_BODY_LEN);
  for (const t of STD_HUFFMAN_DHT) {
    out.set(t, o);
    o += t.length;
  }
  if (p.restartInterval > 0) {
    u16(0xffdd);
    u16(4);
    u16(p.restartInterval);
  }
  u16(0xffda);
  u16(12);
  out[o++] = 3;
  out[o++] = 1;
  out[o++] = 0x00;
  out[o++] = 2;
  out[o++] = 0x11;
  out[o++] = 3;
  out[o++] = 0x11;
  out[o++] = 0;
  out[o++] = 63;
  out[o++] = 0;
  return o;
}
