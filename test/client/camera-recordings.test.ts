import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CameraHttp } from '../../src/client/camera-http.js';
import { ProtocolError } from '../../src/errors.js';
import { VirtualHttpCamera, type VirtualRecording } from '../../src/testing/virtual-camera-http.js';
import { scriptedHttp, until } from '../support/scripted-http.js';
import { cli } from '../support/cli.js';

const dav = readFileSync(new URL('../../corpus/dh/h264-g711a.dav', import.meta.url));

/** 250 one-minute recordings on channel 3, 2024-1-1 from 00:00. */
const many: VirtualRecording[] = Array.from({ length: 250 }, (_, i) => ({
  channel: 3,
  startTime: `2024-1-1 ${Math.floor(i / 60)}:${String(i % 60).padStart(2, '0')}:00`,
  endTime: `2024-1-1 ${Math.floor((i + 1) / 60)}:${String((i + 1) % 60).padStart(2, '0')}:00`,
  type: i % 2 ? 'dav' : 'mp4',
  events: i % 5 ? [] : ['VideoMotion'],
  videoStream: 'Main',
  filePath: `/mnt/dvr/sda0/2024/1/1/dav/${i}.dav`,
  length: 1000 + i,
  duration: 60,
}));

let cam: VirtualHttpCamera;
let api: CameraHttp;
beforeAll(async () => {
  cam = await new VirtualHttpCamera({ auth: 'digest', recordings: many }).start();
  api = new CameraHttp(cam.url());
});
afterAll(async () => {
  await until(() => cam.openConnections === 0);
  await cam.stop();
});

describe('findRecordings (WV-V series HTTP API V2.40 §4.11.5) against the HTTP virtual camera', () => {
  it("the document's example answer, typed", async () => {
    const doc = await new VirtualHttpCamera().start();
    try {
      const r = await new CameraHttp(doc.url()).findRecordings({ channel: 1, start: '2011-1-1 0:00:00', end: '2011-1-1 23:59:59' });
      expect(r.truncated).toBe(false);
      expect(r.files.length).toBe(2);
      expect(r.files[0]).toMatchObject({ channel: 1, start: new Date(2011, 0, 1, 12), end: new Date(2011, 0, 1, 13), type: 'dav', events: ['AlarmLocal'], videoStream: 'Main', filePath: '/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg', size: 790, duration: 3600 });
      expect(doc.requestLog.map((l) => l.replace(/object=\d+/, 'object=ID').split('&condition')[0])).toEqual([
        'GET /cgi-bin/mediaFileFind.cgi?action=factory.create',
        'GET /cgi-bin/mediaFileFind.cgi?action=findFile&object=ID',
        'GET /cgi-bin/mediaFileFind.cgi?action=findNextFile&object=ID&count=100',
        'GET /cgi-bin/mediaFileFind.cgi?action=close&object=ID',
        'GET /cgi-bin/mediaFileFind.cgi?action=destroy&object=ID',
      ]);
      expect(doc.openFinders).toEqual({ created: 1, open: 0, unclosed: 0 });
    } finally {
      await doc.stop();
    }
  });

  it('pages of 100 until a short page; filters by type and event; the finder released', async () => {
    const before = cam.requestLog.length;
    const r = await api.findRecordings({ channel: 3, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00' });
    expect(r.files.length).toBe(250);
    expect(r.pages).toBe(3);
    expect(r.files.map((f) => f.size)).toEqual(many.map((m) => m.length));
    expect(cam.requestLog.slice(before).filter((l) => l.includes('findNextFile')).length).toBe(3);
    const motion = await api.findRecordings({ channel: 3, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00', types: ['mp4'], events: ['VideoMotion'] });
    expect(motion.files.length).toBe(25);
    for (const f of motion.files) expect(f).toMatchObject({ type: 'mp4', events: ['VideoMotion'] });
    expect(cam.openFinders.open).toBe(0);
  });

  it('maxResults bounds the paging (truncated), the finder still released', async () => {
    const r = await api.findRecordings({ channel: 3, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00', pageSize: 40, maxResults: 90 });
    expect(r).toMatchObject({ truncated: true, pages: 3 });
    expect(r.files.length).toBe(90);
    expect(cam.openFinders.open).toBe(0);
  });

  it('nothing found ("Error" to findFile) is an empty result, not a failure', async () => {
    const r = await api.findRecordings({ channel: 3, start: '2030-1-1 00:00:00', end: '2030-1-2 00:00:00' });
    expect(r).toEqual({ files: [], truncated: false, pages: 0 });
    expect(cam.openFinders.open).toBe(0);
  });

  it('an error in the middle still closes and destroys the finder', async () => {
    const seen: string[] = [];
    const srv = await scriptedHttp((s, head) => {
      const line = head.split('\r\n')[0]!;
      seen.push(line.replace(/&condition.*? HTTP/, ' HTTP'));
      const body = line.includes('factory.create') ? 'result= 77\r\n' : line.includes('findNextFile') ? 'this is not a findNextFile answer\r\n' : 'OK\r\n';
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    try {
      const e = await new CameraHttp(srv.url()).findRecordings({ channel: 1, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('HTTP_BAD_RESPONSE');
      expect(seen.map((l) => /action=([\w.]+)/.exec(l)![1])).toEqual(['factory.create', 'findFile', 'findNextFile', 'close', 'destroy']);
      expect(seen.at(-1)).toContain('object=77');
    } finally {
      await srv.close();
    }
  });

  it('invalid queries fail before a finder is created', async () => {
    const before = cam.openFinders.created;
    await expect(api.findRecordings({ channel: 0, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00' })).rejects.toThrow(/from 1/);
    await expect(api.findRecordings({ channel: 1, start: '2024-1-1 00:00:00', end: '2024-1-2 00:00:00', pageSize: 101 })).rejects.toThrow(/1 to 100/);
    expect(cam.openFinders.created).toBe(before);
  });
});

describe('storagemanagement.cgi (IP Camera Standard API 5.0.0 §5.1.5)', () => {
  it('list, then download one file: the bytes the camera holds', async () => {
    const files = await api.listStoredFiles();
    expect(files.map((f) => f.name)).toEqual(['A_20110101_010101.avi', 'M_20110102_083000.avi']);
    expect(files[0]!.start).toEqual(new Date(2011, 0, 1, 1, 1, 1));
    const res = await api.downloadStoredFile(files[0]!.name);
    expect(Buffer.from(await res.bytes()).equals(dav)).toBe(true);
    await expect(api.downloadStoredFile('nope.avi')).rejects.toMatchObject({ code: 'HTTP_CAMERA_ERROR' });
  });
});

describe('camstream recordings', () => {
  it('--json lists what findRecordings finds; a storagemanagement.cgi URL lists the local storage', async () => {
    const r = await cli(['recordings', cam.url(), '--from', '2024-01-01 03:00:00', '--to', '2024-01-01 03:10:00', '--channel', '3', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { files: Array<{ start: string; filePath: string }>; truncated: boolean };
    expect(out.truncated).toBe(false);
    expect(out.files.map((f) => f.start)).toEqual(Array.from({ length: 10 }, (_, i) => `2024-01-01 03:0${i}:00`));
    const text = await cli(['recordings', cam.url(), '--from', '2024-01-01 03:00:00', '--to', '2024-01-01 03:02:00', '--channel', '3']);
    expect(text.out.trim().split('\n').length).toBe(2);
    expect(text.err).toMatch(/2 file\(s\)/);
    const stored = await cli(['recordings', cam.url('/cgi-bin/admin/storagemanagement.cgi'), '--from', '2011-01-01 00:00:00', '--to', '2011-01-02 00:00:00', '--json']);
    expect(JSON.parse(stored.out)).toEqual({ files: [{ name: 'A_20110101_010101.avi', start: '2011-01-01 01:01:01' }], truncated: false });
    expect(r.out + r.err + text.out + stored.out).not.toContain(cam.options.password);
  });

  it('bad times are usage errors', async () => {
    const r = await cli(['recordings', cam.url(), '--from', 'yesterday', '--to', '2024-01-01 00:00:00']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--from yesterday/);
  });
});
