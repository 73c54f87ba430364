/**
 * Strict writer for RTSP messages (tolerant reader, strict writer: DESIGN principle 7).
 *
 *   Request-Line = Method SP Request-URI SP "RTSP/1.0" CRLF      (RFC 2326 §6.1)
 *   CSeq first (RFC 2326 §12.17), then the caller's fields in order, Content-Length when a body is
 *   present (§12.14), CRLF, body.
 */
import { ProtocolError } from '../errors.js';
import { Headers, type HeadersInit } from '../message/headers.js';

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE_RE = /[\r\n\0]/;

function bad(what: string): never {
  throw new ProtocolError('INVALID_ARGUMENT', what);
}

function fields(headers: HeadersInit, body: Uint8Array | undefined, requireCseq: boolean): string {
  const h = headers instanceof Headers ? headers : new Headers(headers);
  const cseq = h.get('cseq');
  if (requireCseq && cseq === undefined) bad('an RTSP request needs a CSeq header');
  let out = cseq !== undefined ? `CSeq: ${cseq.trim()}\r\n` : '';
  if (cseq !== undefined && !/^\d{1,10}$/.test(cseq.trim())) bad('CSeq must be a decimal number');
  for (const [name, value] of h) {
    const key = name.toLowerCase();
    if (key === 'cseq' || key === 'content-length') continue;
    if (!TOKEN_RE.test(name)) bad(`header name is not a token: ${JSON.stringify(name.slice(0, 40))}`);
    if (BAD_VALUE_RE.test(value)) bad(`header ${name} contains CR, LF or NUL`);
    out += `${name}: ${value}\r\n`;
  }
  if (body !== undefined && body.length > 0) out += `Content-Length: ${body.length}\r\n`;
  return out + '\r\n';
}

function join(head: string, body: Uint8Array | undefined): Buffer {
  const n = Buffer.byteLength(head, 'latin1');
  const out = Buffer.allocUnsafe(n + (body?.length ?? 0));
  out.write(head, 0, 'latin1');
  if (body !== undefined && body.length > 0) out.set(body, n);
  return out;
}

/**
 * Encodes one RTSP/1.0 request. `headers` must contain `CSeq`; `Content-Length` is computed from
 * `body` (a caller-supplied one is replaced). Throws `INVALID_ARGUMENT` on a bad method, URI or field.
 */
export function encodeRequest(method: string, uri: string, headers: HeadersInit, body?: Uint8Array | string): Buffer {
  if (!/^[A-Z][A-Z0-9_-]*$/.test(method)) bad('method must be an upper-case token');
  if (uri.length === 0 || /[\s\0]/.test(uri)) bad('request URI is empty or contains whitespace');
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return join(`${method} ${uri} RTSP/1.0\r\n${fields(headers, b, true)}`, b);
}

/** Encodes one RTSP/1.0 response (answers to server requests; the virtual camera). */
export function encodeResponse(status: number, reason: string, headers: HeadersInit, body?: Uint8Array | string): Buffer {
  if (!Number.isInteger(status) || status < 100 || status > 999) bad('status must be a 3-digit number');
  if (BAD_VALUE_RE.test(reason)) bad('reason contains CR, LF or NUL');
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return join(`RTSP/1.0 ${status} ${reason}\r\n${fields(headers, b, false)}`, b);
}

/** Encodes one interleaved frame header + payload (RFC 2326 §10.12); for tests and servers. */
export function encodeInterleaved(channel: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) bad('channel must be 0..255');
  if (payload.length > 0xffff) bad('interleaved payload over 65535 bytes');
  const out = Buffer.allocUnsafe(4 + payload.length);
  out[0] = 0x24; // '$'
  out[1] = channel;
  out[2] = payload.length >>> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, 4);
  return out;
}
