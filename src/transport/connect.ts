/**
 * The only code that opens sockets (DESIGN layers: transport/). TCP via node:net, TLS via node:tls
 * (rtsps://, https://), with a connect timeout and AbortSignal. Reads arrive as fresh chunks (Node
 * allocates one per read), so parsers may keep views into them until they are consumed.
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
      : netConnect({ host: o.host, port: o.port });
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
