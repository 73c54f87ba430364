/**
 * `sprop-parameter-sets` (RFC 6184 §8.1): comma-separated base64 NAL units, normally SPS then PPS.
 *
 * Quirks tolerated:
 * - trailing "," and PPS missing (FFmpeg rtpdec_h264.c; docs/camera-quirks.md #13);
 * - Annex B start codes inside a decoded set, i.e. several NALs in one base64 item (V380,
 *   retina #68/#108; docs/camera-quirks.md #11);
 * - trailing garbage after the SPS (Reolink, retina #102) is kept: the SPS parser reads what it needs;
 * - undecodable items are skipped; the caller then waits for in-band SPS/PPS (retina #42).
 */
import { forEachAnnexBNal } from '../annex-b.js';

const B64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes a comma-separated list of base64 NAL units, splitting any Annex B inside. */
export function decodeSpropNalus(value: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '' || !B64.test(item)) continue;
    const bytes = new Uint8Array(Buffer.from(item, item.includes('-') || item.includes('_') ? 'base64url' : 'base64'));
    if (bytes.length === 0) continue;
    forEachAnnexBNal(bytes, 0, bytes.length, (s, e) => out.push(bytes.subarray(s, e)));
  }
  return out;
}

/** H.264: picks SPS (type 7) and PPS (type 8) from `sprop-parameter-sets`. */
export function decodeH264Sprop(value: string): { sps?: Uint8Array; pps?: Uint8Array; nalus: Uint8Array[] } {
  const nalus = decodeSpropNalus(value);
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  for (const n of nalus) {
    const t = n[0]! & 0x1f;
    if (t === 7 && !sps) sps = n;
    else if (t === 8 && !pps) pps = n;
  }
  const r: { sps?: Uint8Array; pps?: Uint8Array; nalus: Uint8Array[] } = { nalus };
  if (sps) r.sps = sps;
  if (pps) r.pps = pps;
  return r;
}
