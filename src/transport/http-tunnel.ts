/**
 * RTSP over HTTP tunnelling, as Apple's "Tunneling QuickTime RTSP and RTP over HTTP" describes it
 * and as Axis cameras, live555 (openRTSP -T), FFmpeg (`rtsp_transport http`) and GStreamer do it:
 *
 *   client                                   server
 *   GET  /path HTTP/1.0 ----------------->   (1) the server-to-client channel
 *        x-sessioncookie: C                      HTTP/1.0 200 OK
 *        Accept: application/x-rtsp-tunnelled    Content-Type: application/x-rtsp-tunnelled
 *                          <---------------      then RTSP answers and `$` interleaved data, raw
 *   POST /path HTTP/1.0 ----------------->   (2) the client-to-server channel, never answered
 *        x-sessioncookie: C                      body: every RTSP request (and interleaved RTCP)
 *        Content-Type: application/x-rtsp-tunnelled   base64-encoded, each write on its own
 *
 * Both connections carry the same cookie so the server can pair them. Media then flows as RTP over
 * TCP interleaved (RFC 2326 §10.12) on the GET connection. `https://` runs both over TLS.
 *
 * `HttpTunnel` looks like the control socket to the RTSP driver (write / data / close / pause /
 * resume / destroy). The pure pieces (request heads, base64 stream decoding for a server) sit at
 * the end of this file and do no I/O.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { openSocket } from './connect.js';

export interface HttpTunnelOptions {
  host: string;
  port: number;
  /** https:// (both connections over TLS). */
  tls?: boolean;
  rejectUnauthorized?: boolean;
  /** Request target of both GET and POST: the RTSP URL's path and query (default '/'). */
  path?: string;
  userAgent?: string;
  /** Per connection (default 10 s), the GET answer included. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Cap on the GET answer's head (default 16 KiB). */
  maxHeadSize?: number;
}

export interface HttpTunnelEvents {
  data: [chunk: Buffer];
  close: [];
  error: [error: Error];
}

/** Both connections of one tunnel, behaving as one duplex byte stream. */
export class HttpTunnel extends EventEmitter {
  /** The pairing cookie (random; not a secret credential, but never reused). */
  readonly cookie: string;
  private closedFlag = false;
  private pausedByUser = false;

  constructor(
    private readonly getSock: Socket,
    private readonly postSock: Socket,
    cookie: string,
    leftover: Buffer | undefined,
  ) {
    super();
    this.cookie = cookie;
    getSock.on('data', (d: Buffer) => this.emit('data', d));
    const onClose = (): void => this.shutdown();
    getSock.on('close', onClose);
    getSock.on('error', (e) => this.emit('error', e));
    // The server never answers the POST; a POST that closes ends the tunnel too (nothing more can be sent).
    postSock.on('close', onClose);
    postSock.on('error', (e) => this.emit('error', e));
    postSock.on('data', () => undefined);
    // The head reader paused the GET socket: bytes after the head go first, then the stream resumes
    // (after the caller attached its listeners).
    setImmediate(() => {
      if (this.closedFlag) return;
      if (leftover && leftover.length > 0) this.emit('data', leftover);
      if (!this.pausedByUser) getSock.resume();
    });
  }

  get destroyed(): boolean {
    return this.closedFlag;
  }

  /** The server's address as seen on the GET connection. */
  get remoteAddress(): string | undefined {
    return this.getSock.remoteAddress;
  }

  get localAddress(): string | undefined {
    return this.getSock.localAddress;
  }

  /** Sends bytes (one RTSP request, or an interleaved RTCP frame) base64-encoded on the POST connection. */
  write(bytes: Uint8Array): boolean {
    if (this.closedFlag) return false;
    return this.postSock.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
  }

  get remotePort(): number | undefined {
    return this.getSock.remotePort;
  }

  get localPort(): number | undefined {
    return this.getSock.localPort;
  }

  get remoteFamily(): string | undefined {
    return this.getSock.remoteFamily;
  }

  /** Bytes waiting to leave on the POST connection (the driver's write-backlog cap reads this). */
  get writableLength(): number {
    return this.postSock.writableLength;
  }

  get writableCorked(): number {
    return this.postSock.writableCorked;
  }

  /** Batches writes into one POST segment until `uncork`. */
  cork(): void {
    this.postSock.cork();
  }

  uncork(): void {
    this.postSock.uncork();
  }

  /** Lets pending writes leave, then closes both connections. */
  end(cb?: () => void): this {
    if (this.closedFlag) {
      cb?.();
      return this;
    }
    this.postSock.end(() => {
      this.shutdown();
      cb?.();
    });
    return this;
  }

  pause(): this {
    this.pausedByUser = true;
    this.getSock.pause();
    return this;
  }

  resume(): this {
    this.pausedByUser = false;
    this.getSock.resume();
    return this;
  }

  destroy(): this {
    this.shutdown();
    return this;
  }

  private shutdown(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.getSock.destroy();
    this.postSock.destroy();
    this.emit('close');
  }
}

/** Typed EventEmitter surface. */
export interface HttpTunnel {
  on<K extends keyof HttpTunnelEvents>(event: K, listener: (...args: HttpTunnelEvents[K]) => void): this;
  once<K extends keyof HttpTunnelEvents>(event: K, listener: (...args: HttpTunnelEvents[K]) => void): this;
  off<K extends keyof HttpTunnelEvents>(event: K, listener: (...args: HttpTunnelEvents[K]) => void): this;
  emit<K extends keyof HttpTunnelEvents>(event: K, ...args: HttpTunnelEvents[K]): boolean;
}

/**
 * Opens the GET connection, waits for its `200`, then opens the POST connection. Rejects with
 * `HTTP_STATUS` (the server refused the tunnel, status in context), `HTTP_BAD_RESPONSE`,
 * `MSG_HEAD_TOO_LARGE`, `TIMEOUT`, `ABORTED` or `CONNECTION_CLOSED`.
 */
export async function openHttpTunnel(o: HttpTunnelOptions): Promise<HttpTunnel> {
  const cookie = newCookie();
  const conn = { host: o.host, port: o.port, tls: o.tls, rejectUnauthorized: o.rejectUnauthorized, timeoutMs: o.timeoutMs ?? 10_000, signal: o.signal };
  const path = o.path ?? '/';
  const ctx = { host: o.host, port: o.port, tunnel: o.tls ? 'https' : 'http' };
  const getSock = await openSocket(conn);
  let leftover: Buffer | undefined;
  try {
    getSock.write(tunnelGetRequest(path, cookie, o.userAgent));
    const { status, reason, rest } = await readHttpHead(getSock, o.maxHeadSize ?? 16 * 1024, o.timeoutMs ?? 10_000, ctx);
    if (status !== 200) throw new ProtocolError('HTTP_STATUS', `the server refused the RTSP-over-HTTP tunnel: ${status} ${reason}`, { context: { ...ctx, status } });
    leftover = rest;
  } catch (e) {
    getSock.destroy();
    throw e;
  }
  let postSock: Socket;
  try {
    postSock = await openSocket(conn);
  } catch (e) {
    getSock.destroy();
    throw e;
  }
  postSock.write(tunnelPostRequest(path, cookie, o.userAgent));
  return new HttpTunnel(getSock, postSock, cookie, leftover);
}

/** Reads one HTTP response head from the socket (bounded); the bytes after it are returned. */
function readHttpHead(sock: Socket, max: number, timeoutMs: number, ctx: Record<string, string | number>): Promise<{ status: number; reason: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (e: ProtocolError | undefined, v?: { status: number; reason: string; rest: Buffer }): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      sock.off('error', onClose);
      if (e) reject(e);
      else resolve(v!);
    };
    const onData = (d: Buffer): void => {
      chunks.push(d);
      size += d.length;
      const all = chunks.length === 1 ? d : Buffer.concat(chunks, size);
      chunks.length = 0;
      chunks.push(all);
      const end = findHeadEnd(all);
      if (end < 0) {
        if (size > max) done(new ProtocolError('MSG_HEAD_TOO_LARGE', `tunnel GET answer head over ${max} bytes`, { offset: 0, context: ctx }));
        return;
      }
      const head = all.subarray(0, end).toString('latin1');
      const m = /^HTTP\/\d\.\d\s+(\d{3})\s*([^\r\n]*)/.exec(head);
      if (!m) return done(new ProtocolError('HTTP_BAD_RESPONSE', 'tunnel GET answer is not HTTP', { offset: 0, context: ctx, bytes: all }));
      sock.pause();
      done(undefined, { status: Number(m[1]), reason: m[2]!.trim(), rest: all.subarray(end) });
    };
    const onClose = (): void => done(new ProtocolError('CONNECTION_CLOSED', 'the server closed the tunnel GET connection before answering', { offset: size, context: ctx }));
    const timer = setTimeout(() => done(new ProtocolError('TIMEOUT', `tunnel GET got no answer within ${timeoutMs} ms`, { context: ctx })), timeoutMs);
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.on('error', onClose);
  });
}

/** Offset just past the blank line ending an HTTP head (CRLF CRLF or bare LF LF), or -1. */
function findHeadEnd(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x0a /* LF */) continue;
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d /* CR */ && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Pure pieces (no I/O)

/** A pairing cookie: 22 URL-safe characters (128 random bits), as QuickTime clients send. */
export function newCookie(): string {
  return randomBytes(16).toString('base64url');
}

/** The GET (server-to-client) request head. */
export function tunnelGetRequest(path: string, cookie: string, userAgent = 'camstream'): Buffer {
  checkToken(path, 'path');
  checkToken(cookie, 'cookie');
  return Buffer.from(
    `GET ${path} HTTP/1.0\r\nUser-Agent: ${userAgent.replace(/[\r\n]/g, ' ')}\r\nx-sessioncookie: ${cookie}\r\nAccept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\r\n`,
    'latin1',
  );
}

/**
 * The POST (client-to-server) request head. The Content-Length is the customary large placeholder
 * (the body never ends while the session lives; servers read it as a stream).
 */
export function tunnelPostRequest(path: string, cookie: string, userAgent = 'camstream'): Buffer {
  checkToken(path, 'path');
  checkToken(cookie, 'cookie');
  return Buffer.from(
    `POST ${path} HTTP/1.0\r\nUser-Agent: ${userAgent.replace(/[\r\n]/g, ' ')}\r\nx-sessioncookie: ${cookie}\r\nContent-Type: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nContent-Length: 32767\r\nExpires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n`,
    'latin1',
  );
}

function checkToken(v: string, what: string): void {
  if (/[\s\x00-\x1f\x7f]/.test(v)) throw new ProtocolError('INVALID_ARGUMENT', `tunnel ${what} contains whitespace or control characters`);
}

/**
 * Decodes the POST body of a tunnel as it streams in: base64 with each client write padded on its
 * own (so `=` may appear mid-stream), split anywhere between TCP chunks, whitespace ignored. For
 * servers (the VirtualCamera) and tests. Invalid characters are skipped and counted.
 */
export class Base64StreamDecoder {
  /** Characters outside the base64 alphabet (skipped). */
  invalid = 0;
  private readonly quad = new Uint8Array(4);
  private n = 0;
  private pad = 0;

  /** Decodes what is complete in `chunk`; returns the bytes (a fresh buffer, possibly empty). */
  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(Math.ceil(((this.n + chunk.length) * 3) / 4));
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const v = c === 0x3d /* '=' */ ? 64 : B64[c]!;
      if (v === 255) {
        if (c !== 0x0d && c !== 0x0a && c !== 0x20 && c !== 0x09) this.invalid++;
        continue;
      }
      if (v === 64) this.pad++;
      this.quad[this.n++] = v === 64 ? 0 : v;
      if (this.n < 4) continue;
      const q = this.quad;
      const bits = (q[0]! << 18) | (q[1]! << 12) | (q[2]! << 6) | q[3]!;
      out[o++] = bits >> 16;
      if (this.pad < 2) out[o++] = (bits >> 8) & 0xff;
      if (this.pad < 1) out[o++] = bits & 0xff;
      this.n = 0;
      this.pad = 0;
    }
    return out.subarray(0, o);
  }
}

const B64 = (() => {
  const t = new Uint8Array(256).fill(255);
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < a.length; i++) t[a.charCodeAt(i)] = i;
  return t;
})();
