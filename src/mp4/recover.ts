/**
 * Recovery of a fragmented MP4 cut short (kill -9, power loss): the length of its longest prefix
 * made of complete top-level boxes that ends after a complete `mdat`. Truncating the file there
 * leaves init + whole fragments, which every reader plays (ISO/IEC 14496-12 §8.8: each movie
 * fragment is self-contained).
 *
 * Works on the first bytes of a file; reads box headers only (size u32, type; size 1 = 64-bit
 * largesize after the type).
 */
export function completeFragmentsLength(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let good = 0;
  let sawMoov = false;
  while (pos + 8 <= bytes.length) {
    let size = dv.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!, bytes[pos + 6]!, bytes[pos + 7]!);
    if (size === 1) {
      if (pos + 16 > bytes.length) break;
      size = dv.getUint32(pos + 8) * 0x100000000 + dv.getUint32(pos + 12);
    }
    if (size < 8 || pos + size > bytes.length) break;
    pos += size;
    if (type === 'moov') {
      sawMoov = true;
      good = pos;
    } else if (type === 'mdat' || type === 'mfra') {
      if (sawMoov) good = pos;
    }
  }
  return good;
}
