/**
 * RTSPS (`rtsps://`, RTSP over TLS) against GStreamer's TLS server (GstRTSPAuth.set_tls_certificate)
 * with a self-signed certificate made by `openssl req` here: verification is on by default and
 * refuses it with TLS_FAILED; `rejectUnauthorized: false` (or trusting it) records a stream ffmpeg
 * decodes cleanly, and the wire tap sees the decrypted RTSP dialogue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { ProtocolError } from '../../src/errors.js';
import { GST_H264_LIVE, ffmpegDecodeErrors, ffprobeFrameCount, missing, startGst, type GstServer } from '../support/peers.js';

const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const skip = missing('gst') || missing('ffmpeg') || !haveOpenssl;

describe.skipIf(skip)('RTSPS against GStreamer', () => {
  let gst: GstServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-rtsps-'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=camstream-test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('openssl req failed');
    writeFileSync(join(dir, 'both.pem'), Buffer.concat([readFileSync(join(dir, 'cert.pem')), readFileSync(join(dir, 'key.pem'))]));
    gst = await startGst({ auth: 'digest', user: 'u', password: 'p4ss', tlsCert: join(dir, 'both.pem'), mounts: { '/live': GST_H264_LIVE } });
  });
  afterAll(async () => {
    await gst?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the self-signed certificate by default with TLS_FAILED', async () => {
    const client = new RtspClient(gst.url('/live', { user: 'u', password: 'p4ss' }));
    const e = (await client.describe().catch((x: unknown) => x)) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('TLS_FAILED');
    expect(e.message).toMatch(/rejectUnauthorized/);
    expect(String(e) + JSON.stringify(e)).not.toContain('p4ss');
    await client.close();
  });

  it('with rejectUnauthorized: false records 2 s that ffmpeg decodes cleanly; the tap sees plaintext RTSP', async () => {
    const seen: string[] = [];
    const client = new RtspClient(gst.url('/live', { user: 'u', password: 'p4ss' }), {
      rejectUnauthorized: false,
      tap: { open: () => undefined, close: () => undefined, data: (_id, dir, bytes) => void (dir === 'out' && seen.push(Buffer.from(bytes).toString('latin1', 0, 24))) },
    });
    const d = await client.start();
    expect(d.tracks[0]).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    const frames: RtspFrame[] = [];
    for await (const f of client.frames()) {
      if (frames.length === 0 && !f.keyframe) continue;
      frames.push(f);
      if (f.presentationTime - frames[0]!.presentationTime >= 2) break;
    }
    await client.close(); // the break already closed it: the same promise
    expect(client.endReason).toBe('closed');
    const file = join(dir, 'tls.h264');
    writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
    expect(ffmpegDecodeErrors(file)).toBe('');
    expect(ffprobeFrameCount(file)).toBe(frames.length);
    expect(frames.length).toBeGreaterThanOrEqual(50);
    expect(seen.some((s) => s.startsWith('DESCRIBE rtsps://'))).toBe(true);
  });
});
