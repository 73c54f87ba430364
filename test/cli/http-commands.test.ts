import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { knownDurationS } from '../../src/cli/commands/record-http.js';
import { cli } from '../support/cli.js';
import { until } from '../support/scripted-http.js';

let cam: VirtualHttpCamera;
let dir: string;
beforeAll(async () => {
  cam = await new VirtualHttpCamera({ auth: 'digest', eventIntervalMs: 5, speed: 16 }).start();
  dir = mkdtempSync(join(tmpdir(), 'camstream-http-cli-'));
});
afterAll(async () => {
  await until(() => cam.openConnections === 0);
  await cam.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('camstream events <url>', () => {
  it("sends the URL's own codes= and keepalive= (options only fill in what it leaves out)", async () => {
    const url = cam.url('/cgi-bin/eventManager.cgi?action=attach&codes=[AlarmLocal]&keepalive=1');
    const r = await cli(['events', url, '--count', '2', '--keepalive', '30', '--codes', 'VideoMotion']);
    expect(r.code).toBe(0);
    expect(cam.requestLog.filter((l) => l.includes('eventManager')).at(-1)).toBe('GET /cgi-bin/eventManager.cgi?action=attach&codes=[AlarmLocal]&keepalive=1');
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as { code: string });
    expect(events.length).toBe(2);
    for (const e of events) expect(e.code).toBe('AlarmLocal');
  });

  it('a camera URL without a path subscribes with the options', async () => {
    const r = await cli(['events', cam.url(), '--count', '1', '--codes', 'VideoBlind']);
    expect(r.code).toBe(0);
    expect(cam.requestLog.filter((l) => l.includes('eventManager')).at(-1)).toBe('GET /cgi-bin/eventManager.cgi?action=attach&codes=[VideoBlind]');
    expect(JSON.parse(r.out)).toMatchObject({ code: 'VideoBlind' });
  });
});

describe('camstream record <http url> that is not a DH stream', () => {
  const cases = [
    { name: 'a camera error answer', path: '/cgi-bin/realmonitor.cgi?action=bogus', message: /HTTP_CAMERA_ERROR.*Request invalid param/ },
    { name: 'a JPEG', path: '/cgi-bin/snapshot.cgi', message: /HTTP_BAD_RESPONSE.*JPEG/ },
    { name: 'an MJPEG stream', path: '/cgi-bin/mjpg/video.cgi', message: /HTTP_BAD_RESPONSE.*multipart/ },
  ];
  for (const c of cases) {
    it(`${c.name}: a clear error, exit 1, no file left`, async () => {
      const out = join(dir, `${c.name.replace(/\W+/g, '-')}.h264`);
      const r = await cli(['record', cam.url(c.path), '-o', out]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(c.message);
      expect(r.err).not.toMatch(/done: 0 frames/);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('camstream record <http playback/download url>', () => {
  it('knownDurationS reads startTime/endTime of playBack.cgi and loadfile.cgi URLs', () => {
    expect(knownDurationS('http://c/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2024-01-01%2010:00:00&endTime=2024-01-01%2010:05:30')).toBe(330);
    expect(knownDurationS('http://c/cgi-bin/playBack.cgi?action=getStream&startTime=2024-01-01 23:59:00&endTime=2024-01-02 00:01:00')).toBe(120);
    expect(knownDurationS('http://c/cgi-bin/realmonitor.cgi?action=getStream')).toBeUndefined();
    expect(knownDurationS('http://c/x?startTime=2024-01-01%2010:00:00&endTime=2024-01-01%2009:00:00')).toBeUndefined();
  });

  it('a loadfile.cgi download is saved, and the summary says how much of the recording it covered', async () => {
    const out = join(dir, 'download.h264');
    const r = await cli(['record', cam.url('/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2024-01-01%2010:00:00&endTime=2024-01-01%2010:00:10'), '-o', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/: h264 640x360, [1-9]\d* frames .* of 10\.0 s of the recording\) \(end of stream\)/);
    expect(statSync(out).size).toBeGreaterThan(0);
  });
});
