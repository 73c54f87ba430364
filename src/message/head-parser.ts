/**
 * Tolerant message-head parser shared by RTSP (RFC 2326 §6/§7) and HTTP/1.x (RFC 9112 §2-§5).
 *
 *   start-line   = status-line / request-line
 *   status-line  = ("RTSP" / "HTTP") "/" 1*DIGIT "." 1*DIGIT SP 3DIGIT [SP reason] EOL
 *   request-line = method SP uri SP protocol EOL          (ANNOUNCE/GET_PARAMETER/... from a server)
 *   header       = name ":" OWS value OWS EOL  /  obs-fold continuation (line starting with SP/HT)
 *   head         = start-line *header EOL
 *   EOL          = CRLF / LF
 *
 * Tolerant reader (DESIGN principle 7): bare LF and mixed line ends (the IP Camera Standard API 5.0.0 mixes `\r\n` and `\n`),
 * trailing whitespace (Longse, retina #77: docs/camera-quirks.md #20), any header-name case, repeated fields
 * kept, folded lines joined, unindented non-field lines joined to the previous field. Bounded: head
 * size and header count caps.
 */
import { ProtocolError } from '../errors.js';
import { Headers } from './headers.js';

export const DEFAULT_MAX_HEAD_SIZE = 64 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 128;

export interface HeadLimits {
  /** Bytes of start line + headers + blank line (default 64 KiB). */
  maxHeadSize?: number;
  /** Header fields (default 128). */
  maxHeaderCount?: number;
}

export interface ResponseHead {
  readonly kind: 'response';
  /** `RTSP/1.0`, `HTTP/1.1`, ... */
  readonly protocol: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: Headers;
}

export interface RequestHead {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly protocol: string;
  readonly headers: Headers;
}

export type MessageHead = ResponseHead | RequestHead;

/** Bytes of the start line examined before deciding that a unit is not a message at all. */
export const START_PREFIX_MAX = 64;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const PROTO_R = [0x52, 0x54, 0x53, 0x50, 0x2f]; // 'RTSP/'
const PROTO_H = [0x48, 0x54, 0x54, 0x50, 0x2f]; // 'HTTP/'

/** 1 = looks like a status line, -1 = cannot be one, 0 = need more bytes. */
function classifyStatus(b: Uint8Array, s: number, n: number, complete: boolean): number {
  const more = complete ? -1 : 0;
  if (n === 0) return more;
  const lit = b[s] === 0x52 /* 'R' */ ? PROTO_R : PROTO_H;
  let i = 0;
  for (; i < 5; i++) {
    if (i >= n) return more;
    if (b[s + i] !== lit[i]) return -1;
  }
  let d = 0;
  while (i < n && isDigit(b[s + i]!)) (i++, d++);
  if (i >= n) return more;
  if (d === 0 || b[s + i] !== 0x2e /* '.' */) return -1;
  i++;
  d = 0;
  while (i < n && isDigit(b[s + i]!)) (i++, d++);
  if (i >= n) return more;
  if (d === 0 || b[s + i] !== 0x20 /* ' ' */) return -1;
  while (i < n && b[s + i] === 0x20) i++;
  for (let k = 0; k < 3; k++, i++) {
    if (i >= n) return more;
    if (!isDigit(b[s + i]!)) return -1;
  }
  if (i >= n) return complete ? 1 : 0;
  const c = b[s + i]!;
  return c === 0x20 || c === 0x09 || c === 0x0d ? 1 : -1;
}

/** 1 = looks like `METHOD SP uri...`, -1 = cannot be one, 0 = need more bytes. */
function classifyRequest(b: Uint8Array, s: number, n: number, complete: boolean): number {
  const more = complete ? -1 : 0;
  if (n === 0) return more;
  if (!isUpper(b[s]!)) return -1;
  let i = 1;
  for (; i < n; i++) {
    const c = b[s + i]!;
    if (c === 0x20) break;
    if (!(isUpper(c) || isDigit(c) || c === 0x5f /* '_' */ || c === 0x2d /* '-' */)) return -1;
    if (i >= 32) return -1;
  }
  if (i >= n) return more;
  i++;
  if (i >= n) return more;
  const c = b[s + i]!;
  return c > 0x20 && c < 0x7f ? 1 : -1;
}

/**
 * Cheap plausibility check on the first bytes of a unit (`n` bytes of the start line from `s`, not
 * including the LF; `complete` when the line ended there). Lets a stream parser tell a message from
 * garbage within {@link START_PREFIX_MAX} bytes instead of buffering up to the head cap.
 */
export function classifyStartLine(b: Uint8Array, s: number, n: number, complete: boolean): number {
  const r = classifyStatus(b, s, n, complete);
  if (r === 1) return 1;
  const q = classifyRequest(b, s, n, complete);
  if (q === 1) return 1;
  if (r < 0 && q < 0) return -1;
  return n >= START_PREFIX_MAX ? -1 : 0;
}

/**
 * Finds the blank line that ends a head, across any number of chunks, without looking back: it keeps
 * only the length of the current line and whether that line's first byte was CR. A line is blank
 * when it is empty or a lone CR (so CRLFCRLF, LFLF, CRLFLF and LFCRLF all end a head).
 */
export class HeadEndScanner {
  private lineLen = 0;
  private firstIsCr = false;

  reset(): void {
    this.lineLen = 0;
    this.firstIsCr = false;
  }

  /** Index just past the LF that ends the head within `buf[from, end)`, or -1 (state kept). */
  scan(buf: Uint8Array, from: number, end: number): number {
    let p = from;
    while (p < end) {
      let nl = buf.indexOf(0x0a /* LF */, p);
      if (nl < 0 || nl >= end) nl = -1;
      const segEnd = nl < 0 ? end : nl;
      if (segEnd > p) {
        if (this.lineLen === 0) this.firstIsCr = buf[p] === 0x0d;
        this.lineLen += segEnd - p;
      }
      if (nl < 0) return -1;
      if (this.lineLen === 0 || (this.lineLen === 1 && this.firstIsCr)) {
        this.reset();
        return nl + 1;
      }
      this.lineLen = 0;
      p = nl + 1;
    }
    return -1;
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_RE = /^((?:RTSP|HTTP)\/\d+\.\d+)[ \t]+(\d{3})(?:[ \t]+(.*))?$/;
const REQUEST_RE = /^([A-Za-z][A-Za-z0-9_-]*)[ \t]+(\S+)[ \t]+((?:RTSP|HTTP)\/\d+\.\d+)$/;

/**
 * Parses one complete head (start line, headers, optionally the blank line). Leading CR/LF bytes are
 * skipped (RFC 9112 §2.2). Throws {@link ProtocolError} `MSG_BAD_START_LINE`, `MSG_TOO_MANY_HEADERS`,
 * `MSG_HEAD_TOO_LARGE`. Header values are decoded as latin1 (bytes preserved one to one).
 */
export function parseHead(bytes: Uint8Array, limits: HeadLimits = {}): MessageHead {
  const maxHead = limits.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
  const maxCount = limits.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
  if (bytes.length > maxHead) {
    throw new ProtocolError('MSG_HEAD_TOO_LARGE', `message head of ${bytes.length} bytes over the ${maxHead}-byte cap`);
  }
  const text = latin1(bytes);
  let p = 0;
  while (p < text.length && (text.charCodeAt(p) === 0x0d || text.charCodeAt(p) === 0x0a)) p++;

  let nl = text.indexOf('\n', p);
  if (nl < 0) nl = text.length;
  const startLine = text.slice(p, nl).trim();
  p = nl + 1;

  const headers = new Headers();
  let lastName: string | undefined;
  let lastValue = '';
  const flush = (): void => {
    if (lastName === undefined) return;
    if (headers.size >= maxCount) {
      throw new ProtocolError('MSG_TOO_MANY_HEADERS', `more than ${maxCount} header fields`, {
        context: { startLine: startLine.slice(0, 80) },
      });
    }
    headers.append(lastName, lastValue);
    lastName = undefined;
  };
  while (p < text.length) {
    let e = text.indexOf('\n', p);
    if (e < 0) e = text.length;
    const raw = text.slice(p, e);
    p = e + 1;
    const line = raw.trimEnd(); // CR and trailing spaces (Longse, retina #77)
    if (line.length === 0) break; // blank line: end of head
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) {
      // RFC 9112 §5.2 obs-fold: continuation of the previous field value.
      if (lastName !== undefined) lastValue = lastValue.length ? `${lastValue} ${line.trim()}` : line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!TOKEN_RE.test(name)) {
      // Quirk (the IP Camera Standard API 5.0.0 §5.5.3.3/§5.5.3.4 as printed): a long value wrapped onto the next line without
      // indentation (`Transport:` then `RTP/AVP;unicast;...`, or an RTP-Info URL cut mid-way). A line
      // that is not `token ":"` continues the previous field, joined without a separator; before
      // any field it is dropped.
      if (lastName !== undefined) lastValue += line.trim();
      continue;
    }
    flush();
    lastName = name;
    lastValue = line.slice(colon + 1).trim();
  }
  flush();

  let m = STATUS_RE.exec(startLine);
  if (m) {
    return { kind: 'response', protocol: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers };
  }
  m = REQUEST_RE.exec(startLine);
  if (m) {
    return { kind: 'request', method: m[1]!, uri: m[2]!, protocol: m[3]!, headers };
  }
  throw new ProtocolError('MSG_BAD_START_LINE', 'not a status or request line', {
    bytes: bytes.subarray(0, Math.min(bytes.length, 64)),
  });
}

/**
 * Body length from `Content-Length` (RFC 2326 §12.14: absent means 0 for RTSP; for HTTP absent means
 * "see Transfer-Encoding or read to close", hence `undefined`). Repeated equal values are accepted.
 * Throws `MSG_BAD_HEADER` (not a number, conflicting values) or `MSG_BODY_TOO_LARGE` (over `maxBody`).
 */
export function contentLength(headers: Headers, maxBody: number): number | undefined {
  const all = headers.getAll('content-length');
  if (all.length === 0) return undefined;
  let n = -1;
  for (const v of all) {
    const t = v.trim();
    if (!/^\d{1,15}$/.test(t)) throw new ProtocolError('MSG_BAD_HEADER', 'Content-Length is not a number', { context: { value: t.slice(0, 32) } });
    const k = Number(t);
    if (n >= 0 && k !== n) throw new ProtocolError('MSG_BAD_HEADER', 'conflicting Content-Length values');
    n = k;
  }
  if (n > maxBody) {
    throw new ProtocolError('MSG_BODY_TOO_LARGE', `body of ${n} bytes over the ${maxBody}-byte cap`, { context: { length: n } });
  }
  return n;
}

export interface HeadParseResult {
  head: MessageHead;
  /** The rest of the chunk that completed the head: a view into the caller's chunk. */
  rest: Uint8Array;
  /** Head size in bytes including the blank line. */
  headBytes: number;
}

/**
 * Push parser for a single head at the start of a stream (the HTTP client's response head). Head
 * bytes are copied into one reused scratch buffer (bounded by `maxHeadSize`); no chunk reference is
 * kept after `push` returns. Throws {@link ProtocolError}.
 */
export class HeadParser {
  private readonly maxHead: number;
  private readonly limits: HeadLimits;
  private readonly scanner = new HeadEndScanner();
  private buf: Uint8Array = new Uint8Array(0);
  private len = 0;
  private leading = true;
  private consumed = 0;

  constructor(limits: HeadLimits = {}) {
    this.limits = limits;
    this.maxHead = limits.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
  }

  /** Bytes consumed so far (absolute offset for errors). */
  get offset(): number {
    return this.consumed;
  }

  /** Feeds bytes; returns the head once its blank line arrived, else undefined. */
  push(chunk: Uint8Array): HeadParseResult | undefined {
    let p = 0;
    if (this.leading) {
      while (p < chunk.length && (chunk[p] === 0x0d || chunk[p] === 0x0a)) p++;
      if (p === chunk.length) {
        this.consumed += p;
        return undefined;
      }
      this.leading = false;
    }
    const he = this.scanner.scan(chunk, p, chunk.length);
    const stop = he < 0 ? chunk.length : he;
    const n = stop - p;
    if (this.len + n > this.maxHead) {
      throw new ProtocolError('MSG_HEAD_TOO_LARGE', `message head over the ${this.maxHead}-byte cap`, { offset: this.consumed });
    }
    this.append(chunk, p, n);
    this.consumed += stop;
    if (he < 0) return undefined;
    const headBytes = this.len;
    const head = parseHead(this.buf.subarray(0, this.len), this.limits);
    this.reset();
    return { head, rest: chunk.subarray(stop), headBytes };
  }

  /** Throws `TRUNCATED` when the stream ended inside a head. */
  end(): void {
    if (this.len > 0) throw new ProtocolError('TRUNCATED', 'stream ended inside a message head', { offset: this.consumed });
  }

  reset(): void {
    this.len = 0;
    this.leading = true;
    this.scanner.reset();
  }

  private append(src: Uint8Array, from: number, n: number): void {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.min(this.maxHead, Math.max(2048, (this.len + n) * 2)));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(src.subarray(from, from + n), this.len);
    this.len += n;
  }
}
