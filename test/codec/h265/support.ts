/** Helpers shared by the H.265 tests: corpus access units. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitAnnexB } from '../../../src/codec/annex-b.js';

export const CORPUS_H265 = fileURLToPath(new URL('../../../corpus/h265-640x360-25fps.h265', import.meta.url));

export const h265Type = (n: Uint8Array): number => (n[0]! >> 1) & 0x3f;

/**
 * Groups NAL units into access units (H.265 §7.4.2.4.4): a new unit starts at a VPS/SPS/PPS/AUD/
 * prefix SEI or at a VCL NAL with first_slice_segment_in_pic_flag, once the current unit has a VCL NAL.
 */
export function groupH265AccessUnits(nalus: Uint8Array[]): Uint8Array[][] {
  const aus: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let vcl = false;
  for (const n of nalus) {
    const t = h265Type(n);
    const starts = t < 32 ? (n[2]! & 0x80) !== 0 : t === 32 || t === 33 || t === 34 || t === 35 || t === 39 || (t >= 41 && t <= 44);
    if (vcl && starts) {
      aus.push(cur);
      cur = [];
      vcl = false;
    }
    cur.push(n);
    if (t < 32) vcl = true;
  }
  if (cur.length) aus.push(cur);
  return aus;
}

export function corpusH265AccessUnits(): Uint8Array[][] {
  return groupH265AccessUnits(splitAnnexB(new Uint8Array(readFileSync(CORPUS_H265))));
}
