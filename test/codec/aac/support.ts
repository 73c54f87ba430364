/** Helpers shared by the AAC tests: the ADTS corpus split into frames, the GStreamer-like fmtp. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Splits an ADTS stream into { header, raw frame } (ISO/IEC 14496-3 §1.A.2, protection_absent = 1). */
export function adtsFrames(buf: Uint8Array): { adts: Uint8Array; raw: Uint8Array }[] {
  const out: { adts: Uint8Array; raw: Uint8Array }[] = [];
  for (let p = 0; p + 7 <= buf.length; ) {
    if (buf[p] !== 0xff || (buf[p + 1]! & 0xf6) !== 0xf0) throw new Error(`no ADTS sync at ${p}`);
    const len = ((buf[p + 3]! & 3) << 11) | (buf[p + 4]! << 3) | (buf[p + 5]! >> 5);
    out.push({ adts: buf.subarray(p, p + len), raw: buf.subarray(p + 7, p + len) });
    p += len;
  }
  return out;
}

export const AAC_CORPUS = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../corpus/aac-16k.adts', import.meta.url))));
/** AAC LC (2), 16 kHz (index 8), mono: 00010 1000 0001 000 = 0x1408. */
export const AAC_FMTP = { mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3', streamtype: '5', 'profile-level-id': '1' };

