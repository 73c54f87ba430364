/**
 * ffmpeg as the decoder oracle for the HTTP side: JPEGs saved by `camstream mjpeg` from the
 * virtual camera's MJPEG stream decode with `ffmpeg -v error`, and a DH stream recorded over HTTP
 * (`recordHttp` -> .h264) decodes with zero errors and the expected frame count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/registry.js';
import { RecordOutput } from '../../src/cli/output.js';
import { recordHttp } from '../../src/cli/commands/record-http.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { ffmpegDecodeErrors, ffprobeFrameCount, missing } from '../support/peers.js';

function io(): { io: { stdin: PassThrough; stdout: PassThrough; stderr: PassThrough }; err: () => string; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { io: { stdin: new PassThrough(), stdout, stderr }, err: () => e, out: () => o };
}

describe.skipIf(missing('ffmpeg'))('HTTP interop with ffmpeg', () => {
  let cam: VirtualHttpCamera;
  const dir = mkdtempSync(join(tmpdir(), 'camstream-http-'));
  beforeAll(async () => {
    cam = await new VirtualHttpCamera({ auth: 'digest', password: 'Secr3t!', mjpegFps: 100, pace: 'fast' }).start();
  });
  afterAll(() => cam.stop());

  it('camstream mjpeg saves JPEGs that ffmpeg decodes without errors', async () => {
    const out = join(dir, 'mjpeg');
    const t = io();
    const code = await runCli(['mjpeg', cam.url('/cgi-bin/mjpg/video.cgi?channel=1&subtype=0'), '-o', out, '--frames', '12'], t.io);
    expect(code).toBe(0);
    const files = readdirSync(out).sort();
    expect(files.length).toBe(12);
    expect(files[0]).toBe('frame-000001.jpg');
    for (const f of files) expect(ffmpegDecodeErrors(join(out, f))).toBe('');
    expect(t.err()).toContain('12 frames');
    expect(t.err()).not.toContain('Secr3t!');
  });

  it('recordHttp: realmonitor DH -> .h264 decodes with zero errors and the expected frame count', async () => {
    const out = join(dir, 'live.h264');
    const t = io();
    const s = await recordHttp(cam.url('/cgi-bin/realmonitor.cgi?action=getStream&channel=1&subtype=0'), { out: new RecordOutput(out, t.io.stdout), format: 'annexb', frames: 150 }, t.io);
    expect(s.endReason).toBe('frames');
    expect(ffmpegDecodeErrors(out, 'h264')).toBe('');
    expect(ffprobeFrameCount(out, 'h264')).toBe(150);
    expect(t.err()).toContain('150 frames');
    expect(t.err()).not.toContain('Secr3t!');
  });

  it('recordHttp: .dav keeps the raw bytes (loadfile download), which ffmpeg reads as dhav', async () => {
    const out = join(dir, 'dl.dav');
    const t = io();
    const s = await recordHttp(cam.url('/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2012-10-8%2013:00:01&endTime=2012-10-8%2014:00:01'), { out: new RecordOutput(out, t.io.stdout), format: 'raw' }, t.io);
    expect(s.endReason).toBe('end-of-stream');
    expect(statSync(out).size).toBe(statSync(new URL('../../corpus/dh/h264-g711a.dav', import.meta.url)).size);
    expect(ffprobeFrameCount(out, 'dhav')).toBe(100);
  });
});
