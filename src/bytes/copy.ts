/**
 * An exact copy of `buf[start, end)` in memory of its own.
 *
 * Use it wherever bytes from the wire are kept past the call that delivered them: input chunks may
 * be a reused read buffer (transport/connect.ts ReadBuffer) or a parser's reused scratch buffer.
 * `Buffer#slice` does not copy (it is `subarray` for Buffers, unlike `Uint8Array#slice`), so
 * `buf.slice(s, e)` on a Buffer keeps a view that the next read overwrites.
 */
export function copyBytes(buf: Uint8Array, start = 0, end = buf.length): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}
