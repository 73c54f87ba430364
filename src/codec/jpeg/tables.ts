/**
 * Tables RFC 2435 receivers need to rebuild a JFIF-style JPEG: the ITU-T T.81 Annex K example
 * quantization tables (K.1, K.2), scaled by Q as in RFC 2435 §4.2 / Appendix A, and the Annex K.3
 * standard Huffman tables as DHT segment bodies.
 */

/** T.81 Table K.1 (luminance) in zigzag order, as DQT stores it. */
const STD_LUMA_Q = hex('100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763');
/** T.81 Table K.2 (chrominance) in zigzag order. */
const STD_CHROMA_Q = hex('1112121815182f1a1a2f634238426363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363');

/**
 * RFC 2435 §4.2: Q 1-99 selects the standard tables scaled with the IJG quality factor:
 * `S = Q < 50 ? 5000 / Q : 200 - 2Q`, `q = floor((std * S + 50) / 100)` clamped to 1..255.
 * Returns luma then chroma table (64 + 64 bytes, zigzag order).
 */
export function rfc2435QuantTables(q: number): Uint8Array {
  const f = Math.max(1, Math.min(99, q));
  const s = f < 50 ? Math.floor(5000 / f) : 200 - f * 2;
  const out = new Uint8Array(128);
  for (let i = 0; i < 64; i++) {
    out[i] = clampQ(Math.floor((STD_LUMA_Q[i]! * s + 50) / 100));
    out[64 + i] = clampQ(Math.floor((STD_CHROMA_Q[i]! * s + 50) / 100));
  }
  return out;
}

function clampQ(v: number): number {
  return v < 1 ? 1 : v > 255 ? 255 : v;
}

/**
 * T.81 Annex K.3 tables as DHT bodies: `Tc<<4|Th` | 16 code counts | values. DC luma (0x00),
 * AC luma (0x10), DC chroma (0x01), AC chroma (0x11).
 */
export const STD_HUFFMAN_DHT: readonly Uint8Array[] = [
  hex('0000010501010101010100000000000000000102030405060708090a0b'),
  hex('100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa'),
  hex('0100030101010101010101010000000000000102030405060708090a0b'),
  hex('1100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa'),
];

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}
