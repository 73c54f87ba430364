import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { cli } from '../support/cli.js';

let cam: VirtualCamera;
let dir: string;
beforeAll(async () => {
  cam = await new VirtualCamera({ auth: 'digest', password: 'pa:ss@word', pace: 'fast' }).start();
  dir = mkdtempSync(join(tmpdir(), 'camstream-cli-'));
});
afterAll(async () => {
  await cam.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('camstream probe', () => {
  it('reports server, methods, auth, tracks and codec parameters, never the password', async () => {
    const r = await cli(['probe', cam.url()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/server:\s+camstream VirtualCamera/);
    expect(r.out).toMatch(/methods:\s+OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER/);
    expect(r.out).toMatch(/auth:\s+Digest \(MD5\)/);
    expect(r.out).toMatch(/#0 video h264 pt 96 @ 90000 Hz 640x360 — avc1\.42C01E/i);
    expect(r.out).toContain('a=rtpmap:96 H264/90000');
    expect(r.out + r.err).not.toContain('pa:ss@word');
    expect(r.out + r.err).not.toContain(encodeURIComponent('pa:ss@word'));
  });

  it('--json gives one parseable object', async () => {
    const r = await cli(['probe', cam.url(), '--json']);
    const j = JSON.parse(r.out) as { authScheme: string; tracks: { codec: string; width: number }[] };
    expect(j.authScheme).toBe('Digest');
    expect(j.tracks[0]).toMatchObject({ codec: 'h264', width: 640, height: 360 });
  });

  it('a refused password is one clear line and exit 1', async () => {
    const r = await cli(['probe', cam.url().replace(encodeURIComponent('pa:ss@word'), 'nope')]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('AUTH_FAILED');
    expect(r.err).not.toContain('nope');
  });
});

describe('camstream record', () => {
  it('records N frames to an Annex-B file equal to the source', async () => {
    const out = join(dir, 'rec.h264');
    const r = await cli(['record', cam.url(), '--frames', '50', '-o', out, '--json']);
    expect(r.code).toBe(0);
    const sum = JSON.parse(r.out) as { frames: number; keyframes: number; width: number };
    expect(sum).toMatchObject({ frames: 50, keyframes: 2, width: 640, height: 360, codec: 'h264' });
    const want = loadH264().units.slice(0, 50).flat();
    const got = splitAnnexB(readFileSync(out));
    expect(got.map((n) => Buffer.from(n))).toEqual(want.map((n) => Buffer.from(n)));
    expect(r.err).toMatch(/h264 640x360, 50 frames \(2 key\).*\(frame count reached\)/);
    expect(r.err).not.toContain('pa:ss@word');
  });

  it('rejects unknown transports and missing output with usage errors', async () => {
    expect((await cli(['record', cam.url(), '-o', join(dir, 'x.h264'), '--transport', 'sctp'])).code).toBe(2);
    const r = await cli(['record', cam.url()]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('needs -o OUT');
  });
});

describe('camstream demo', () => {
  it('starts the virtual camera, records and verifies the recording', async () => {
    const out = join(dir, 'demo.h264');
    const r = await cli(['demo', '--duration', '1.5', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/virtual camera listening on rtsp:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/track 0: video h264 640x360 avc1\.42C01E/i);
    expect(r.out).toMatch(/recorded \d+ frames/);
    expect(r.out).toMatch(/check: all \d+ NAL units equal the source/);
    expect(r.out).not.toContain('demo-password');
    // One summary: the demo's own line, not the recorder's as well.
    expect(r.out.match(/^recorded /gm)).toHaveLength(1);
    expect(r.err).not.toMatch(/frames/);
  });
});
