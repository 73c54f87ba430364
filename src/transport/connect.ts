/**
 * The only code that opens sockets (DESIGN layers: transport/). TCP via node:net, TLS via node:tls
 * (rtsps://, https://), with a connect timeout and AbortSignal. Reads arrive as fresh chunks (Node
 * allocates one per read), so parsers may keep views into them until they are consumed; or, for plain
 * TCP with a `ReadBuffer`, into one buffer reused for every read (see ReadBuffer).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ProtocolError } from '../errors.js';

export interface ConnectOptions {
  host: string;
  port: number;
  tls?: boolean;
  /** TLS: verify the server certificate (default true). Cameras often have self-signed ones. */
  rejectUnauthorized?: boolean;
  /** TLS SNI/verification name; defaults to host. */
  servername?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Plain TCP only (ignored with `tls`): reads go into this reused buffer instead of 'data' events. */
  readInto?: ReadBuffer;
}

/**
 * One receive buffer reused for every read of a plain TCP socket (Node's `onread` option): no
 * allocation per read, so a stream of 64 KiB reads does not churn external memory and the garbage
 * collector (the cost that dominates many low-rate sessions in one process; bench/many-sessions.ts).
 * Each chunk handed to the handler is a view valid only during the call: the consumer must copy
 * what it keeps (the RTSP parser does: see rtsp/rtsp-parser.ts; the wire tap contract says so).
 * Chunks read before a handler is attached are copied and handed over on `attach`.
 */
export class ReadBuffer {
  readonly buffer: Buffer;
  private handler: ((chunk: Buffer) => void) | undefined;
  private early: Buffer[] = [];

  constructor(size = 64 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(size);
  }

  /** The `onread.callback` (bound); true: keep reading (the owner pauses the socket itself). */
  readonly onRead = (n: number): boolean => {
    const chunk = this.buffer.subarray(0, n);
    if (this.handler) this.handler(chunk);
    else this.early.push(Buffer.from(chunk));
    return true;
  };

  attach(handler: (chunk: Buffer) => void): void {
    this.handler = handler;
    const early = this.early;
    this.early = [];
    for (const c of early) handler(c);
  }
}

/** The error code for a failed connect: refused and unreachable are not a drop mid-stream. */
export function connectErrorCode(err: Error & { code?: string }): 'CONNECTION_REFUSED' | 'HOST_UNREACHABLE' | 'TLS_FAILED' | 'CONNECTION_CLOSED' {
  const c = err.code ?? '';
  if (c === 'ECONNREFUSED') return 'CONNECTION_REFUSED';
  if (c === 'EHOSTUNREACH' || c === 'ENETUNREACH' || c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EADDRNOTAVAIL') return 'HOST_UNREACHABLE';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH/.test(c)) return 'TLS_FAILED';
  return 'CONNECTION_CLOSED';
}

/**
 * Opens a TCP (or TLS) connection; rejects with ProtocolError TIMEOUT / ABORTED / CONNECTION_REFUSED /
 * HOST_UNREACHABLE / TLS_FAILED (certificate not verified: pass `rejectUnauthorized: false` to accept a
 * self-signed camera certificate) / CONNECTION_CLOSED (anything else).
 */
export function openSocket(o: ConnectOptions): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new ProtocolError('ABORTED', 'connect aborted', { context: { host: o.host, port: o.port } }));
    const sock: Socket = o.tls
      ? tlsConnect({ host: o.host, port: o.port, servername: o.servername ?? (isIp(o.host) ? undefined : o.host), rejectUnauthorized: o.rejectUnauthorized ?? true })
      : netConnect(o.readInto ? { host: o.host, port: o.port, onread: { buffer: o.readInto.buffer, callback: o.readInto.onRead } } : { host: o.host, port: o.port });
    sock.setNoDelay(true);
    const readyEvent = o.tls ? 'secureConnect' : 'connect';
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      sock.off(readyEvent, onReady);
      sock.off('error', onError);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: ProtocolError): void => {
      cleanup();
      sock.destroy();
      reject(e);
    };
    const onReady = (): void => {
      cleanup();
      resolve(sock);
    };
    const onError = (err: Error & { code?: string }): void => {
      const code = connectErrorCode(err);
      const hint = code === 'TLS_FAILED' ? ' (the certificate is not trusted: rejectUnauthorized: false / --insecure accepts it)' : '';
      fail(new ProtocolError(code, `cannot connect to ${o.host}:${o.port}: ${err.message}${hint}`, { context: { host: o.host, port: o.port, errno: err.code }, cause: err }));
    };
    const onAbort = (): void => fail(new ProtocolError('ABORTED', 'connect aborted', { context: { host: o.host, port: o.port } }));
    sock.once(readyEvent, onReady);
    sock.once('error', onError);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.timeoutMs) {
      timer = setTimeout(() => fail(new ProtocolError('TIMEOUT', `connect to ${o.host}:${o.port} timed out after ${o.timeoutMs} ms`, { context: { host: o.host, port: o.port } })), o.timeoutMs);
    }
  });
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}
