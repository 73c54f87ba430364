import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { runCli } from '../../src/cli/registry.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { DUMP_SCHEMA } from '../../src/debug/schema.js';
import type { DumpRecord } from '../../src/debug/records.js';
import { cli } from '../support/cli.js';
import { validate } from '../debug/json-schema.js';

const PASSWORD = 'pa:ss@w/rd';
let cam: VirtualCamera;
let http: VirtualHttpCamera;
let dir: string;
beforeAll(async () => {
  cam = await new VirtualCamera({ auth: 'digest', password: PASSWORD, pace: 'fast', audio: true }).start();
  http = await new VirtualHttpCamera({ auth: 'digest', password: PASSWORD, mjpegFps: 200 }).start();
  dir = mkdtempSync(join(tmpdir(), 'camstream-dump-'));
});
afterAll(async () => {
  await cam.stop();
  await http.stop();
  rmSync(dir, { recursive: true, force: true });
});

function lines(out: string): DumpRecord[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DumpRecord);
}

function noPassword(text: string): void {
  for (const f of [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`admin:${PASSWORD}`).toString('base64')]) expect(text.includes(f), f).toBe(false);
}

describe('camstream dump', () => {
  it('RTSP: every message, RTP with NAL structure, RTCP SR, frames; --json lines validate against the schema; no password', async () => {
    const r = await cli(['dump', cam.url(), '--json', '--frames', '--count', '80', '--capture', join(dir, 'd.pcapng')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const recs = lines(r.out);
    for (const x of recs) expect(validate(DUMP_SCHEMA, x), JSON.stringify(x)).toBeUndefined();
    const msgs = recs.filter((x): x is Extract<DumpRecord, { type: 'message' }> => x.type === 'message');
    const out = msgs.filter((m) => m.dir === 'out').map((m) => m.startLine.split(' ')[0]);
    expect(out).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY', 'TEARDOWN']);
    expect(msgs.filter((m) => m.dir === 'in').map((m) => m.startLine)).toEqual(['RTSP/1.0 200 OK', 'RTSP/1.0 401 Unauthorized', ...Array(5).fill('RTSP/1.0 200 OK')]);
    expect(msgs.find((m) => m.body !== undefined)!.body).toContain('m=video 0 RTP/AVP 96');
    expect(msgs.find((m) => m.headers.some(([k]) => k === 'Authorization'))!.headers.find(([k]) => k === 'Authorization')![1]).toBe('Digest [redacted]');
    const rtp = recs.filter((x): x is Extract<DumpRecord, { type: 'rtp' }> => x.type === 'rtp');
    expect(rtp).toHaveLength(80);
    expect(new Set(rtp.map((p) => p.track))).toEqual(new Set([0, 1]));
    const video = rtp.filter((p) => p.track === 0);
    expect(video[0]!.nal).toMatchObject({ name: 'STAP-A', names: ['SPS', 'PPS', 'SEI'] });
    expect(video.some((p) => p.nal?.name === 'FU-A' && p.nal.fu === 'start' && p.nal.nalName === 'IDR')).toBe(true);
    expect(rtp.filter((p) => p.track === 1).every((p) => p.pt === 0 && p.channel === 2)).toBe(true);
    // Consecutive sequence numbers per track: no loss records on a clean session.
    expect(recs.some((x) => x.type === 'loss')).toBe(false);
    const sr = recs.find((x) => x.type === 'rtcp') as Extract<DumpRecord, { type: 'rtcp' }>;
    expect(sr.packets[0]).toMatchObject({ kind: 'sr' });
    const frames = recs.filter((x): x is Extract<DumpRecord, { type: 'frame' }> => x.type === 'frame');
    expect(frames[0]).toMatchObject({ track: 0, codec: 'h264', keyframe: true });
    expect(frames[0]!.nals).toEqual(expect.arrayContaining(['SPS', 'PPS', 'IDR']));
    noPassword(r.out);
    noPassword(readFileSync(join(dir, 'd.pcapng')).toString('latin1'));
  });

  it('the capture written with --capture dumps to the same records (on its own clock)', async () => {
    const live = lines((await cli(['dump', cam.url(), '--json', '--count', '30', '--capture', join(dir, 'e.pcapng')])).out);
    const file = lines((await cli(['dump', join(dir, 'e.pcapng'), '--json'])).out);
    const strip = (x: DumpRecord): unknown => {
      // Connection numbers come from the driver (process-wide), the file's from the reader (from 1).
      const { t: _t, conn: _c, ...rest } = x as DumpRecord & { t: number };
      if (rest.type === 'open') return { type: 'open' };
      return rest;
    };
    // The live dump stops after 30 RTP packets; the capture also holds what arrived until TEARDOWN.
    const liveRtp = live.filter((x) => x.type === 'rtp').map(strip);
    expect(file.filter((x) => x.type === 'rtp').map(strip).slice(0, liveRtp.length)).toEqual(liveRtp);
    expect(file.filter((x) => x.type === 'message').map(strip)).toEqual(live.filter((x) => x.type === 'message').map(strip));
  });

  it('--no-rtp and --track filter; text output has one line per packet', async () => {
    const r = await cli(['dump', cam.url(), '--track', '1', '--frames', '--count', '5']);
    expect(r.code).toBe(0);
    const rtpLines = r.out.split('\n').filter((l) => / < rtp /.test(l));
    expect(rtpLines).toHaveLength(5);
    for (const l of rtpLines) expect(l).toMatch(/ rtp ch2 track1 pt=0 seq=\d+ ts=\d+ M ssrc=[0-9a-f]{8} size=\d+$/);
    expect(r.out).not.toMatch(/track0/);
    const n = await cli(['dump', cam.url(), '--no-rtp', '--frames', '--json', '--duration', '0.5']);
    const recs = lines(n.out);
    expect(recs.some((x) => x.type === 'rtp' || x.type === 'rtcp')).toBe(false);
    expect(recs.some((x) => x.type === 'frame')).toBe(true);
  });

  it('HTTP: the MJPEG multipart parts as lines, Digest redacted', async () => {
    const r = await cli(['dump', http.url('/cgi-bin/mjpg/video.cgi?channel=1&subtype=0'), '--json', '--count', '4']);
    expect(r.code).toBe(0);
    const recs = lines(r.out);
    for (const x of recs) expect(validate(DUMP_SCHEMA, x), JSON.stringify(x)).toBeUndefined();
    const parts = recs.filter((x): x is Extract<DumpRecord, { type: 'part' }> => x.type === 'part');
    expect(parts.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(parts.every((p) => p.contentType === 'image/jpeg' && p.size > 1000)).toBe(true);
    const auth = recs.filter((x): x is Extract<DumpRecord, { type: 'message' }> => x.type === 'message').flatMap((m) => m.headers.filter(([k]) => k === 'Authorization').map(([, v]) => v));
    expect(auth).toEqual(['Digest [redacted]']);
    noPassword(r.out);
  });

  it('HTTP: DH packets as lines', async () => {
    const r = await cli(['dump', http.url('/cgi-bin/realmonitor.cgi?action=getStream&channel=1&subtype=0'), '--json', '--count', '6']);
    expect(r.code).toBe(0);
    const dh = lines(r.out).filter((x): x is Extract<DumpRecord, { type: 'dh' }> => x.type === 'dh');
    expect(dh).toHaveLength(6);
    expect(dh[0]).toMatchObject({ format: 'dh' });
  });

  it('a reader that goes away (EPIPE, as with | head) ends the dump quietly with status 0', async () => {
    let lines = 0;
    const stdout = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines += chunk.toString().split('\n').length - 1;
        if (lines > 3) cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else cb();
      },
    });
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCli(['dump', cam.url()], { stdin: new PassThrough(), stdout, stderr });
    expect(code).toBe(0);
    expect(err).toBe('');
    // The session was torn down, not left streaming.
    await new Promise<void>((resolve) => {
      const check = (): void => (cam.openConnections === 0 ? resolve() : void setTimeout(check, 10));
      check();
    });
  });

  const bin = new URL('../../dist/cli/main.js', import.meta.url).pathname;
  it.skipIf(!existsSync(bin) && !process.env['CI'])('built binary: dump | head -3 exits 0 with nothing on stderr', async () => {
    // Not spawnSync: the camera runs in this process and must keep answering.
    const p = spawn('bash', ['-c', 'node "$0" dump "$1" | head -3 >/dev/null; echo "${PIPESTATUS[0]}"', bin, cam.url()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((resolve) => p.on('close', resolve));
    expect(out.trim()).toBe('0');
    expect(err).toBe('');
  });
});
