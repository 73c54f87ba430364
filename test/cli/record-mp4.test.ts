/**
 * `camstream record -o x.mp4|x.mov|x.aac`: the writer picked by extension, audio where the
 * container carries it, reconnects across drops, wall-clock segments; files checked with ffprobe.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCamera, type VirtualCameraOptions } from '../../src/testing/virtual-camera.js';
import { missing, run } from '../support/peers.js';
import { cli } from '../support/cli.js';
import { formatSegmentName } from '../../src/mp4/recorder.js';
import { readFileSync } from 'node:fs';
import { readMp4 } from '../support/mp4-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'camstream-record-mp4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cams: VirtualCamera[] = [];
afterEach(async () => {
  while (cams.length) await cams.pop()!.stop();
});

async function camera(o: VirtualCameraOptions): Promise<VirtualCamera> {
  const c = await new VirtualCamera(o).start();
  cams.push(c);
  return c;
}

function streams(path: string): { codec_name: string; codec_type: string; nb_read_frames?: string }[] {
  const r = run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,codec_type,nb_read_frames', '-of', 'json', path]);
  return (JSON.parse(r.stdout) as { streams: { codec_name: string; codec_type: string; nb_read_frames?: string }[] }).streams;
}

function videoPts(path: string): number[] {
  return run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', path]).stdout.trim().split('\n').map(Number);
}

it('formatSegmentName expands the strftime-like fields (local time) and the segment number', () => {
  const ms = new Date(2026, 10, 29, 7, 5, 9).getTime();
  expect(formatSegmentName('cam1-%Y%m%d-%H%M%S-%i-100%%.mp4', ms, 7)).toBe('cam1-20261129-070509-007-100%.mp4');
});

describe.skipIf(missing('ffmpeg'))('camstream record -o .mp4 / .mov', () => {
  it('.mov keeps H.264 + G.711 µ-law; ffprobe counts every frame; ffmpeg decodes silently', async () => {
    const cam = await camera({ pace: 'fast', audio: true });
    const out = join(dir, 'a.mov');
    const r = await cli(['record', cam.url(), '-o', out, '--frames', '50', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { files: string[]; videoFrames: number; tracks: string[]; reconnects: number };
    expect(j.files).toEqual([out]);
    expect(j.videoFrames).toBe(50);
    expect(j.tracks).toEqual(['h264', 'pcmu']);
    const s = streams(out);
    expect(s.map((x) => x.codec_name)).toEqual(['h264', 'pcm_mulaw']);
    expect(Number(s[0]!.nb_read_frames)).toBe(50);
    expect(run('ffmpeg', ['-v', 'error', '-i', out, '-map', '0', '-f', 'null', '-']).stderr).toBe('');
    expect(r.err).toMatch(/1 file \(h264 \+ pcmu\), 0 reconnects, 0 discontinuities/);
  });

  it('.mp4 leaves G.711 out with a message; --no-audio records video only', async () => {
    const cam = await camera({ pace: 'fast', audio: true });
    const out = join(dir, 'b.mp4');
    const r = await cli(['record', cam.url(), '-o', out, '--frames', '30']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/track 1 left out: G\.711 µ-law cannot be carried in \.mp4/);
    expect(streams(out).map((x) => x.codec_name)).toEqual(['h264']);
    const out2 = join(dir, 'c.mov');
    expect((await cli(['record', cam.url(), '-o', out2, '--frames', '30', '--no-audio'])).code).toBe(0);
    expect(streams(out2).map((x) => x.codec_name)).toEqual(['h264']);
  });

  it('goes on across connection drops mid-GOP: one file, every frame decodable, pts increasing, reconnects listed', async () => {
    const cam = await camera({ pace: 'fast', loop: true, faults: { closeMidFrameAfter: 120 } });
    const out = join(dir, 'd.mp4');
    const r = await cli(['record', cam.url(), '-o', out, '--frames', '150', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { videoFrames: number; reconnects: number; discontinuities: number };
    expect(j.reconnects).toBeGreaterThanOrEqual(1);
    expect(j.discontinuities).toBeGreaterThanOrEqual(1);
    expect(r.err).toMatch(/reconnected after [\d.]+ s/);
    const s = streams(out);
    expect(Number(s[0]!.nb_read_frames)).toBe(j.videoFrames);
    const pts = videoPts(out);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!).toBeGreaterThan(pts[i - 1]!);
    expect(run('ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']).stderr).toBe('');
  });

  it('--segment 1: wall-clock aligned files named from the pattern, each starting at a keyframe', async () => {
    const cam = await camera({ pace: 'realtime', loop: true });
    const sub = join(dir, 'seg');
    rmSync(sub, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const r = await cli(['record', cam.url(), '-o', join(sub, 'cam-%H%M%S-%i.mp4'), '--segment', '1', '--frames', '100', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { files: string[]; videoFrames: number };
    const names = readdirSync(sub).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names.every((n) => /^cam-\d{6}-\d{3}\.mp4$/.test(n))).toBe(true);
    let total = 0;
    for (const n of names) {
      const m = readMp4(new Uint8Array(readFileSync(join(sub, n))));
      expect(m.tracks[0]!.samples[0]!.sync).toBe(true);
      total += m.tracks[0]!.samples.length;
    }
    expect(total).toBe(j.videoFrames);
  });
});
