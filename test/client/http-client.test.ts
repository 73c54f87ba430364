import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, expectOk, throwIfCameraError } from '../../src/client/http-client.js';
import { ChunkedDecoder } from '../../src/http/chunked.js';
import { ProtocolError } from '../../src/errors.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { CameraHttp } from '../../src/client/camera-http.js';
import { splitAt } from '../support/prop.js';
import { scriptedHttp } from '../support/scripted-http.js';

/** A loopback server that answers every request with `respond(socket, requestHead)`. */
const scripted = scriptedHttp;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'resolved';
}

function encodeChunked(body: Buffer, sizes: number[]): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (const n of sizes) {
    const c = body.subarray(i, i + n);
    i += c.length;
    out.push(Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\nX-Trailer: y\r\n\r\n'));
  return Buffer.concat(out);
}

describe('ChunkedDecoder (RFC 9112 §7.1)', () => {
  const body = Buffer.from('hello chunked camera world');
  const wire = encodeChunked(body, [5, 1, 10, 100]);

  it('decodes the same body at every split offset (two and three pieces)', () => {
    const copy = Buffer.from(wire);
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b += 7) {
        const d = new ChunkedDecoder();
        const got: Buffer[] = [];
        let end = -1;
        for (const piece of splitAt(wire, [a, b])) {
          end = d.push(piece, (v) => got.push(Buffer.from(v)));
        }
        expect(Buffer.concat(got).toString()).toBe(body.toString());
        expect(d.done).toBe(true);
        expect(end).toBeGreaterThanOrEqual(0);
      }
    }
    expect(wire.equals(copy)).toBe(true); // input not modified
  });

  it('accepts bare LF line ends', () => {
    const d = new ChunkedDecoder();
    const got: string[] = [];
    d.push(Buffer.from('3\nabc\n0\n\n'), (v) => got.push(Buffer.from(v).toString()));
    expect(got.join('')).toBe('abc');
    expect(d.done).toBe(true);
  });

  it('reports the end index so bytes after the body are not taken as body', () => {
    const d = new ChunkedDecoder();
    expect(d.push(Buffer.from('1\r\nz\r\n0\r\n\r\nGARBAGE'), () => undefined)).toBe(11);
  });

  it.each([
    ['non-hex size', 'zz\r\n'],
    ['size over 15 hex digits', '1000000000000000\r\n'],
    ['data not followed by CRLF', '2\r\nabX'],
    ['extension line over the cap', `1;${'e'.repeat(5000)}\r\n`],
  ])('MSG_BAD_CHUNK: %s', (_n, text) => {
    const d = new ChunkedDecoder();
    let code = '';
    try {
      d.push(Buffer.from(text), () => undefined);
    } catch (e) {
      code = (e as ProtocolError).code;
    }
    expect(code).toBe('MSG_BAD_CHUNK');
  });

  it('caps the decoded body', () => {
    const d = new ChunkedDecoder({ maxBodyBytes: 4 });
    expect(() => d.push(Buffer.from('8\r\n12345678\r\n'), () => undefined)).toThrow(/MSG_BODY_TOO_LARGE/);
  });
});

describe('httpRequest tolerance', () => {
  it('HTTP/1.0, bare-LF head, body read until close', async () => {
    const srv = await scripted((s) => {
      s.write('HTTP/1.0 200 OK\nContent-Type: text/plain\n\nroot.Network.IPAddress=192.168.0.250\n');
      setTimeout(() => s.end('root.Network.SubnetMask=255.255.255.0\n'), 20);
    });
    const res = await httpRequest(srv.url('/cgi-bin/admin/param.cgi?action=list'));
    expect(res.protocol).toBe('HTTP/1.0');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('root.Network.IPAddress=192.168.0.250\nroot.Network.SubnetMask=255.255.255.0\n');
    expect(srv.requests[0]).toMatch(/^GET \/cgi-bin\/admin\/param\.cgi\?action=list HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    expect(srv.requests[0]).toContain('Connection: close');
    await srv.close();
  });

  it('Content-Length: exactly that many bytes (the IP Camera Standard API 5.0.0 image.cgi writes "\\r\\n" after the JPEG)', async () => {
    const srv = await scripted((s) => s.end('HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nabcd\r\n'));
    const res = await httpRequest(srv.url());
    expect(Buffer.from(await res.bytes()).toString()).toBe('abcd');
    await srv.close();
  });

  it('chunked body over the socket, written one byte at a time', async () => {
    const body = Buffer.from('x'.repeat(300) + 'end');
    const wire = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), encodeChunked(body, [1, 2, 200, 500])]);
    const srv = await scripted((s) => {
      let i = 0;
      const step = (): void => {
        if (i >= wire.length) return;
        s.write(wire.subarray(i, i + 37));
        i += 37;
        setImmediate(step);
      };
      step();
    });
    const res = await httpRequest(srv.url());
    expect(Buffer.from(await res.bytes()).toString()).toBe(body.toString());
    await srv.close();
  });

  it('bad chunk framing ends the body with MSG_BAD_CHUNK', async () => {
    const srv = await scripted((s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nqq\r\n'));
    const res = await httpRequest(srv.url());
    expect(await codeOf(res.bytes())).toBe('MSG_BAD_CHUNK');
    await srv.close();
  });

  it('head over the cap: MSG_HEAD_TOO_LARGE; closed mid-body: TRUNCATED', async () => {
    const big = await scripted((s) => s.write(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(5000)}\r\n\r\n`));
    expect(await codeOf(httpRequest(big.url(), { maxHeadSize: 1024 }))).toBe('MSG_HEAD_TOO_LARGE');
    await big.close();
    const cut = await scripted((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const res = await httpRequest(cut.url());
    expect(await codeOf(res.bytes())).toBe('TRUNCATED');
    await cut.close();
  });

  it('skips 100 Continue and honours HEAD / 204 without a body', async () => {
    const srv = await scripted((s) => s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n'));
    const res = await httpRequest(srv.url());
    expect(res.status).toBe(204);
    expect((await res.bytes()).length).toBe(0);
    await srv.close();
  });

  it('a 200 with a camera error body is HTTP_CAMERA_ERROR via throwIfCameraError', async () => {
    expect(() => throwIfCameraError('Error\r\nErrorID=2, Detail= Invalid Request!\r\n')).toThrow(/HTTP_CAMERA_ERROR/);
    expect(() => throwIfCameraError('OK\r\n')).not.toThrow();
    const srv = await scripted((s) => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot Found'));
    const res = await httpRequest(srv.url());
    const e = await expectOk(res).catch((x: ProtocolError) => x);
    expect((e as ProtocolError).code).toBe('HTTP_STATUS');
    expect((e as ProtocolError).context['status']).toBe(404);
    await srv.close();
  });
});

describe('httpRequest redirects, timeouts, abort', () => {
  it('follows a bounded number of redirects, then HTTP_REDIRECT_LOOP', async () => {
    const srv = await scripted((s, head) => {
      if (head.startsWith('GET /final')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else if (head.startsWith('GET /hop2')) s.end('HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n');
      else if (head.startsWith('GET /hop1')) s.end('HTTP/1.1 301 Moved\r\nLocation: /hop2\r\nContent-Length: 0\r\n\r\n');
      else s.end('HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n');
    });
    const res = await httpRequest(srv.url('/hop1'));
    expect(await res.text()).toBe('ok');
    expect(res.url).toMatch(/\/final$/);
    const before = srv.requests.length;
    expect(await codeOf(httpRequest(srv.url('/loop'), { maxRedirects: 3 }))).toBe('HTTP_REDIRECT_LOOP');
    expect(srv.requests.length - before).toBe(4);
    await srv.close();
  });

  it('no answer: TIMEOUT after idleTimeoutMs; socket released', async () => {
    const srv = await scripted(() => undefined);
    const t0 = Date.now();
    expect(await codeOf(httpRequest(srv.url(), { idleTimeoutMs: 150 }))).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 30));
    expect(srv.open()).toBe(0);
    await srv.close();
  });

  it('a stalled body after the head: TIMEOUT on the body iteration', async () => {
    const srv = await scripted((s) => s.write('HTTP/1.0 200 OK\r\n\r\nsome'));
    const res = await httpRequest(srv.url(), { idleTimeoutMs: 150 });
    expect(await codeOf(res.bytes())).toBe('TIMEOUT');
    await srv.close();
  });

  it('AbortSignal: ABORTED while waiting for the head and while streaming', async () => {
    const srv = await scripted((s, head) => {
      if (head.startsWith('GET /stream')) s.write('HTTP/1.0 200 OK\r\n\r\nabc');
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await codeOf(httpRequest(srv.url('/wait'), { signal: ac.signal }))).toBe('ABORTED');
    const ac2 = new AbortController();
    const res = await httpRequest(srv.url('/stream'), { signal: ac2.signal });
    const it = res.body[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('abc');
    ac2.abort();
    expect(await codeOf(it.next())).toBe('ABORTED');
    expect(await codeOf(httpRequest(srv.url(), { signal: ac2.signal }))).toBe('ABORTED');
    await new Promise((r) => setTimeout(r, 30));
    expect(srv.open()).toBe(0);
    await srv.close();
  });

  it('breaking out of the body iteration closes the connection', async () => {
    const srv = await scripted((s) => {
      s.write('HTTP/1.0 200 OK\r\n\r\n');
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('data')), 5);
      s.on('close', () => clearInterval(t));
    });
    const res = await httpRequest(srv.url());
    let n = 0;
    for await (const c of res.body) {
      expect(c.length).toBeGreaterThan(0);
      if (++n === 3) break;
    }
    expect(res.closed).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(srv.open()).toBe(0);
    await srv.close();
  });

  it('connection refused is CONNECTION_REFUSED (not a drop mid-stream)', async () => {
    const srv = await scripted(() => undefined);
    const url = srv.url();
    await srv.close();
    expect(await codeOf(httpRequest(url))).toBe('CONNECTION_REFUSED');
  });
});

describe('httpRequest authentication (the WV-V series HTTP API V2.40 §3.5)', () => {
  let cam: VirtualHttpCamera;
  beforeAll(async () => {
    cam = await new VirtualHttpCamera({ auth: 'digest', username: 'admin', password: 'p@ss:w/rd' }).start();
  });
  afterAll(() => cam.stop());

  it('Digest qop=auth with realm DH_<mac>: credentials from the URL, percent-decoded', async () => {
    const res = await httpRequest(cam.url('/cgi-bin/magicBox.cgi?action=getProductDefinition&name=MaxExtraStream'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('table.MaxExtraStream=1\r\n');
  });

  it('a wrong password is AUTH_FAILED after exactly two requests, and the password never shows', async () => {
    const before = cam.stats.requests;
    const e = await httpRequest(`http://admin:WrongSecret@127.0.0.1:${cam.port}/cgi-bin/snapshot.cgi`).catch((x: ProtocolError) => x);
    expect((e as ProtocolError).code).toBe('AUTH_FAILED');
    expect(cam.stats.requests - before).toBe(2);
    expect(JSON.stringify((e as ProtocolError).toJSON())).not.toContain('WrongSecret');
    expect((e as Error).message).not.toContain('WrongSecret');
  });

  it('no credentials: AUTH_REQUIRED; options override the URL', async () => {
    expect(await codeOf(httpRequest(cam.url('/cgi-bin/snapshot.cgi', false)))).toBe('AUTH_REQUIRED');
    const res = await httpRequest(cam.url('/cgi-bin/snapshot.cgi', false), { username: 'admin', password: 'p@ss:w/rd' });
    expect(res.status).toBe(200);
    res.close();
  });

  it('stale nonce: a shared authenticator retries with the new nonce', async () => {
    const c = new CameraHttp(cam.url());
    expect((await c.cgi('/cgi-bin/magicBox.cgi', { action: 'getSystemInfo' })).keyValues()['deviceType']).toBe('IPC-HDW4300C');
    cam.digest.rotateNonce();
    const before = cam.stats.requests;
    expect((await c.cgi('/cgi-bin/magicBox.cgi', { action: 'getSystemInfo' })).keyValues()['deviceType']).toBe('IPC-HDW4300C');
    expect(cam.stats.requests - before).toBe(2); // stale answer, then success
  });

  it('Basic', async () => {
    const b = await new VirtualHttpCamera({ auth: 'basic' }).start();
    const res = await httpRequest(b.url('/cgi-bin/snapshot.cgi'));
    expect(res.status).toBe(200);
    res.close();
    await b.stop();
  });
});

describe('httpRequest hardening: a response that cannot settle fails at once', () => {
  // Before the framing moved into HttpResponseParser, the head was marked received before its
  // Content-Length was validated: the promise for the head never settled and no timer was left.
  const bad = ['9007199254740992', 'abc', '-1', '5\r\nContent-Length: 6', '1e3'];
  for (const value of bad) {
    it(`Content-Length: ${JSON.stringify(value)} -> MSG_BAD_HEADER (httpRequest and CameraHttp), connection released`, async () => {
      // The server keeps the connection open: only the client can end this exchange.
      const srv = await scripted((s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\nbody`));
      try {
        expect(await codeOf(httpRequest(srv.url(), { idleTimeoutMs: 0, headTimeoutMs: 0 }))).toBe('MSG_BAD_HEADER');
        const cam = new CameraHttp(srv.url(), { idleTimeoutMs: 0, headTimeoutMs: 0 });
        expect(await codeOf(cam.cgi('/cgi-bin/x.cgi'))).toBe('MSG_BAD_HEADER');
        await waitFor(() => srv.open() === 0);
      } finally {
        await srv.close();
      }
    }, 10_000);
  }

  it('a head trickling in at one byte per tick (slowloris): TIMEOUT at the head deadline although never idle', async () => {
    const text = Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(5000)}\r\n\r\n`);
    const timers = new Set<NodeJS.Timeout>();
    const srv = await scripted((s) => {
      let i = 0;
      const t = setInterval(() => (i < text.length && !s.destroyed ? s.write(text.subarray(i, ++i)) : clearInterval(t)), 5);
      timers.add(t);
    });
    try {
      const e = await httpRequest(srv.url(), { idleTimeoutMs: 5_000, headTimeoutMs: 300 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('TIMEOUT');
      expect((e as ProtocolError).message).toMatch(/response head within 300 ms/);
      await waitFor(() => srv.open() === 0);
    } finally {
      for (const t of timers) clearInterval(t);
      await srv.close();
    }
  });

  it('endless blank lines before the status line: TIMEOUT at the head deadline', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const srv = await scripted((s) => {
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('\r\n')), 5);
      timers.add(t);
    });
    try {
      const e = await httpRequest(srv.url(), { idleTimeoutMs: 5_000, headTimeoutMs: 300 }).catch((x: unknown) => x);
      expect((e as ProtocolError).code).toBe('TIMEOUT');
    } finally {
      for (const t of timers) clearInterval(t);
      await srv.close();
    }
  });

  it('a megabyte of blank lines at once: MSG_HEAD_TOO_LARGE, the head cap counts them', async () => {
    const srv = await scripted((s) => s.write(Buffer.alloc(1 << 20, 0x0a)));
    try {
      expect(await codeOf(httpRequest(srv.url(), { idleTimeoutMs: 0, headTimeoutMs: 0 }))).toBe('MSG_HEAD_TOO_LARGE');
    } finally {
      await srv.close();
    }
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
