import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { Base64StreamDecoder, openHttpTunnel, tunnelGetRequest, tunnelPostRequest, type HttpTunnel } from '../../src/transport/http-tunnel.js';
import { ProtocolError } from '../../src/errors.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { PROP_RUNS, splitAt } from '../support/prop.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Collects tunnel data until `until` matches the text so far. */
function readUntil(t: HttpTunnel, until: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const on = (d: Buffer): void => {
      text += d.toString('latin1');
      if (until.test(text)) {
        t.off('data', on);
        resolve(text);
      }
    };
    t.on('data', on);
  });
}

describe('Base64StreamDecoder', () => {
  it('decodes requests each padded on its own, split at any byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(400)), (msgs, cuts) => {
        const wire = Buffer.from(msgs.map((m) => Buffer.from(m).toString('base64')).join('\r\n'), 'latin1');
        const d = new Base64StreamDecoder();
        const out = Buffer.concat(splitAt(wire, cuts).map((c) => d.push(c)));
        expect(out).toEqual(Buffer.concat(msgs));
        expect(d.invalid).toBe(0);
      }),
      { numRuns: PROP_RUNS },
    );
  });
});

describe('RTSP over HTTP tunnel', () => {
  it('request heads carry the cookie and the tunnelled content type; no header injection', () => {
    const get = tunnelGetRequest('/cam?ch=1', 'abc').toString();
    expect(get).toMatch(/^GET \/cam\?ch=1 HTTP\/1\.0\r\n/);
    expect(get).toContain('x-sessioncookie: abc\r\n');
    expect(get).toContain('Accept: application/x-rtsp-tunnelled\r\n');
    const post = tunnelPostRequest('/cam', 'abc').toString();
    expect(post).toMatch(/^POST \/cam HTTP\/1\.0\r\n/);
    expect(post).toContain('Content-Type: application/x-rtsp-tunnelled\r\n');
    expect(() => tunnelGetRequest('/a b', 'c')).toThrow(ProtocolError);
    expect(() => tunnelGetRequest('/a', 'c\r\nX: y')).toThrow(ProtocolError);
  });

  it('carries RTSP requests base64 on the POST and answers back on the GET (VirtualCamera)', async () => {
    const cam = await new VirtualCamera().start();
    cleanup.push(() => cam.stop());
    const t = await openHttpTunnel({ host: '127.0.0.1', port: cam.port, path: '/live' });
    cleanup.push(() => t.destroy());
    const answered = readUntil(t, /CSeq: 2\r\n[\s\S]*\r\n\r\n/);
    t.write(Buffer.from(`OPTIONS ${cam.url('/live')} RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
    t.write(Buffer.from(`DESCRIBE ${cam.url('/live')} RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n`));
    const text = await answered;
    expect(text).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 1\r\n/);
    expect(text).toContain('Public: OPTIONS, DESCRIBE');
    expect(cam.requestLog).toEqual([`OPTIONS ${cam.url('/live')}`, `DESCRIBE ${cam.url('/live')}`]);
    expect(cam.openConnections).toBe(2);
    const closed = once(t, 'close');
    t.destroy();
    await closed;
    expect(t.destroyed).toBe(true);
  });

  it('a refused tunnel is HTTP_STATUS with the status; a server that is not HTTP is HTTP_BAD_RESPONSE', async () => {
    const cam = await new VirtualCamera({ transports: ['tcp'] }).start();
    cleanup.push(() => cam.stop());
    const e = (await openHttpTunnel({ host: '127.0.0.1', port: cam.port }).catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('HTTP_STATUS');
    expect(e.context['status']).toBe(405);

    const conns: Socket[] = [];
    const server: Server = createServer((s: Socket) => (conns.push(s), s.end('RTSP/1.0 400 Bad Request\r\n\r\n')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => {
      for (const c of conns) c.destroy();
      server.close();
    });
    const port = (server.address() as { port: number }).port;
    const e2 = (await openHttpTunnel({ host: '127.0.0.1', port }).catch((x: unknown) => x)) as ProtocolError;
    expect(e2.code).toBe('HTTP_BAD_RESPONSE');
  });
});
