/**
 * Sans-IO parser for one HTTP/1.x response on its own connection: the head, then the body framed
 * as RFC 9112 §6.3 says, in the order of its rules:
 *
 *   request HEAD, status 1xx/204/304     'none'     no body (1xx interim heads are skipped: RFC 9110 §15.2)
 *   Transfer-Encoding, last coding chunked 'chunked' ChunkedDecoder (RFC 9112 §7.1)
 *   Transfer-Encoding, anything else     'close'    read until the connection closes (§6.3 rule 4)
 *   Content-Length: n                    'length'   exactly n bytes; later bytes are ignored
 *   neither                              'close'    read until the connection closes (HTTP/1.0 cameras)
 *
 * The Node driver (client/http-client.ts) feeds it socket reads and reports the connection's end;
 * the parser never does I/O and never keeps time. Results go to one sink (the same shape as
 * RtspStreamParser's: data callbacks plus `error`):
 *
 *   head(head, framing)  once, when the final head is complete and its framing is valid
 *   body(bytes)          runs of body bytes: views into the pushed chunk (see below)
 *   end()                the body is complete (or, for 'close', the connection ended)
 *   error(e)             once; the parser then ignores all input. A response cannot resync.
 *
 * Lifetimes: `body` views point into the chunk given to `push` and are valid as long as the caller
 * leaves that chunk untouched (the client pushes fresh socket buffers, so they are the consumer's to
 * keep). No chunk is referenced after `push` returns.
 *
 * Strict where a wrong guess hangs or smuggles: `Content-Length` must be 1-15 decimal digits (a list
 * of equal values, RFC 9110 §8.6, is accepted); `abc`, `-1`, 2^53 or two different values are
 * `MSG_BAD_HEADER` at once, never a body that waits forever. Bounded: the head (leading blank lines
 * included) by `maxHeadSize`, the header count, a declared or streamed body by `maxBodySize`, chunk
 * size lines and trailers by the ChunkedDecoder's caps. Every error offset is the absolute position
 * of the offending byte (or of the head for a head that does not parse), whatever the chunking.
 */
import { ProtocolError } from '../errors.js';
import { DEFAULT_MAX_HEAD_SIZE, HeadParser, type ResponseHead } from '../message/head-parser.js';
import { ChunkedDecoder } from './chunked.js';

export type HttpBodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'close' };

export interface HttpResponseSink {
  /** The final response head, once its framing was validated. */
  head(head: ResponseHead, framing: HttpBodyFraming): void;
  /** Body bytes: a view into the pushed chunk. */
  body(bytes: Uint8Array): void;
  /** The body is complete. */
  end(): void;
  error(e: ProtocolError): void;
}

export interface HttpResponseParserOptions {
  /** The request method: a `HEAD` response has no body whatever its headers say. */
  method?: string;
  /** Head bytes, leading blank lines included (default 64 KiB). */
  maxHeadSize?: number;
  /** Header fields (default 128). */
  maxHeaderCount?: number;
  /** Body bytes, declared or streamed (default: unlimited; camera streams are endless). */
  maxBodySize?: number;
  /** Interim (1xx) heads skipped before the final one (default 8). */
  maxInterimHeads?: number;
}

const enum State {
  Head,
  Length,
  Chunked,
  Close,
  Done,
  Failed,
}

const CL_VALUE = /^\d{1,15}$/;

/**
 * Validates the Content-Length field lines (RFC 9110 §8.6). Returns the length, `undefined` when there
 * is none, or a message saying why it is unusable.
 */
export function parseContentLength(values: readonly string[]): number | undefined | { bad: string } {
  if (values.length === 0) return undefined;
  let n = -1;
  for (const line of values) {
    // A list of identical values (`5, 5`) is what a proxy that joined two fields writes: accepted.
    for (const raw of line.split(',')) {
      const t = raw.trim();
      if (!CL_VALUE.test(t)) return { bad: `Content-Length ${JSON.stringify(t.slice(0, 24))} is not a length` };
      const k = Number(t);
      if (n >= 0 && k !== n) return { bad: `conflicting Content-Length values ${n} and ${k}` };
      n = k;
    }
  }
  return n;
}

export class HttpResponseParser {
  private readonly sink: HttpResponseSink;
  private readonly isHead: boolean;
  private readonly maxHead: number;
  private readonly maxBody: number;
  private readonly maxInterim: number;
  private readonly headParser: HeadParser;
  private state = State.Head;
  /** Absolute offset of byte 0 of the chunk being pushed. */
  private base = 0;
  /** Absolute offset where the current head (and its leading blank lines) began. */
  private headStart = 0;
  private interim = 0;
  private remaining = 0;
  private bodyBytes = 0;
  private chunked: ChunkedDecoder | undefined;
  private headSeen = false;

  constructor(sink: HttpResponseSink, options: HttpResponseParserOptions = {}) {
    this.sink = sink;
    this.isHead = (options.method ?? 'GET').toUpperCase() === 'HEAD';
    this.maxHead = options.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
    this.maxBody = options.maxBodySize ?? Number.MAX_SAFE_INTEGER;
    this.maxInterim = options.maxInterimHeads ?? 8;
    // The cap is enforced here (see `pushHead`), so the inner parser never meets its own.
    this.headParser = new HeadParser({ maxHeadSize: this.maxHead + 1, maxHeaderCount: options.maxHeaderCount });
  }

  /** True once the final head arrived. */
  get headReceived(): boolean {
    return this.headSeen;
  }

  /** True after `end` was delivered or an error reported. */
  get finished(): boolean {
    return this.state === State.Done || this.state === State.Failed;
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.base;
  }

  push(chunk: Uint8Array): void {
    let p = 0;
    const n = chunk.length;
    try {
      while (p < n) {
        switch (this.state) {
          case State.Head:
            p = this.pushHead(chunk, p);
            break;
          case State.Length: {
            const take = Math.min(this.remaining, n - p);
            this.remaining -= take;
            this.sink.body(take === n && p === 0 ? chunk : chunk.subarray(p, p + take));
            p += take;
            if (this.remaining === 0) this.finish();
            break;
          }
          case State.Chunked: {
            const r = this.chunked!.push(p === 0 ? chunk : chunk.subarray(p), (v) => this.sink.body(v));
            if (r < 0) p = n;
            else this.finish();
            break;
          }
          case State.Close: {
            const take = n - p;
            if (this.bodyBytes + take > this.maxBody) {
              // Bytes up to the cap are delivered whatever the chunking, then the error.
              const fit = this.maxBody - this.bodyBytes;
              if (fit > 0) this.sink.body(chunk.subarray(p, p + fit));
              const at = this.base + p + fit;
              throw new ProtocolError('MSG_BODY_TOO_LARGE', `response body over the ${this.maxBody}-byte cap`, { offset: at });
            }
            this.bodyBytes += take;
            this.sink.body(p === 0 ? chunk : chunk.subarray(p));
            p = n;
            break;
          }
          default:
            // Done: bytes after the body are not ours (one response per connection). Failed: ignored.
            p = n;
        }
      }
    } catch (e) {
      this.fail(e);
    }
    this.base += n;
  }

  /** The connection ended (EOF). Completes a read-to-close body; anything unfinished is an error. */
  end(): void {
    if (this.finished) return;
    switch (this.state) {
      case State.Head: {
        this.fail(
          this.base > 0
            ? new ProtocolError('TRUNCATED', 'connection closed inside the response head', { offset: this.base })
            : new ProtocolError('CONNECTION_CLOSED', 'connection closed before a response', { offset: this.base }),
        );
        return;
      }
      case State.Length:
        this.fail(new ProtocolError('TRUNCATED', `connection closed ${this.remaining} bytes before the end of the body`, { offset: this.base }));
        return;
      case State.Chunked:
        this.fail(new ProtocolError('TRUNCATED', 'connection closed inside a chunked body', { offset: this.base }));
        return;
      default:
        this.finish();
    }
  }

  private pushHead(chunk: Uint8Array, p: number): number {
    // Head bytes so far, counted from the head's start (leading blank lines included): the cap holds
    // against endless CRLF as well as against one huge head.
    const used = this.base + p - this.headStart;
    const room = this.maxHead - used;
    const n = chunk.length - p;
    if (room <= 0) {
      throw new ProtocolError('MSG_HEAD_TOO_LARGE', `response head over the ${this.maxHead}-byte cap`, { offset: this.headStart + this.maxHead });
    }
    const part = n <= room ? (p === 0 ? chunk : chunk.subarray(p)) : chunk.subarray(p, p + room);
    let r;
    try {
      r = this.headParser.push(part);
    } catch (e) {
      throw placed(e, this.headStart);
    }
    if (r === undefined) return p + part.length;
    const headEnd = p + part.length - r.rest.length;
    // Where the head's text began (after any leading blank lines), for errors about the head.
    const headAt = this.base + headEnd - r.headBytes;
    if (r.head.kind !== 'response') {
      throw new ProtocolError('HTTP_BAD_RESPONSE', 'the server sent a request line instead of a status line', { offset: headAt });
    }
    const head = r.head;
    if (head.status >= 100 && head.status < 200) {
      if (++this.interim > this.maxInterim) {
        throw new ProtocolError('HTTP_BAD_RESPONSE', `more than ${this.maxInterim} interim (1xx) responses`, { offset: headAt });
      }
      this.headParser.reset();
      this.headStart = this.base + headEnd;
      return headEnd;
    }
    let framing: HttpBodyFraming;
    try {
      framing = this.framingOf(head);
    } catch (e) {
      throw placed(e, headAt);
    }
    this.headSeen = true;
    const bodyStart = this.base + headEnd;
    this.sink.head(head, framing);
    if (framing.kind === 'length' && framing.length > 0) {
      this.state = State.Length;
      this.remaining = framing.length;
    } else if (framing.kind === 'chunked') {
      this.state = State.Chunked;
      this.chunked = new ChunkedDecoder({ maxBodyBytes: this.maxBody, offset: bodyStart });
    } else if (framing.kind === 'close') {
      this.state = State.Close;
    } else {
      this.finish();
    }
    return headEnd;
  }

  private framingOf(head: ResponseHead): HttpBodyFraming {
    if (this.isHead || head.status === 204 || head.status === 304) return { kind: 'none' };
    const te = head.headers.getAll('transfer-encoding');
    if (te.length > 0) {
      // RFC 9112 §6.1: Transfer-Encoding overrides Content-Length; the last coding decides.
      const codings = te.join(',').split(',');
      const last = codings[codings.length - 1]!.trim().toLowerCase();
      return last === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
    }
    const cl = parseContentLength(head.headers.getAll('content-length'));
    if (cl === undefined) return { kind: 'close' };
    if (typeof cl === 'object') throw new ProtocolError('MSG_BAD_HEADER', cl.bad);
    if (cl > this.maxBody) {
      throw new ProtocolError('MSG_BODY_TOO_LARGE', `declared body of ${cl} bytes over the ${this.maxBody}-byte cap`, { context: { length: cl } });
    }
    return { kind: 'length', length: cl };
  }

  private finish(): void {
    if (this.finished) return;
    this.state = State.Done;
    this.sink.end();
  }

  private fail(e: unknown): void {
    if (this.finished) return;
    this.state = State.Failed;
    this.sink.error(
      e instanceof ProtocolError
        ? e
        : new ProtocolError('HTTP_BAD_RESPONSE', `response parser failed: ${e instanceof Error ? e.message : String(e)}`, { offset: this.base, cause: e }),
    );
  }
}

/** A head error without a position (parseHead's) gets the head's absolute offset. */
function placed(e: unknown, offset: number): unknown {
  if (!(e instanceof ProtocolError) || e.offset >= 0) return e;
  return new ProtocolError(e.code, e.message.slice(e.code.length + 2), { offset, context: e.context, cause: e.cause });
}
