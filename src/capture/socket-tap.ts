/**
 * Shows one connected node:net / node:tls socket to a WireTap: every chunk read ('data', after TLS
 * decryption) and every buffer written, with Date.now() times, then the close. The one place drivers
 * that own a plain socket (the HTTP client) hook a tap in; nothing is buffered or copied here.
 */
import type { Socket } from 'node:net';
import type { WireConnection, WireTap } from './tap.js';

const ids = new WeakMap<WireTap, number>();

/** Connection ids unique per tap (drivers number their own connections with this too). */
export function nextConnectionId(tap: WireTap): number {
  const id = (ids.get(tap) ?? 0) + 1;
  ids.set(tap, id);
  return id;
}

export function tapSocket(sock: Socket, tap: WireTap, kind: WireConnection['kind'], now: () => number = Date.now): number {
  const id = nextConnectionId(tap);
  tap.open(
    {
      id,
      protocol: 'tcp',
      kind,
      local: { address: sock.localAddress ?? '0.0.0.0', port: sock.localPort ?? 0 },
      remote: { address: sock.remoteAddress ?? '0.0.0.0', port: sock.remotePort ?? 0 },
    },
    now(),
  );
  sock.prependListener('data', (d: Buffer) => tap.data(id, 'in', d, now()));
  const write = sock.write;
  sock.write = function (this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string') tap.data(id, 'out', Buffer.from(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'), now());
    else if (chunk instanceof Uint8Array) tap.data(id, 'out', chunk, now());
    return (write as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
  } as Socket['write'];
  sock.once('close', () => tap.close(id, now()));
  return id;
}
