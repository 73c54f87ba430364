import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { runCli } from '../../src/cli/registry.js';
import { PassThrough } from 'node:stream';

/** Raw bytes of one answer (the first `n` bytes, or until close). */
function raw(port: number, request: string, n = Infinity): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(request));
    let got = Buffer.alloc(0);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= n) {
        s.destroy();
        resolve(got.subarray(0, n).toString('latin1'));
      }
    });
    s.on('end', () => resolve(got.toString('latin1')));
    s.on('error', reject);
  });
}

describe('VirtualHttpCamera wire format (as the vendor documents print it)', () => {
  let cam: VirtualHttpCamera;
  beforeAll(async () => {
    cam = await new VirtualHttpCamera({ eventIntervalMs: 5 }).start();
  });
  afterAll(() => cam.stop());

  it('the WV-V series HTTP API V2.40 attach: head and "-- myboundary " parts, MDResult with the too-short Content-Length', async () => {
    const text = await raw(cam.port, 'GET /cgi-bin/eventManager.cgi?action=attach&codes=[All] HTTP/1.1\r\nHost: x\r\n\r\n', 600);
    expect(text.startsWith('HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nPragma: no-cache\r\nExpires: Thu, 01 Dec 2099 16:00:00 GMT\r\nConnection: close\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n-- myboundary \r\nContent-Type: text/plain\r\nContent-Length: 39\r\nCode=VideoMotion; action=Start; index=0\r\n\r\n-- myboundary \r\n')).toBe(true);
    expect(text).toContain('Content-Length: 38\r\nCode= MDResult; action=Pulse; index=0; data=61708863,0,0,');
  });

  it('the WV-V series HTTP API V2.40 §4.11.5 mediaFileFind: the example answers with their spacing; storagemanagement (IP Camera Standard API 5.0.0 §5.1.5)', async () => {
    const body = (t: string): string => t.slice(t.indexOf('\r\n\r\n') + 4);
    const get = (q: string): Promise<string> => raw(cam.port, `GET /cgi-bin/mediaFileFind.cgi?${q} HTTP/1.1\r\nHost: x\r\n\r\n`).then(body);
    expect(await get('action=factory.create')).toBe('result= 2086170840\r\n');
    expect(await get('action=findFile&object=2086170840&condition.Channel=1&condition.Types[0]=dav&condition.Events[0]=AlarmLocal&condition.StartTime=2011-1-1%2012:00:00&condition.EndTime=2011-1-1%2012:30:00')).toBe('OK\r\n');
    expect(await get('action=findNextFile&object=2086170840&count=100')).toBe(
      'found=1\r\n items[0]. Channel =1\r\nitems[0]. StartTime =2011-1-1 12:00:00\r\nitems[0]. EndTime =2011-1-1 13:00:00\r\nitems[0]. Type =dav\r\nitems[0]. Events[0]=AlarmLocal\r\n' +
        'items[0]. VideoStream=Main\r\nitems[0]. FilePath =/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg\r\nitems[0]. Length =790\r\nitems[0]. Duration = 3600\r\n',
    );
    expect(await get('action=findNextFile&object=2086170840&count=100')).toBe('found=0\r\n');
    expect(await get('action=close&object=2086170840')).toBe('OK\r\n');
    expect(await get('action=destroy&object=2086170840')).toBe('OK\r\n');
    expect(await get('action=factory.create')).toBe('result= 08137\r\n');
    expect(await get('action=findFile&object=08137&condition.Channel=9&condition.StartTime=2011-1-1%2012:00:00&condition.EndTime=2011-1-1%2012:30:00')).toBe('Error\r\n');
    expect(await get('action=destroy&object=08137')).toBe('OK\r\n');
    expect(cam.openFinders).toEqual({ created: 2, open: 0, unclosed: 0 });
    const list = await raw(cam.port, 'GET /cgi-bin/admin/storagemanagement.cgi?action=list HTTP/1.0\r\n\r\n');
    expect(list).toBe('HTTP/1.0 200 OK\r\nContent-Type: text/plain\n\nA_20110101_010101.avi\nM_20110102_083000.avi\n');
  });

  it('the IP Camera Standard API 5.0.0: param.cgi with bare-LF header lines, image.cgi with CRLF after the JPEG, 200 + Error for unknown CGIs', async () => {
    const p = await raw(cam.port, 'GET /cgi-bin/admin/param.cgi?action=list HTTP/1.0\r\n\r\n');
    expect(p).toBe('HTTP/1.0 200 OK\r\nContent-Type: text/plain\n\nroot.Network.IPAddress=192.168.0.250\nroot.Network.SubnetMask=255.255.255.0\n');
    const img = await raw(cam.port, 'GET /cgi-bin/jpg/image.cgi HTTP/1.0\r\n\r\n');
    expect(img.startsWith('HTTP/1.0 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: ')).toBe(true);
    expect(img.endsWith('\xff\xd9\r\n')).toBe(true);
    const err = await raw(cam.port, 'GET /cgi-bin/bogus.cgi HTTP/1.1\r\n\r\n');
    expect(err.endsWith('\r\n\r\nError\r\nErrorID=2, Detail=Invalid Request!\r\n')).toBe(true);
    expect(err.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
  });

  it('Digest challenge: qop="auth", realm DH_<mac>', async () => {
    const d = await new VirtualHttpCamera({ auth: 'digest' }).start();
    const t = await raw(d.port, 'GET /cgi-bin/snapshot.cgi HTTP/1.1\r\n\r\n');
    expect(t).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="DH_00408CA5EA04", qop="auth", nonce="[0-9a-f]{32}"/);
    await d.stop();
  });

  it('camstream events prints one JSON event per line', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (x) => (out += x));
    const code = await runCli(['events', cam.url('/'), '--codes', 'VideoMotion,AlarmLocal', '--count', '3'], { stdin: new PassThrough(), stdout, stderr: new PassThrough() });
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { code: string; action: string; index: number });
    expect(lines.map((l) => `${l.code}/${l.action}/${l.index}`)).toEqual(['VideoMotion/Start/0', 'VideoMotion/Stop/0', 'AlarmLocal/Start/1']);
  });
});
