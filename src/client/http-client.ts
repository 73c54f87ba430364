/**
 * A small HTTP/1.x client for cameras, over transport/connect.ts. Not node:http: cameras
 * answer with heads node:http refuses (bare LF line ends and HTTP/1.0 mixes, the IP Camera Standard API 5.0.0 §4.1.1; spaces
 * in boundary lines), so the shared tolerant head parser (message/head-parser.ts) reads them.
 *
 * One request per connection (`Connection: close`): what the vendor documents' cameras expect, and every stream
 * endpoint (MJPEG, events, DH) holds its connection anyway.
 *
 *   socket chunk -> HttpResponseParser (http/response-parser.ts, sans-IO: head + RFC 9112 §6.3 framing)
 *   -> AsyncQueue of body chunks (bounded: a slow consumer pauses the socket, so TCP pushes back).
 *
 * Deadlines, on one timer: the connect timeout, a complete head within `headTimeoutMs`, and no
 * silence longer than `idleTimeoutMs` while the consumer keeps up.
 *
 * Authentication (RFC 7617 Basic, RFC 7616 Digest with qop=auth and realm `DH_<mac>`, the WV-V series HTTP API V2.40 §3.5)
 * goes through the shared Authenticator: nothing is sent before the camera asks, a 401 after our
 * credentials is `AUTH_FAILED` at once (no retry loop against a wrong password), `stale=true` retries
 * with the new nonce. Credentials come from the URL (percent-decoded) or the options and never appear
 * in errors: messages carry the URL without its userinfo.
 */
import type { Socket } from 'node:net';
import { Authenticator } from '../auth/authenticator.js';
import { ProtocolError } from '../errors.js';
import { AsyncQueue } from './async-queue.js';
import type { ResponseHead } from '../message/head-parser.js';
import { Headers, type HeadersInit } from '../message/headers.js';
import { openSocket } from '../transport/connect.js';
import { cameraErrorToProtocolError, parseCameraError } from '../http/text/camera-text.js';
import { HttpResponseParser } from '../http/response-parser.js';
import { parseHttpUrl, type HttpUrl } from '../http/url.js';
import type { WireTap } from '../capture/tap.js';
import { tapSocket } from '../capture/socket-tap.js';

export const USER_AGENT = 'camstream/0.1';

export interface HttpRequestOptions {
  method?: string;
  headers?: HeadersInit;
  /**
   * A Uint8Array/string is sent with its Content-Length. An async iterable is streamed: chunked
   * unless a Content-Length header is given (then written raw; when fewer bytes than declared were
   * sent, the socket is half-closed to end the body: the WV-V series HTTP API V2.40 postAudio declares 9999999) or
   * `bodyFraming: 'close'`.
   */
  body?: Uint8Array | string | AsyncIterable<Uint8Array>;
  bodyFraming?: 'chunked' | 'close';
  /** Override the URL's credentials. */
  username?: string;
  password?: string;
  /** Share one authenticator between requests to the same camera (answers Digest without a 401 round trip). */
  authenticator?: Authenticator;
  signal?: AbortSignal;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** No byte from the camera for this long (while the consumer is not pushing back) ends with TIMEOUT. Default 30 s. */
  idleTimeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /**
   * The whole response head must arrive within this time after the request was sent, however
   * steadily its bytes trickle in (a head at 1 byte/s or endless blank lines). Default 30 s; 0 = none.
   */
  headTimeoutMs?: number;
  /** Response head cap, leading blank lines included (default 64 KiB). */
  maxHeadSize?: number;
  /** Response header count cap (default 128). */
  maxHeaderCount?: number;
  /** Chunks buffered for a slow consumer before the socket is paused (default 32). */
  highWaterMark?: number;
  /** https:// certificate check (default true; cameras often have self-signed certificates). */
  rejectUnauthorized?: boolean;
  userAgent?: string;
  /** Shown every byte both ways (a pcapng capture, `camstream dump`): src/capture/tap.ts. */
  tap?: WireTap;
}

export interface HttpResponse {
  status: number;
  reason: string;
  /** `HTTP/1.0` or `HTTP/1.1` as the camera wrote it. */
  protocol: string;
  headers: Headers;
  /** Final URL after redirects, without credentials. */
  url: string;
  /**
   * The body as it arrives. Chunks are fresh socket buffers or views into them: yours to keep.
   * Breaking out of `for await` closes the connection.
   */
  body: AsyncIterable<Uint8Array>;
  /** The whole body in one buffer; `MSG_BODY_TOO_LARGE` over `maxBytes` (default 16 MiB). */
  bytes(maxBytes?: number): Promise<Uint8Array>;
  /** The whole body as UTF-8 text (default cap 1 MiB). */
  text(maxBytes?: number): Promise<string>;
  /** Writes raw bytes on the connection (the WV-V series HTTP API V2.40 attach `keepalive=`); false when it is gone. */
  write(bytes: Uint8Array | string): boolean;
  /** Ends the connection and the body iteration (idempotent). */
  close(): void;
  readonly closed: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One request/response exchange on its own connection: the Node driver of HttpResponseParser. Owns
 * the socket, one timer (idle and head deadlines) and the body queue; every exit path goes through
 * `finish`/`fail`, which release all three.
 */
class Exchange {
  readonly head: Promise<ResponseHead>;
  private resolveHead!: (h: ResponseHead) => void;
  private rejectHead!: (e: unknown) => void;
  private gotHead = false;
  private readonly parser: HttpResponseParser;
  readonly queue: AsyncQueue<Uint8Array>;
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRx = Date.now();
  /** The complete head must have arrived by then (slowloris, endless blank lines). 0 = none. */
  private readonly headDeadline: number;
  private done = false;
  private readonly onAbort = (): void => this.fail(new ProtocolError('ABORTED', 'request aborted', { context: { url: this.url.safe } }));

  constructor(
    readonly sock: Socket,
    private readonly url: HttpUrl,
    method: string,
    private readonly idleMs: number,
    private readonly headMs: number,
    limits: { maxHeadSize?: number; maxHeaderCount?: number },
    hwm: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.head = new Promise((res, rej) => {
      this.resolveHead = res;
      this.rejectHead = rej;
    });
    this.head.catch(() => undefined);
    this.headDeadline = headMs > 0 ? Date.now() + headMs : 0;
    this.parser = new HttpResponseParser(
      {
        head: (h) => {
          this.gotHead = true;
          this.resolveHead(h);
        },
        body: (b) => this.queue.push(b),
        end: () => this.finish(),
        error: (e) => this.fail(withUrl(e, url.safe)),
      },
      { method, ...limits },
    );
    this.queue = new AsyncQueue<Uint8Array>(hwm, (p) => {
      this.paused = p;
      if (p) sock.pause();
      else {
        this.lastRx = Date.now();
        sock.resume();
      }
    });
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('end', () => this.onEnd());
    sock.on('error', (e: Error) => this.fail(new ProtocolError('CONNECTION_CLOSED', `connection error: ${e.message}`, { context: { url: url.safe }, cause: e })));
    sock.on('close', () => this.onEnd());
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.arm();
  }

  get closed(): boolean {
    return this.done;
  }

  /** One timer for the nearer of the idle and head deadlines. */
  private arm(): void {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    if (this.idleMs > 0) next = this.paused ? now + this.idleMs : this.lastRx + this.idleMs;
    if (this.headDeadline > 0 && !this.gotHead) next = Math.min(next, this.headDeadline);
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.check(), Math.max(1, next - now));
  }

  private check(): void {
    this.timer = undefined;
    if (this.done) return;
    const now = Date.now();
    if (!this.gotHead && this.headDeadline > 0 && now >= this.headDeadline) {
      this.fail(new ProtocolError('TIMEOUT', `no complete response head within ${this.headMs} ms`, { offset: this.parser.offset, context: { url: this.url.safe } }));
      return;
    }
    if (this.idleMs > 0 && !this.paused && now - this.lastRx >= this.idleMs) {
      const what = this.gotHead ? 'no data' : 'no response';
      this.fail(new ProtocolError('TIMEOUT', `${what} from the camera for ${this.idleMs} ms`, { offset: this.parser.offset, context: { url: this.url.safe } }));
      return;
    }
    this.arm();
  }

  private onData(d: Buffer): void {
    if (this.done) return;
    this.lastRx = Date.now();
    this.parser.push(d);
  }

  private onEnd(): void {
    if (this.done) return;
    this.parser.end();
    this.finish();
  }

  private release(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.sock.destroy();
  }

  /** Body complete (or closed by us): the iteration ends after what is queued. */
  finish(): void {
    if (this.done) return;
    this.release();
    this.queue.end();
    if (!this.gotHead) this.rejectHead(new ProtocolError('CONNECTION_CLOSED', 'closed before a response', { context: { url: this.url.safe } }));
  }

  fail(e: unknown): void {
    if (this.done) return;
    this.release();
    if (!this.gotHead) this.rejectHead(e);
    else this.queue.end(e);
  }
}

/** The parser knows bytes, not URLs: the driver adds the (redacted) URL to its errors. */
function withUrl(e: ProtocolError, url: string): ProtocolError {
  if (e.context['url'] !== undefined) return e;
  e.context['url'] = url;
  return e;
}

async function collect(body: AsyncIterable<Uint8Array>, max: number, url: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > max) throw new ProtocolError('MSG_BODY_TOO_LARGE', `response body over the ${max}-byte cap`, { context: { url } });
    parts.push(c);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function makeResponse(x: Exchange, head: ResponseHead, url: string): HttpResponse {
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => x.queue.next(),
      return: async () => {
        x.finish();
        return { value: undefined, done: true };
      },
    }),
  };
  return {
    status: head.status,
    reason: head.reason,
    protocol: head.protocol,
    headers: head.headers,
    url,
    body: iterable,
    bytes: (max = 16 * 1024 * 1024) => collect(iterable, max, url),
    text: async (max = 1024 * 1024) => Buffer.from(await collect(iterable, max, url)).toString('utf8'),
    write: (b) => {
      if (x.closed || x.sock.destroyed) return false;
      x.sock.write(b);
      return true;
    },
    close: () => x.finish(),
    get closed() {
      return x.closed;
    },
  };
}

function isIterable(b: unknown): b is AsyncIterable<Uint8Array> {
  return typeof b === 'object' && b !== null && Symbol.asyncIterator in b;
}

function drain(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.once('drain', done);
    sock.once('close', done);
  });
}

/** Streams an async-iterable body; stops when the connection goes away (an early answer). */
async function pumpBody(x: Exchange, source: AsyncIterable<Uint8Array>, chunked: boolean, declared: number | undefined): Promise<void> {
  const sock = x.sock;
  let sent = 0;
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (x.closed) return;
      const r = await it.next();
      if (r.done) break;
      if (x.closed) return;
      const c = r.value;
      if (c.length === 0) continue;
      sent += c.length;
      const ok = chunked ? (sock.write(`${c.length.toString(16)}\r\n`), sock.write(c), sock.write('\r\n')) : sock.write(c);
      if (!ok) await drain(sock);
    }
    if (x.closed) return;
    if (chunked) sock.write('0\r\n\r\n');
    else if (declared === undefined || sent < declared) sock.end(); // half-close ends the body; the answer is still read
  } catch (e) {
    x.fail(e instanceof ProtocolError ? e : new ProtocolError('ABORTED', `request body source failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
  } finally {
    if (x.closed) await it.return?.();
  }
}

interface Attempt {
  url: HttpUrl;
  authorization: string | undefined;
  /** Send the body as empty (authentication probe for a one-shot streaming body). */
  probe: boolean;
}

async function exchange(a: Attempt, o: HttpRequestOptions, method: string): Promise<Exchange> {
  const url = a.url;
  const user = new Headers(o.headers);
  let head = `${method} ${url.target} HTTP/1.1\r\nHost: ${url.authority}\r\n`;
  if (!user.has('user-agent')) head += `User-Agent: ${o.userAgent ?? USER_AGENT}\r\n`;
  if (!user.has('connection')) head += 'Connection: close\r\n';
  if (a.authorization !== undefined) head += `Authorization: ${a.authorization}\r\n`;
  const body = o.body;
  let fixed: Uint8Array | undefined;
  let stream: AsyncIterable<Uint8Array> | undefined;
  let chunked = false;
  let declared: number | undefined;
  if (a.probe) {
    user.delete('content-length');
    user.delete('transfer-encoding');
    fixed = new Uint8Array(0);
  } else if (typeof body === 'string') fixed = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) fixed = body;
  else if (isIterable(body)) {
    stream = body;
    const cl = user.get('content-length');
    declared = cl !== undefined && /^\d+$/.test(cl.trim()) ? Number(cl) : undefined;
    chunked = declared === undefined && !user.has('transfer-encoding') && o.bodyFraming !== 'close';
    if (chunked) user.set('Transfer-Encoding', 'chunked');
  }
  if (fixed !== undefined && (fixed.length > 0 || method === 'POST' || method === 'PUT')) user.set('Content-Length', String(fixed.length));
  for (const [n, v] of user) {
    if (/[\r\n]/.test(n) || /[\r\n]/.test(v)) throw new ProtocolError('INVALID_ARGUMENT', `header ${n.slice(0, 32)} contains a line break`);
    head += `${n}: ${v}\r\n`;
  }
  head += '\r\n';
  const sock = (await openSocket({
    host: url.host,
    port: url.port,
    tls: url.scheme === 'https',
    rejectUnauthorized: o.rejectUnauthorized,
    timeoutMs: o.connectTimeoutMs ?? 10_000,
    signal: o.signal,
  })) as Socket;
  if (o.tap) tapSocket(sock, o.tap, 'http');
  const x = new Exchange(sock, url, method, o.idleTimeoutMs ?? 30_000, o.headTimeoutMs ?? 30_000, { maxHeadSize: o.maxHeadSize, maxHeaderCount: o.maxHeaderCount }, o.highWaterMark ?? 32, o.signal);
  sock.write(head);
  if (fixed !== undefined && fixed.length > 0) sock.write(fixed);
  if (stream !== undefined) void pumpBody(x, stream, chunked, declared);
  return x;
}

/**
 * Sends one request and resolves with the final response head (after authentication and
 * redirects); the body streams from `response.body`. Any final status resolves (use
 * {@link expectOk}); 401s are handled here and end in `AUTH_REQUIRED` / `AUTH_UNSUPPORTED` /
 * `AUTH_FAILED`; more than `maxRedirects` redirects is `HTTP_REDIRECT_LOOP`.
 */
export async function httpRequest(input: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const method = (options.method ?? 'GET').toUpperCase();
  let url = parseHttpUrl(input);
  const username = options.username ?? url.username;
  const password = options.password ?? url.password ?? '';
  let auth = options.authenticator ?? new Authenticator(username !== undefined ? { username, password } : undefined);
  const maxRedirects = options.maxRedirects ?? 3;
  const oneShotBody = isIterable(options.body);
  let redirects = 0;
  let rounds = 0;
  let preemptiveRetried = false;
  if (options.signal?.aborted) throw new ProtocolError('ABORTED', 'request aborted', { context: { url: url.safe } });
  for (;;) {
    const authorization = auth.authorization(method, url.target);
    // A streaming body can be sent only once: learn the challenge with an empty body first.
    const probe = oneShotBody && authorization === undefined && auth.hasCredentials && rounds === 0;
    const x = await exchange({ url, authorization, probe }, options, method);
    const head = await x.head;
    if (head.status === 401) {
      x.finish();
      if (++rounds > 6) throw new ProtocolError('AUTH_FAILED', 'too many authentication rounds', { context: { url: url.safe } });
      if (authorization !== undefined && rounds === 1 && options.authenticator !== undefined && !preemptiveRetried) {
        // Sent from an earlier request's challenge: the nonce may simply have expired. One fresh round.
        preemptiveRetried = true;
        auth.noteSuccess();
      }
      auth.handleUnauthorized(head.headers.getAll('www-authenticate'), { url: url.safe, status: 401 });
      continue;
    }
    if (authorization !== undefined || !probe) auth.noteSuccess();
    if (probe) {
      x.finish();
      rounds = 1; // the camera did not ask: send the real body without credentials
      if (head.status < 300 || head.status >= 400) {
        const real = await exchange({ url, authorization: undefined, probe: false }, options, method);
        return makeResponse(real, await real.head, url.safe);
      }
    }
    const location = head.headers.get('location');
    if (REDIRECTS.has(head.status) && location !== undefined) {
      x.finish();
      if (++redirects > maxRedirects) {
        throw new ProtocolError('HTTP_REDIRECT_LOOP', `more than ${maxRedirects} redirects`, { context: { url: url.safe, status: head.status } });
      }
      const next = parseHttpUrl(location, url.safe);
      if (next.host !== url.host || next.port !== url.port || next.scheme !== url.scheme) {
        // Another origin never gets this camera's credentials.
        auth = new Authenticator(next.username !== undefined ? { username: next.username, password: next.password ?? '' } : undefined);
      }
      url = next;
      continue;
    }
    return makeResponse(x, head, url.safe);
  }
}

/**
 * Throws `HTTP_CAMERA_ERROR` when a short text answer is the camera's application error (the WV-V series HTTP API V2.40
 * §3.3 `Error\r\nErrorID=n, Detail=...` sent with HTTP 200; the IP Camera Standard API 5.0.0 §5.1.1.3 `# Error: ...`).
 */
export function throwIfCameraError(text: string, context: Record<string, string | number> = {}): void {
  if (text.length > 1024) return;
  const e = parseCameraError(text);
  if (e) throw cameraErrorToProtocolError(e, context);
}

/**
 * Non-2xx -> `HTTP_STATUS` (reads a short body for the camera's reason; a camera error body gives
 * `HTTP_CAMERA_ERROR` instead). Resolves with the response untouched when 2xx.
 */
export async function expectOk(res: HttpResponse): Promise<HttpResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  let text = '';
  try {
    text = await res.text(4096);
  } catch {
    /* the status is the error */
  } finally {
    res.close();
  }
  throwIfCameraError(text, { url: res.url, status: res.status });
  throw new ProtocolError('HTTP_STATUS', `HTTP ${res.status} ${res.reason}`.trimEnd(), { context: { url: res.url, status: res.status, body: text.slice(0, 120) } });
}
