/**
 * Media the virtual camera serves: an Annex-B H.264 file grouped into access units, and raw G.711.
 * Loaded once, shared by every session (read-only).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitAnnexB } from '../codec/annex-b.js';

/** corpus/ of this package: src/testing -> ../../corpus (also from dist/testing). */
export function corpusPath(name: string): string {
  return fileURLToPath(new URL(`../../corpus/${name}`, import.meta.url));
}

export interface H264Source {
  /** Access units, each a list of NAL units (no start codes), in decode order. */
  units: Uint8Array[][];
  sps: Uint8Array;
  pps: Uint8Array;
  /** Frames per second the file was encoded at. */
  fps: number;
}

const isVcl = (t: number): boolean => t >= 1 && t <= 5;

/**
 * Groups NAL units into access units (ITU-T H.264 §7.4.1.2.3): a new unit starts at an AUD, SPS,
 * PPS or SEI that follows a VCL NAL, or at a VCL NAL whose first_mb_in_slice is 0 (ue(v) = 0 is
 * the single bit 1, so the first slice-header bit is set) after a VCL NAL.
 */
export function groupAccessUnits(nalus: Uint8Array[]): Uint8Array[][] {
  const units: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let sawVcl = false;
  for (const n of nalus) {
    if (n.length === 0) continue;
    const t = n[0]! & 0x1f;
    const startsNew = sawVcl && (t === 9 || t === 7 || t === 8 || t === 6 || (isVcl(t) && n.length > 1 && (n[1]! & 0x80) !== 0));
    if (startsNew) {
      units.push(cur);
      cur = [];
      sawVcl = false;
    }
    cur.push(n);
    if (isVcl(t)) sawVcl = true;
  }
  if (cur.length > 0) units.push(cur);
  return units;
}

const cache = new Map<string, H264Source>();

export function loadH264(path = corpusPath('h264-640x360-25fps.h264'), fps = 25): H264Source {
  const hit = cache.get(path);
  if (hit) return hit;
  const nalus = splitAnnexB(readFileSync(path));
  const sps = nalus.find((n) => (n[0]! & 0x1f) === 7);
  const pps = nalus.find((n) => (n[0]! & 0x1f) === 8);
  if (!sps || !pps) throw new Error(`${path}: no SPS/PPS`);
  const src = { units: groupAccessUnits(nalus), sps, pps, fps };
  cache.set(path, src);
  return src;
}

export function loadG711(path = corpusPath('g711u-8k.ulaw')): Uint8Array {
  return readFileSync(path);
}
