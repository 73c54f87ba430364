/**
 * HTTP DH streams record to MP4 / QuickTime: the virtual HTTP camera's realmonitor (DH, live) and
 * loadfile (DHAV download) through `camstream record -o x.mov|x.mp4`; ffprobe counts the frames,
 * ffmpeg decodes video and G.711 audio silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { missing, run } from '../support/peers.js';
import { cli } from '../support/cli.js';

function streams(path: string): { codec_name: string; nb_read_frames?: string }[] {
  const r = run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', path]);
  return (JSON.parse(r.stdout) as { streams: { codec_name: string; nb_read_frames?: string }[] }).streams;
}

describe.skipIf(missing('ffmpeg'))('record: HTTP DH -> MP4 / QuickTime', () => {
  let cam: VirtualHttpCamera;
  const dir = mkdtempSync(join(tmpdir(), 'camstream-http-mp4-'));
  beforeAll(async () => {
    cam = await new VirtualHttpCamera({ auth: 'digest', password: 'Secr3t!', pace: 'fast' }).start();
  });
  afterAll(async () => {
    await cam.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('realmonitor DH -> .mov: H.264 + G.711 A-law, every frame, silent decode', async () => {
    const out = join(dir, 'live.mov');
    const r = await cli(['record', cam.url('/cgi-bin/realmonitor.cgi?action=getStream&channel=1&subtype=0'), '-o', out, '--frames', '60']);
    expect(r.code).toBe(0);
    const s = streams(out);
    expect(s.map((x) => x.codec_name)).toEqual(['h264', 'pcm_alaw']);
    expect(Number(s[0]!.nb_read_frames)).toBe(60);
    expect(run('ffmpeg', ['-v', 'error', '-i', out, '-map', '0', '-f', 'null', '-']).stderr).toBe('');
    expect(r.err).not.toContain('Secr3t!');
  });

  it('loadfile DHAV download -> .mp4: the video (G.711 left out with a message)', async () => {
    const out = join(dir, 'dl.mp4');
    const r = await cli(['record', cam.url('/cgi-bin/loadfile.cgi?action=startLoad&channel=1&startTime=2012-10-8%2013:00:01&endTime=2012-10-8%2014:00:01'), '-o', out]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/G\.711 cannot be carried in \.mp4/);
    const s = streams(out);
    expect(s.map((x) => x.codec_name)).toEqual(['h264']);
    expect(Number(s[0]!.nb_read_frames)).toBe(100);
    expect(run('ffmpeg', ['-v', 'error', '-i', out, '-f', 'null', '-']).stderr).toBe('');
  });
});
