/** Hex helpers for error previews and the `dump` tooling. */

const HEX = '0123456789abcdef';

/** Lower-case hex of at most `max` bytes of `bytes` from `start`, space separated, "…" when cut. */
export function hexPreview(bytes: Uint8Array, start = 0, max = 64): string {
  const from = Math.max(0, Math.min(start, bytes.length));
  const end = Math.min(bytes.length, from + max);
  let out = '';
  for (let i = from; i < end; i++) {
    const b = bytes[i]!;
    if (i > from) out += ' ';
    out += HEX[b >> 4]! + HEX[b & 15]!;
  }
  if (end < bytes.length) out += ' …';
  return out;
}

/** Hex string (no separators) to bytes; throws on odd length or a non-hex digit. Test and CLI helper. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError('fromHex: not a hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(i * 2, 2), 16);
  return out;
}
