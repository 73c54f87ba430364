import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { PlaybackCamera, type PlaybackCameraOptions } from '../../src/testing/virtual-camera-playback.js';
import { playbackUrl } from '../../src/rtsp/playback.js';
import { ProtocolError } from '../../src/errors.js';

let cams: PlaybackCamera[] = [];
let clients: RtspClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(cams.map((c) => c.stop()));
  cams = [];
  clients = [];
});

async function camera(o: PlaybackCameraOptions = {}): Promise<PlaybackCamera> {
  const c = await new PlaybackCamera({ pace: 'fast', ...o }).start();
  cams.push(c);
  return c;
}

function client(url: string, o: ConstructorParameters<typeof RtspClient>[1] = {}): RtspClient {
  const c = new RtspClient(url, { idleTimeoutMs: 5000, ...o });
  clients.push(c);
  return c;
}

async function all(c: RtspClient): Promise<RtspFrame[]> {
  const out: RtspFrame[] = [];
  for await (const f of c.frames()) out.push(f);
  return out;
}

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);
const FRAME_MS = 40;

describe('RTSP playback through RtspClient (PlaybackCamera)', () => {
  it('WV-V §4.1.2 /cam/playback: the requested window, absolute times from RTCP SR, ends with reason end on BYE', async () => {
    const cam = await camera({ timeZone: 60 });
    // 03:04:06 .. 03:04:08 UTC on a UTC+1 device: frames 25..74 of the recording.
    const url = playbackUrl(cam.url(), { start: new Date(T0 + 1000), end: new Date(T0 + 3000), timeZone: 60 });
    expect(url).toContain('starttime=2024_01_02_04_04_06&endtime=2024_01_02_04_04_08');
    const c = client(url);
    await c.describe();
    await c.setup();
    const answer = await c.play({ range: { npt: 0 } });
    expect(answer.range?.range).toEqual({ unit: 'npt', start: 0, end: 2 });
    const frames = await all(c);
    expect(c.endReason).toBe('end');
    expect(frames).toHaveLength(50);
    expect(frames[0]!.keyframe).toBe(true);
    frames.forEach((f, i) => expect(f.wallClockMs).toBeCloseTo(T0 + 1000 + i * FRAME_MS, 3));
    expect(cam.stats.byes).toBe(1);
  });

  it('ONVIF replay: Require: onvif-replay, Rate-Control: no, clock Range; 0xABAC times and C/D/T flags on every frame', async () => {
    // No BYE and no close: the T bit alone must end the stream.
    const cam = await camera({ end: 'silence' });
    const c = client(cam.url(), { require: ['onvif-replay'] });
    await c.describe();
    await c.setup();
    const answer = await c.play({ range: { clock: new Date(T0 + 2000) }, rateControl: false });
    expect(answer.range?.range).toEqual({ unit: 'clock', start: T0 + 2000, end: T0 + 4000 });
    expect(answer.rateControl).toBe(false);
    const frames = await all(c);
    expect(c.endReason).toBe('end');
    expect(frames).toHaveLength(50);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      expect(f.replay).toBeDefined();
      expect(f.wallClockMs).toBeCloseTo(T0 + 2000 + i * FRAME_MS, 3);
      expect(f.replay!.cleanPoint).toBe(f.keyframe);
      expect(f.replay!.terminal).toBe(i === 49);
      expect(f.replay!.endOfSection).toBe(i === 49);
      expect(f.discontinuity).toBe(i === 0);
    }
    const play = cam.requestLog.find((r) => r.method === 'PLAY')!;
    expect(play.headers).toMatchObject({ require: 'onvif-replay', 'rate-control': 'no', range: 'clock=20240102T030407Z-' });
    expect(cam.requestLog.filter((r) => r.method === 'DESCRIBE' || r.method === 'SETUP').every((r) => r.headers['require'] === 'onvif-replay')).toBe(true);
  });

  it('reverse playback (Scale: -1): GOPs last to first, each in decoding order, with their absolute times', async () => {
    const cam = await camera();
    const c = client(cam.url(), { require: ['onvif-replay'] });
    await c.describe();
    await c.setup();
    const answer = await c.play({ range: { npt: 3.96 }, scale: -1, rateControl: false });
    expect(answer.scale).toBe(-1);
    expect(answer.range?.range).toEqual({ unit: 'npt', start: 3.96, end: 0 });
    const frames = await all(c);
    expect(c.endReason).toBe('end');
    expect(frames).toHaveLength(100);
    const idx = frames.map((f) => Math.round((f.wallClockMs! - T0) / FRAME_MS));
    const want = [75, 50, 25, 0].flatMap((g) => Array.from({ length: 25 }, (_, k) => g + k));
    expect(idx).toEqual(want);
    // Each GOP starts with a clean point after a discontinuity.
    for (const g of [0, 25, 50, 75]) {
      expect(frames[g]!.replay!.cleanPoint).toBe(true);
      expect(frames[g]!.replay!.discontinuity).toBe(true);
    }
    expect(frames.filter((f) => f.replay!.discontinuity)).toHaveLength(4);
  });

  it('PAUSE and PLAY without Range resume at the next frame; a PLAY with a new Range seeks on the same session', async () => {
    const cam = await camera({ pace: 'realtime', staleFramesAfterSeek: 3 });
    const c = client(cam.url(), { require: ['onvif-replay'] });
    await c.describe();
    await c.setup();
    await c.play({ range: { npt: 0 } });
    const it = c.frames()[Symbol.asyncIterator]();
    const seen: RtspFrame[] = [];
    while (seen.length < 5) seen.push((await it.next()).value as RtspFrame);
    await c.pause();
    // Frames already on the wire before the PAUSE answer are still delivered: drain them by time.
    const pausedAt = cam.stats.framesSent;
    await c.play();
    expect(cam.requestLog.filter((r) => r.method === 'PLAY').at(-1)!.headers['range']).toBeUndefined();
    while (seen.length < pausedAt + 3) seen.push((await it.next()).value as RtspFrame);
    const idx = seen.map((f) => Math.round((f.wallClockMs! - T0) / FRAME_MS));
    expect(idx).toEqual(Array.from({ length: idx.length }, (_, i) => i));
    const sessionBefore = c.session;
    const answer = await c.play({ range: { npt: 3 }, immediate: true });
    expect(answer.range?.range).toMatchObject({ unit: 'npt', start: 3 });
    const after: RtspFrame[] = [];
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      after.push(r.value);
    }
    expect(c.session).toBe(sessionBefore);
    expect(cam.requestLog.filter((r) => r.method === 'PLAY').at(-1)!.headers).toMatchObject({ immediate: 'yes', range: 'npt=3.000-' });
    // Frames that arrived before the seek's answer continue the old position; after it, the camera
    // still sends 3 queued old frames stamped with the old PLAY's CSeq: those are dropped.
    const afterIdx = after.map((f) => Math.round((f.wallClockMs! - T0) / FRAME_MS));
    const cut = afterIdx.indexOf(75);
    expect(cut).toBeGreaterThanOrEqual(0);
    const last = idx.at(-1)!;
    expect(afterIdx.slice(0, cut)).toEqual(Array.from({ length: cut }, (_, i) => last + 1 + i));
    expect(seen.length + cut).toBe(cam.framesSentAtPlay.at(-1));
    expect(afterIdx.slice(cut)).toEqual(Array.from({ length: 25 }, (_, i) => 75 + i));
    expect(after[cut]!.discontinuity).toBe(true);
    expect(c.endReason).toBe('end');
  });

  it('a server that closes the connection after the last frame ends with reason end, not an error', async () => {
    const cam = await camera({ end: 'close' });
    const c = client(cam.url());
    await c.describe();
    await c.setup();
    await c.play({ range: { npt: 2 } });
    const frames = await all(c);
    expect(frames).toHaveLength(50);
    expect(c.endReason).toBe('end');
    expect(c.endError).toBeUndefined();
  });

  it('a bounded Range that simply stops ends with reason end once the range end is reached (never TIMEOUT)', async () => {
    const cam = await camera({ end: 'silence' });
    const c = client(cam.url(), { idleTimeoutMs: 20_000 });
    await c.describe();
    await c.setup();
    const t = Date.now();
    await c.play({ range: { npt: 3, end: 4 } });
    const frames = await all(c);
    expect(frames).toHaveLength(25);
    expect(c.endReason).toBe('end');
    // The 20 s idle timeout is not what ended it.
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it('a Require option the server lacks is a clear RTSP_UNSUPPORTED naming it (551, RFC 2326 §12.32)', async () => {
    const cam = await camera();
    const c = client(cam.url(), { require: ['com.example.nope'] });
    const err = await c.describe().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('RTSP_UNSUPPORTED');
    expect((err as ProtocolError).message).toContain('com.example.nope');
  });
});
