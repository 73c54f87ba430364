/**
 * RtspClient against misbehaving servers on loopback: each case ends with its expected code within
 * a bound, leaves no handle of the client behind after close(), and never shows the password (in
 * the error, warnings or the message event). In-process; the client's handles are checked through
 * `resources` and the wire tap's open/close, deterministically.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RtspClient } from '../../src/client/rtsp-client.js';
import { RtspStreamParser } from '../../src/rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeResponse } from '../../src/rtsp/encode.js';
import { ProtocolError } from '../../src/errors.js';
import type { RequestHead } from '../../src/message/head-parser.js';

const PASSWORD = 'Pw-9f3kq';
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n';

interface Req {
  method: string;
  uri: string;
  cseq: string;
  headers: RequestHead['headers'];
}
type Handler = (req: Req, sock: Socket, n: number) => void;

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

async function serve(handler: Handler, onConnect?: (sock: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const srv = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    onConnect?.(sock);
    let n = 0;
    const p = new RtspStreamParser({
      message: (m) => {
        const h = m.head as RequestHead;
        if (h.kind === 'request') handler({ method: h.method, uri: h.uri, cseq: h.headers.get('cseq') ?? '0', headers: h.headers }, sock, n++);
      },
      interleaved: () => undefined,
      error: () => undefined,
    });
    sock.on('data', (d) => p.push(d));
  });
  const close = srv.close.bind(srv);
  srv.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as Server['close'];
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return `rtsp://admin:${PASSWORD}@127.0.0.1:${port}/stream`;
}

const ok = (sock: Socket, r: Req, headers: Record<string, string> = {}, body?: string): void => {
  sock.write(encodeResponse(200, 'OK', { CSeq: r.cseq, ...headers }, body));
};

/** A camera that works: OPTIONS, DESCRIBE, SETUP, PLAY answered; `after(sock)` runs after PLAY. */
function camera(after?: (sock: Socket, r: Req) => void, overrides: Partial<Record<string, (sock: Socket, r: Req) => void>> = {}): Handler {
  return (r, sock) => {
    const o = overrides[r.method];
    if (o) return o(sock, r);
    switch (r.method) {
      case 'DESCRIBE':
        return ok(sock, r, { 'Content-Type': 'application/sdp', 'Content-Base': 'rtsp://127.0.0.1/stream/' }, SDP);
      case 'SETUP':
        return ok(sock, r, { Session: 'F1;timeout=60', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      case 'PLAY':
        ok(sock, r, { Session: 'F1' });
        return after?.(sock, r);
      default:
        return ok(sock, r, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
    }
  };
}

function rtp(seq: number, ts: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = 0x80 | 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(0x1234, 8);
  b.set(payload, 12);
  return encodeInterleaved(0, b);
}
const IDR = Buffer.from([0x65, 1, 2, 3, 4, 5, 6, 7]);

interface Outcome {
  error: ProtocolError | undefined;
  ms: number;
  client: RtspClient;
  text: string;
  opened: number;
  closed: number;
}

/** Runs start() + frames() to the end, then close(); collects everything the client said. */
async function run(url: string, opts: ConstructorParameters<typeof RtspClient>[1] = {}, listenMessages = true): Promise<Outcome> {
  let opened = 0;
  let closed = 0;
  const said: string[] = [];
  const client = new RtspClient(url, {
    requestTimeoutMs: 1500,
    connectTimeoutMs: 1500,
    ...opts,
    tap: { open: () => void opened++, close: () => void closed++, data: () => undefined },
  });
  client.on('warning', (w) => said.push(String(w), JSON.stringify(w)));
  if (listenMessages) client.on('message', (_d, t) => said.push(t));
  const t0 = Date.now();
  let error: unknown;
  try {
    await client.start();
    for await (const _ of client.frames());
  } catch (e) {
    error = e;
  }
  const ms = Date.now() - t0;
  await client.close();
  if (error !== undefined && !(error instanceof ProtocolError)) throw error;
  const e = error as ProtocolError | undefined;
  said.push(String(e), JSON.stringify(e ?? null), e?.stack ?? '');
  return { error: e, ms, client, text: said.join('\n'), opened, closed };
}

function expectClean(o: Outcome): void {
  expect(o.client.resources).toEqual({ socket: false, timer: false });
  expect(o.closed).toBe(o.opened);
  expect(o.text).not.toContain(PASSWORD);
  expect(o.text).not.toContain(Buffer.from(`admin:${PASSWORD}`).toString('base64'));
}

describe('RtspClient fault matrix', () => {
  it('close mid-frame: CONNECTION_CLOSED after the complete frames', async () => {
    const url = await serve(
      camera((sock) => {
        sock.write(Buffer.concat([rtp(1, 0, IDR), rtp(2, 3600, IDR), rtp(3, 7200, IDR).subarray(0, 9)]));
        sock.end();
      }),
    );
    const o = await run(url);
    expect(o.error?.code).toBe('CONNECTION_CLOSED');
    expect(o.client.stats.frames).toBe(2);
    expect(o.ms).toBeLessThan(3000);
    expectClean(o);
  });

  it('RST after PLAY: CONNECTION_CLOSED', async () => {
    const url = await serve(camera((sock) => setImmediate(() => sock.resetAndDestroy())));
    const o = await run(url);
    expect(o.error?.code).toBe('CONNECTION_CLOSED');
    expectClean(o);
  });

  it('stall after PLAY: TIMEOUT (no data) within the idle bound', async () => {
    const url = await serve(camera());
    const o = await run(url, { idleTimeoutMs: 300 });
    expect(o.error?.code).toBe('TIMEOUT');
    expect(o.ms).toBeLessThan(2000);
    expectClean(o);
  });

  it('endless 401 with fresh nonces: AUTH_FAILED at the second', async () => {
    let n = 0;
    const url = await serve((r, sock) => sock.write(encodeResponse(401, 'Unauthorized', { CSeq: r.cseq, 'WWW-Authenticate': `Digest realm="x", nonce="n${n++}"` })));
    const o = await run(url);
    expect(o.error?.code).toBe('AUTH_FAILED');
    expect(n).toBe(2);
    expect(o.error?.message).toMatch(/OPTIONS rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/stream answered 401/);
    expectClean(o);
  });

  it('stale=true forever: AUTH_FAILED after a bounded number of retries', async () => {
    let n = 0;
    const url = await serve((r, sock) => sock.write(encodeResponse(401, 'Unauthorized', { CSeq: r.cseq, 'WWW-Authenticate': `Digest realm="x", nonce="s${n++}", stale=true` })));
    const o = await run(url);
    expect(o.error?.code).toBe('AUTH_FAILED');
    expect(n).toBeLessThanOrEqual(6);
    expectClean(o);
  });

  it('5xx: RTSP_STATUS with the status', async () => {
    const url = await serve(camera(undefined, { DESCRIBE: (sock, r) => sock.write(encodeResponse(503, 'Service Unavailable', { CSeq: r.cseq })) }));
    const o = await run(url);
    expect(o.error?.code).toBe('RTSP_STATUS');
    expect(o.error?.context['status']).toBe(503);
    expectClean(o);
  });

  it('redirect loop: RTSP_REDIRECT_LOOP, every connection closed', async () => {
    const url = await serve((r, sock) => sock.write(encodeResponse(302, 'Found', { CSeq: r.cseq, Location: '/again' })));
    const o = await run(url, { maxRedirects: 3 });
    expect(o.error?.code).toBe('RTSP_REDIRECT_LOOP');
    expect(o.opened).toBe(4);
    expectClean(o);
  });

  it('454 to PLAY: RTSP_SESSION_NOT_FOUND', async () => {
    const url = await serve(camera(undefined, { PLAY: (sock, r) => sock.write(encodeResponse(454, 'Session Not Found', { CSeq: r.cseq })) }));
    const o = await run(url);
    expect(o.error?.code).toBe('RTSP_SESSION_NOT_FOUND');
    expectClean(o);
  });

  it('unanswered keepalives are counted warnings; a 454 to one ends the session', async () => {
    let keepalives = 0;
    const url = await serve(
      camera(
        (sock) => {
          let seq = 0;
          const t = setInterval(() => sock.writable && sock.write(rtp(++seq, seq * 3600, IDR)), 20);
          sock.on('close', () => clearInterval(t));
        },
        { GET_PARAMETER: (sock, r) => void (++keepalives === 3 && sock.write(encodeResponse(454, 'Session Not Found', { CSeq: r.cseq }))) },
      ),
    );
    const o = await run(url, { keepaliveIntervalMs: 200, requestTimeoutMs: 150 });
    expect(o.error?.code).toBe('RTSP_SESSION_NOT_FOUND');
    expect(o.client.stats.keepalivesUnanswered).toBe(2);
    expect(o.client.stats.frames).toBeGreaterThan(5);
    expectClean(o);
  });

  it('a 1 MB head: reported, and the request times out (bounded)', async () => {
    const url = await serve((r, sock) => sock.write(`RTSP/1.0 200 OK\r\nCSeq: ${r.cseq}\r\nX: ${'a'.repeat(1 << 20)}\r\n\r\n`));
    const o = await run(url, { requestTimeoutMs: 500 });
    expect(o.error?.code).toBe('TIMEOUT');
    expect(o.text).toMatch(/MSG_HEAD_TOO_LARGE/);
    expect(o.ms).toBeLessThan(3000);
    expectClean(o);
  });

  it('garbage before the reply: resynced, the stream plays', async () => {
    const url = await serve(
      camera(
        (sock) => {
          sock.write(Buffer.concat([rtp(1, 0, IDR), rtp(2, 3600, IDR)]));
          sock.end();
        },
        { OPTIONS: (sock, r) => sock.write(Buffer.concat([Buffer.from('\x00\xffjunk junk\r\n'), encodeResponse(200, 'OK', { CSeq: r.cseq })])) },
      ),
    );
    const o = await run(url);
    expect(o.client.stats.frames).toBe(2);
    expect(o.error?.code).toBe('CONNECTION_CLOSED');
    expectClean(o);
  });

  it('a server that floods requests and never reads: LIMIT_EXCEEDED, memory bounded by the backlog cap', async () => {
    // A Python server with a 4 KiB receive buffer: the backlog builds after a few MB, not after the
    // tens of MB Linux autotunes a Node server's buffer to.
    const proc = spawn('/usr/bin/python3', [fileURLToPath(new URL('../support/rtsp-never-reads.py', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        proc.stdout!.on('data', (d: Buffer) => {
          const m = /READY (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const o = await run(`rtsp://admin:${PASSWORD}@127.0.0.1:${port}/s`, { maxWriteBacklog: 256 * 1024 }, false);
      expect(o.error?.code).toBe('LIMIT_EXCEEDED');
      expectClean(o);
    } finally {
      proc.kill();
    }
  }, 30_000);

  it('RTCP BYE after the last frame: frames() ends cleanly with endReason end, TEARDOWN sent', async () => {
    const methods: string[] = [];
    const bye = Buffer.from([0x81, 203, 0, 1, 0, 0, 0x12, 0x34]);
    const cam = camera((sock) => sock.write(Buffer.concat([rtp(1, 0, IDR), rtp(2, 3600, IDR), encodeInterleaved(1, bye)])));
    const url = await serve((r, sock, n) => {
      methods.push(r.method);
      cam(r, sock, n);
    });
    const o = await run(url);
    expect(o.error).toBeUndefined();
    expect(o.client.endReason).toBe('end');
    expect(o.client.stats.frames).toBe(2);
    await new Promise<void>((r) => (methods.includes('TEARDOWN') ? r() : setImmediate(r)));
    expect(methods).toContain('TEARDOWN');
    expectClean(o);
  });

  it('refused connection: CONNECTION_REFUSED, not CONNECTION_CLOSED', async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const o = await run(url);
    expect(o.error?.code).toBe('CONNECTION_REFUSED');
    expectClean(o);
  });
});
