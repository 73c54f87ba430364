/**
 * A TCP relay for tests that shows every byte it forwards to a WireTap, with the real endpoints (the
 * client's socket as `local`, the server as `remote`). Until a driver calls the tap itself, this is how a
 * test captures a live session byte for byte.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { WireTap } from '../../src/capture/tap.js';

export interface TapProxy {
  port: number;
  close(): Promise<void>;
}

export async function startTapProxy(target: { host: string; port: number }, tap: WireTap, kind: 'rtsp' | 'http' = 'rtsp'): Promise<TapProxy> {
  let nextId = 1;
  const socks = new Set<Socket>();
  const server: Server = createServer((client) => {
    const id = nextId++;
    socks.add(client);
    client.pause();
    const upstream = connect(target.port, target.host, () => {
      tap.open({ id, protocol: 'tcp', kind, local: { address: client.remoteAddress!, port: client.remotePort! }, remote: { address: target.host, port: target.port } }, Date.now());
      client.resume();
    });
    socks.add(upstream);
    let closed = false;
    const done = (): void => {
      if (closed) return;
      closed = true;
      tap.close(id, Date.now());
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      tap.data(id, 'out', d, Date.now());
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      tap.data(id, 'in', d, Date.now());
      client.write(d);
    });
    client.on('close', done);
    upstream.on('close', done);
    client.on('error', done);
    upstream.on('error', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  };
}
