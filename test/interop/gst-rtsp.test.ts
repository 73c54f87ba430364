/**
 * Interop with a real third-party server: GStreamer's RTSP server (gst-rtsp-server 1.22), with ffmpeg
 * as the decode oracle. Installed by scripts/install-peers.sh; skipped with a warning outside CI when
 * missing, a failure in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { corpusPath } from '../../src/testing/media-source.js';
import { ProtocolError } from '../../src/errors.js';
import { GST_H264_LIVE, ffmpegDecodeErrors, ffprobeFrameCount, missing, startGst, type GstServer } from '../support/peers.js';

const skip = missing('gst') || missing('ffmpeg');
const creds = { user: 'viewer', password: 'p@ss:w0rd' };

describe.skipIf(skip)('GStreamer RTSP server interop', () => {
  let gst: GstServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-gst-'));
    gst = await startGst({
      auth: 'digest',
      user: creds.user,
      password: creds.password,
      timeout: 10,
      mounts: {
        '/live': GST_H264_LIVE,
        // The corpus file, unchanged: h264parse only frames it, the payloader sends what it gets.
        '/file': `filesrc location=${corpusPath('h264-640x360-25fps.h264')} ! h264parse ! rtph264pay name=pay0 pt=96`,
      },
    });
  });
  afterAll(async () => {
    await gst?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('records 5 s of live H.264 over TCP with Digest; ffmpeg decodes it cleanly with the same frame count', async () => {
    const client = new RtspClient(gst.url('/live', creds));
    const d = await client.start();
    expect(d.authScheme).toBe('Digest');
    expect(d.server).toMatch(/GStreamer/);
    const frames: RtspFrame[] = [];
    let started = false;
    for await (const f of client.frames()) {
      if (!started && !f.keyframe) continue;
      started = true;
      frames.push(f);
      if (f.presentationTime - frames[0]!.presentationTime >= 5) break;
    }
    await client.close();
    const file = join(dir, 'live.h264');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    expect(ffmpegDecodeErrors(file)).toBe('');
    expect(ffprobeFrameCount(file)).toBe(frames.length);
    // 25 fps for 5 s (+ the frame at t = 5 s).
    expect(frames.length).toBeGreaterThanOrEqual(125);
    expect(frames.length).toBeLessThanOrEqual(127);
    expect(client.stats.lostPackets).toBe(0);
    expect(client.tracks[0]).toMatchObject({ width: 640, height: 360 });
  });

  it("delivers the served file's NAL units byte for byte, in order", async () => {
    const client = new RtspClient(gst.url('/file', creds));
    await client.start();
    const got: Buffer[] = [];
    let units = 0;
    const want = splitAnnexB(readFileSync(corpusPath('h264-640x360-25fps.h264'))).map((n) => Buffer.from(n));
    for await (const f of client.frames()) {
      for (const n of splitAnnexB(f.data)) got.push(Buffer.from(n));
      if (++units >= 100) break;
    }
    await client.close();
    expect(units).toBe(100);
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
  });

  it('a wrong password is an AUTH_FAILED error within a second', async () => {
    const client = new RtspClient(gst.url('/live', { user: creds.user, password: 'wrong' }));
    const t0 = Date.now();
    const e = (await client.describe().catch((x: unknown) => x)) as ProtocolError;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.code).toBe('AUTH_FAILED');
    expect(String(e) + JSON.stringify(e)).not.toContain('wrong');
    await client.close();
  });

  it('a missing mount is a clear 404', async () => {
    const client = new RtspClient(gst.url('/nothing-here', creds));
    const e = (await client.describe().catch((x: unknown) => x)) as ProtocolError;
    expect(e.code).toBe('RTSP_STATUS');
    expect(e.context['status']).toBe(404);
    await client.close();
  });

  it('keeps the session alive with GET_PARAMETER (answered), timeout=10 from the Session header', async () => {
    const client = new RtspClient(gst.url('/live', creds), { keepaliveIntervalMs: 1500 });
    const sent: string[] = [];
    client.on('message', (dir, text) => {
      if (dir === 'out') sent.push(text.split(' ')[0]!);
    });
    await client.start();
    let n = 0;
    const t0 = Date.now();
    for await (const _ of client.frames()) if (++n > 0 && Date.now() - t0 > 4000) break;
    await client.close();
    expect(sent.filter((m) => m === 'GET_PARAMETER').length).toBeGreaterThanOrEqual(2);
    expect(client.stats.keepalivesUnanswered).toBe(0);
    expect(sent.at(-1)).toBe('TEARDOWN');
  });
});

describe.skipIf(skip)('GStreamer: Basic and Digest offered together', () => {
  it('picks Digest although Basic comes first', async () => {
    const gst = await startGst({ auth: 'both', user: 'u', password: 'p', mounts: { '/live': GST_H264_LIVE } });
    try {
      const client = new RtspClient(gst.url('/live', { user: 'u', password: 'p' }));
      const d = await client.describe();
      expect(d.authScheme).toBe('Digest');
      await client.close();
    } finally {
      await gst.stop();
    }
  });
});
