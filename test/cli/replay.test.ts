import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { cli } from '../support/cli.js';

const PASSWORD = 'rec:pw@1';
let cam: VirtualCamera;
let dir: string;
beforeAll(async () => {
  cam = await new VirtualCamera({ auth: 'digest', password: PASSWORD, pace: 'fast', quirks: { markerOnParameterSets: true } }).start();
  dir = mkdtempSync(join(tmpdir(), 'camstream-replay-'));
});
afterAll(async () => {
  await cam.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Line {
  type: string;
  sha256?: string;
  code?: string;
  message?: string;
  reason?: string;
  frames?: number;
  recorded?: number;
  error?: unknown;
}

describe('camstream replay', () => {
  it('record --capture, then replay -o: the same file byte for byte, offline; no password in the capture', async () => {
    const live = join(dir, 'live.h264');
    const capture = join(dir, 'rec.pcapng');
    const r = await cli(['record', cam.url(), '-o', live, '--frames', '40', '--capture', capture, '--json']);
    expect(r.code).toBe(0);
    const again = join(dir, 'again.h264');
    const p = await cli(['replay', capture, '-o', again, '--frames', '40', '--json']);
    expect(p.err).toBe('');
    expect(p.code).toBe(0);
    const liveBytes = readFileSync(live);
    expect(liveBytes.length).toBeGreaterThan(10_000);
    expect(readFileSync(again).equals(liveBytes)).toBe(true);
    const lines = p.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'end', reason: 'closed', error: null });
    expect(end.recorded).toBe((JSON.parse(r.out) as { frames: number }).frames);
    expect(lines.filter((l) => l.type === 'frame')).toHaveLength(40);
    const text = readFileSync(capture).toString('latin1');
    for (const f of [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`admin:${PASSWORD}`).toString('base64')]) expect(text.includes(f)).toBe(false);
  });

  it('regression from a committed capture: garbage mid-stream is skipped (RTSP_RESYNC) and no intact frame is lost', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/captures/resync-garbage.pcapng', import.meta.url));
    const r = await cli(['replay', fixture, '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Line);
    const warnings = lines.filter((l) => l.type === 'warning');
    expect(warnings.map((w) => w.code)).toEqual(['RTSP_RESYNC']);
    expect(warnings[0]!.message).toContain('skipped 37 bytes');
    // Every frame is the corpus access unit the camera sent, in order, none missing around the garbage.
    const units = loadH264().units;
    const frames = lines.filter((l) => l.type === 'frame');
    expect(frames.length).toBeGreaterThanOrEqual(12);
    const { createHash } = await import('node:crypto');
    const annexB = (nals: Uint8Array[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), Buffer.from(n)]));
    frames.forEach((f, i) => expect(f.sha256, `frame ${i}`).toBe(createHash('sha256').update(annexB(units[i]!)).digest('hex')));
    expect(lines.at(-1)).toMatchObject({ type: 'end', reason: 'closed' });
  });

  it('text output and a file that is not a capture', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/captures/resync-garbage.pcapng', import.meta.url));
    const r = await cli(['replay', fixture]);
    expect(r.out).toMatch(/^frame track0 h264 ts=\d+ size=\d+ key sha256=[0-9a-f]{16}$/m);
    expect(r.out).toMatch(/^warning RTSP_RESYNC: /m);
    expect(r.out).toMatch(/^end: closed; \d+ frames, 1 warnings from rtsp:\/\/127\.0\.0\.1:\d+\/cam\/realmonitor/m);
    const bad = await cli(['replay', fileURLToPath(import.meta.url)]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('CAPTURE_BAD_FILE');
  });
});
