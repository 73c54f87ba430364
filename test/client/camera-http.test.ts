import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CameraHttp } from '../../src/client/camera-http.js';
import { ProtocolError } from '../../src/errors.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import type { DhFrame } from '../../src/dh/types.js';
import type { AttachEvent } from '../../src/http/events/attach-events.js';

const corpus = (f: string): Buffer => readFileSync(new URL(`../../corpus/${f}`, import.meta.url));

let cam: VirtualHttpCamera;
let api: CameraHttp;
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
let timersBefore = 0;
beforeAll(async () => {
  timersBefore = timers();
  cam = await new VirtualHttpCamera({ auth: 'digest', mjpegFps: 200, eventIntervalMs: 10, speed: 8 }).start();
  api = new CameraHttp(cam.url());
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 30));
  expect(cam.openConnections).toBe(0); // every endpoint released its connection
  await cam.stop();
  await new Promise((r) => setTimeout(r, 30));
  // ... and every timer (idle checks, event keepalives). At most as many as before: the test runner's
  // own timers may come and go meanwhile, ours must all be gone.
  expect(timers()).toBeLessThanOrEqual(timersBefore);
});

async function take<T>(it: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}

describe('CameraHttp against VirtualHttpCamera', () => {
  it('mjpeg (the WV-V series HTTP API V2.40 video.cgi): the corpus JPEGs in order, with stats', async () => {
    const s = await api.mjpeg({ channel: 1, subtype: 0 });
    const frames = await take(s, 12);
    expect(frames.map((f) => f.index)).toEqual([...Array(12).keys()]);
    for (let i = 0; i < 12; i++) {
      expect(Buffer.from(frames[i]!.jpeg).equals(corpus(`jpeg/frame-${String((i % 10) + 1).padStart(2, '0')}.jpg`))).toBe(true);
      expect(frames[i]!.contentLength).toBe(frames[i]!.jpeg.length);
    }
    expect(s.stats.frames).toBe(12);
    expect(s.stats.fps).toBeGreaterThan(0);
    expect(s.response.closed).toBe(true);
    expect(cam.requestLog.at(-1)).toMatch(/^GET \/cgi-bin\/mjpg\/video\.cgi\?channel=1&subtype=0$/);
  });

  it('mjpeg from a raw path (the IP Camera Standard API 5.0.0 :8008 root, HTTP/1.0)', async () => {
    const s = await api.mjpeg({ path: '/' });
    expect(s.response.protocol).toBe('HTTP/1.0');
    const [f] = await take(s, 1);
    expect(f!.jpeg[0]).toBe(0xff);
    expect(f!.jpeg[1]).toBe(0xd8);
  });

  it('snapshots: the WV-V series HTTP API V2.40 snapshot.cgi and the IP Camera Standard API 5.0.0 jpg/image.cgi', async () => {
    expect(Buffer.from(await api.snapshot({ channel: 1 })).equals(corpus('jpeg/frame-01.jpg'))).toBe(true);
    expect(Buffer.from(await api.snapshot({ path: '/cgi-bin/jpg/image.cgi' })).equals(corpus('jpeg/frame-02.jpg'))).toBe(true);
  });

  it('events (the WV-V series HTTP API V2.40 attach): typed events through "-- myboundary " and the wrong Content-Length', async () => {
    const s = await api.events({ codes: ['VideoMotion', 'VideoBlind', 'MDResult'] });
    const got = (await take(s, 5)) as AttachEvent[];
    expect(got.map((e) => `${e.code}/${e.action}/${e.index}`)).toEqual([
      'VideoMotion/Start/0',
      'VideoBlind/Start/0',
      'MDResult/Pulse/0',
      'VideoMotion/Stop/0',
      'VideoMotion/Start/0',
    ]);
    expect(Array.isArray(got[2]!.data)).toBe(true);
    expect((got[2]!.data as number[]).length).toBe(18);
    expect(cam.requestLog.at(-1)).toContain('codes=[VideoMotion%2CVideoBlind%2CMDResult]');
  });

  it('events with keepalive: heartbeats arrive and keepalive bytes are sent', async () => {
    const before = cam.stats.keepaliveBytes;
    const s = await api.events({ codes: 'All', keepalive: 0.05 });
    let heartbeats = 0;
    for await (const m of s) if (m.kind === 'heartbeat' && ++heartbeats === 2) break;
    expect(heartbeats).toBe(2);
    expect(cam.stats.keepaliveBytes - before).toBeGreaterThan(0);
  });

  it('eventData get and monitor (the IP Camera Standard API 5.0.0)', async () => {
    const st = await api.eventData({ action: 'get', group: ['Motion', 'Motion1', 'IO'] });
    expect(st.motion['Motion']).toEqual({ enabled: true, level: 0, sensitivity: 80, triggered: false });
    expect(st.io?.outputs[0]?.closed).toBe(true); // XX2 = 01: Output1 closed
    expect(st.io?.inputs[0]?.enabled).toBe(false);
    const m = await api.eventData({ action: 'monitor', group: 'Motion,Motion1' });
    const parts = await take(m, 3);
    expect(parts.map((p) => p.motion['Motion']?.level)).toEqual([0, 15, 0]);
  });

  it('cgi helpers: table., key=value, root. with bare LF, and camera errors', async () => {
    expect((await api.cgi('/cgi-bin/configManager.cgi', { action: 'getConfig', name: 'Encode' })).table()).toEqual({
      table: { Encode: [{ MainFormat: [{ Video: { FPS: '25', Compression: 'H.264' } }] }] },
    });
    const root = (await api.cgi('/cgi-bin/admin/param.cgi', { action: 'list', group: 'Network' })).rootParams();
    expect(root.params['root.Network.IPAddress']).toBe('192.168.0.250');
    const e = await api.cgi('/cgi-bin/nosuch.cgi').catch((x: ProtocolError) => x);
    expect((e as ProtocolError).code).toBe('HTTP_CAMERA_ERROR');
    expect((e as ProtocolError).context['errorId']).toBe(2);
    const e0 = await api.cgi('/cgi-bin/admin/param.cgi', { action: 'list', group: 'Bogus' }).catch((x: ProtocolError) => x);
    expect((e0 as ProtocolError).code).toBe('HTTP_CAMERA_ERROR');
  });

  it('realmonitor: DH frames of the corpus file, looping', async () => {
    const s = await api.realmonitor({ channel: 1, subtype: 0 });
    const frames = await take(s, 150);
    const video = frames.filter((f) => f.kind === 'video');
    expect(video[0]!.codec).toBe('h264');
    expect(video[0]!.keyframe).toBe(true);
    expect(frames.some((f) => f.kind === 'audio' && f.codec === 'g711a')).toBe(true);
    expect(s.stats.errors).toBe(0);
  });

  it('loadFile: the .dav download as frames', async () => {
    const s = await api.loadFile({ channel: 1, startTime: '2012-10-8 13:00:01', endTime: new Date(2012, 9, 8, 14, 0, 1) });
    let video = 0;
    for await (const f of s) if (f.kind === 'video') video++;
    expect(video).toBe(100);
    expect(cam.requestLog.at(-1)).toContain('startTime=2012-10-8%2013:00:01&endTime=2012-10-08%2014:00:01');
  });

  it('playback: streamId preamble, pause stops data, play resumes with the new operateId', async () => {
    const pb = await api.playback({ channel: 1, startTime: '2012-10-8 13:00:01', endTime: '2012-10-8 14:00:01' });
    expect(pb.streamId).toMatch(/^\d+$/);
    const it = pb.frames[Symbol.asyncIterator]();
    const first: DhFrame[] = [];
    while (first.length < 10) first.push((await it.next()).value as DhFrame);
    expect(first.every((f) => (f.meta.operateId ?? 0) === 0)).toBe(true);
    await pb.control.pause();
    await new Promise((r) => setTimeout(r, 40));
    const paused = cam.playbackBytes(pb.streamId)!;
    await new Promise((r) => setTimeout(r, 120));
    expect(cam.playbackBytes(pb.streamId)).toBe(paused); // no data while paused
    const op = await pb.control.play({ speed: 1 });
    expect(op).toBe(1);
    expect(pb.operateId).toBe(1);
    const after: DhFrame[] = [];
    for (;;) {
      const f = (await it.next()).value as DhFrame;
      if (pb.isCurrent(f)) after.push(f);
      if (after.length >= 10) break;
    }
    expect(after.every((f) => f.meta.operateId === 1)).toBe(true);
    expect(cam.playbackBytes(pb.streamId)!).toBeGreaterThan(paused);
    const op2 = await pb.control.play({ iframe: true, seekTime: '2012-10-8 13:00:01' });
    expect(op2).toBe(2);
    const keys: DhFrame[] = [];
    for (;;) {
      const f = (await it.next()).value as DhFrame;
      if (pb.isCurrent(f) && f.kind === 'video') keys.push(f);
      if (keys.length >= 3) break;
    }
    expect(keys.every((f) => f.keyframe)).toBe(true); // iframe=1: I frames only
    await pb.control.cancel();
    for (;;) if ((await it.next()).done) break; // the camera ends the stream
    const bad = await api.cgi('/cgi-bin/playBack.cgi', { action: 'control', streamId: 999, cmd: 'pause' }).catch((x: ProtocolError) => x);
    expect((bad as ProtocolError).code).toBe('HTTP_CAMERA_ERROR');
  });

  it('getAudio singlepart and multipart: the corpus G.711A bytes', async () => {
    const alaw = corpus('g711a-8k.alaw');
    for (const httptype of ['singlepart', 'multipart'] as const) {
      const s = await api.getAudio({ channel: 1, httptype });
      const chunks = await take(s, 3);
      const joined = Buffer.concat(chunks.map((c) => c.data));
      expect(joined.equals(alaw.subarray(0, joined.length))).toBe(true);
      if (httptype === 'multipart') expect(chunks.every((c) => c.data.length === 800 && c.contentType === 'Audio/G.711A')).toBe(true);
    }
  });

  it('postAudio singlepart and multipart: the camera counts the same bytes we sent', async () => {
    const alaw = corpus('g711a-8k.alaw');
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 10; i++) yield alaw.subarray(i * 800, (i + 1) * 800);
    }
    for (const httptype of ['singlepart', 'multipart'] as const) {
      const b0 = cam.stats.postAudioBytes;
      const p0 = cam.stats.postAudioParts;
      const r = await api.postAudio({ channel: 1, httptype }, source());
      expect(r.answer).toBe('OK');
      expect(r.bytes).toBe(8000);
      expect(cam.stats.postAudioBytes - b0).toBe(8000);
      if (httptype === 'multipart') expect(cam.stats.postAudioParts - p0).toBe(10);
    }
  });
});
