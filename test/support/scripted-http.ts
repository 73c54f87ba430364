/** A loopback HTTP server that answers each request head with a script (tests of misbehaving cameras). */
import { createServer, type Server, type Socket } from 'node:net';

export interface ScriptedServer {
  url(path?: string): string;
  server: Server;
  /** Request heads received, in order. */
  requests: string[];
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

export async function scriptedHttp(respond: (s: Socket, head: string, n: number) => void): Promise<ScriptedServer> {
  const requests: string[] = [];
  const socks = new Set<Socket>();
  const server = createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    let buf = '';
    let answered = false;
    s.on('data', (d) => {
      if (answered) return;
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        answered = true;
        requests.push(buf.slice(0, end));
        respond(s, buf.slice(0, end), requests.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (p = '/') => `http://127.0.0.1:${port}${p}`,
    server,
    requests,
    open: () => socks.size,
    close: () => {
      for (const s of socks) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Resolves once `cond()` holds (checked each macrotask turn). */
export async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
