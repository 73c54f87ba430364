import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { cli } from '../support/cli.js';
import { accessUnits } from '../../scripts/make-dh-corpus.js';

const corpus = (f: string) => new URL(`../../corpus/${f}`, import.meta.url).pathname;

describe('camstream demux (in-process)', () => {
  it('--json prints one object per frame and a summary on stderr', async () => {
    const r = await cli(['demux', corpus('dh/h264-g711a.dh'), '--json']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(200);
    expect(lines[0]).toMatchObject({ format: 'dh', kind: 'video', codec: 'h264', keyframe: true, width: 640, height: 360, checksumOk: true, meta: { title: 'corpus cam' } });
    expect(lines[1]).toMatchObject({ kind: 'audio', codec: 'g711a', size: 320 });
    expect(r.err).toMatch(/frames: video 100, audio 100, aux 0; bytes 350999 .*resyncs 0; skipped bytes 0.*checksum mismatches 0/);
  });

  it('reads stdin with -, reports the preamble, writes the elementary streams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camstream-'));
    const v = join(dir, 'v.h265');
    const a = join(dir, 'a.alaw');
    const r = await cli(['demux', '-', '--video', v, '--audio', a], readFileSync(corpus('dh/h265-g711a-playback.dh')));
    expect(r.code).toBe(0);
    expect(r.err).toContain('preamble streamId=4711');
    expect(r.out).toContain('video channel 0: h265 640x360 25 fps; 100 frames (4 key)');
    expect(readFileSync(v).equals(readFileSync(corpus('h265-640x360-25fps.h265')))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(corpus('g711a-8k.alaw')))).toBe(true);
  });

  it('garbage in the middle is survived and counted', async () => {
    const dav = readFileSync(corpus('dh/h264-g711a.dav'));
    const bad = Buffer.concat([dav.subarray(0, 50_000), Buffer.from('garbage'.repeat(10)), dav.subarray(50_000)]);
    const r = await cli(['demux', '-'], bad);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resyncs [1-9]/);
    expect(r.err).toMatch(/DH_RESYNC/);
  });

  it('errors are one clear line with a non-zero exit', async () => {
    expect(await cli(['demux', '/nonexistent.dav'])).toMatchObject({ code: 1 });
    const nofile = await cli(['demux', '/nonexistent.dav']);
    expect(nofile.err).toMatch(/cannot read \/nonexistent.dav: ENOENT/);
    const usage = await cli(['demux', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.err.trim().split('\n')).toHaveLength(1);
    const junk = await cli(['demux', '-'], Buffer.from('hello, not a camera stream'));
    expect(junk.code).toBe(1);
    expect(junk.err).toContain('no DH/DHAV frames found');
    expect((await cli(['nope'])).code).toBe(2);
  });

  it('--help lists the commands and the demux options', async () => {
    expect((await cli(['--help'])).out).toMatch(/demux\s+demux a DH/);
    expect((await cli(['demux', '--help'])).out).toContain('--video OUT');
  });

  it('video output has as many access units as the corpus', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camstream-'));
    const v = join(dir, 'v.h264');
    await cli(['demux', corpus('dh/h264-g711a.dav'), '--video', v]);
    expect(accessUnits(readFileSync(v), 'h264')).toHaveLength(100);
  });
});

const bin = new URL('../../dist/cli/main.js', import.meta.url).pathname;
describe.skipIf(!existsSync(bin) && !process.env['CI'])('camstream demux (built binary)', () => {
  it('runs as a process', () => {
    const r = spawnSync(process.execPath, [bin, 'demux', corpus('dh/h265-g711a.dav'), '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(200);
    expect(r.stderr).toContain('frames: video 100, audio 100');
    const bad = spawnSync(process.execPath, [bin, 'demux'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toContain('demux');
  });
});
