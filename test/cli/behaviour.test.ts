/**
 * What every command owes its user (ffmpeg/grep habits): a closed stdout is a quiet success, `-o -`
 * is stdout, `record` reports one summary however it ends, errors are one line (or one JSON object),
 * no empty file after a failure, unknown output formats refused, `--version`, `-v`, `--timeout`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { fitLine, ProgressLine } from '../../src/cli/progress.js';
import { cli } from '../support/cli.js';
import { haveBin, run, runAndCloseStdout, start } from './support.js';

const corpus = (f: string): string => new URL(`../../corpus/${f}`, import.meta.url).pathname;
const PW = 'Kq7vZ2xw';

let cam: VirtualCamera;
let http: VirtualHttpCamera;
let silent: Server;
let silentPort: number;
let accepted = 0;
const sockets = new Set<Socket>();
let dir: string;

beforeAll(async () => {
  cam = await new VirtualCamera({ auth: 'digest', password: PW, pace: 'fast' }).start();
  http = await new VirtualHttpCamera({ auth: 'digest', password: PW, pace: 'fast' }).start();
  // Accepts connections and never answers: what --timeout is for.
  silent = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'camstream-cli-'));
});
afterAll(async () => {
  await cam.stop();
  await http.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const json = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;

describe.skipIf(!haveBin)('a closed stdout (`| head`) ends every command quietly with status 0', () => {
  it('demux --json', async () => {
    const r = await runAndCloseStdout(['demux', corpus('dh/h264-g711a.dav'), '--json'], 200);
    expect(r.err).not.toMatch(/EPIPE|Error|cannot read/);
    expect(r.code).toBe(0);
  });

  it('demux --video -', async () => {
    const r = await runAndCloseStdout(['demux', corpus('dh/h264-g711a.dh'), '--video', '-'], 100);
    expect(r.err).not.toMatch(/EPIPE|Error|cannot read/);
    expect(r.code).toBe(0);
  });

  it('record -o -', async () => {
    const r = await runAndCloseStdout(['record', cam.url(), '-o', '-'], 100);
    expect(r.err).not.toMatch(/EPIPE|Error:|Unhandled/);
    expect(r.err).toContain('(output closed)');
    expect(r.code).toBe(0);
  });

  it('events', async () => {
    const r = await runAndCloseStdout(['events', http.url('/cgi-bin/eventManager.cgi?action=attach&codes=[All]')], 10);
    expect(r.err).not.toMatch(/EPIPE|Error:|Unhandled/);
    expect(r.code).toBe(0);
  });
});

describe('record', () => {
  it('-o - writes the Annex B stream to stdout', async () => {
    const r = await cli(['record', cam.url(), '-o', '-', '--frames', '10']);
    expect(r.code).toBe(0);
    expect(existsSync('-')).toBe(false);
    const want = loadH264().units.slice(0, 10).flat().map((n) => Buffer.from(n));
    expect(splitAnnexB(Buffer.from(r.out, 'latin1')).map((n) => Buffer.from(n))).toHaveLength(want.length);
  });

  it('--json gives the whole summary: redacted URL, output, codec, size, counts, rates, losses, times, reason', async () => {
    const out = join(dir, 'j.h264');
    const r = await cli(['record', cam.url(), '-o', out, '--frames', '30', '--json']);
    expect(r.code).toBe(0);
    const s = json(r.out);
    expect(s).toMatchObject({ output: out, format: 'annexb', codec: 'h264', width: 640, height: 360, frames: 30, keyframes: 2, endReason: 'frames' });
    expect(s['url']).toMatch(/^rtsp:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\//);
    expect(s['bytes']).toBe(readFileSync(out).length);
    for (const k of ['fps', 'bitrateKbps', 'durationS']) expect(typeof s[k]).toBe('number');
    expect(s['losses']).toEqual({ lostPackets: 0, droppedUnits: 0, resyncs: 0 });
    expect(Date.parse(s['endTime'] as string)).toBeGreaterThanOrEqual(Date.parse(s['startTime'] as string));
  });

  it('--duration ends with the summary and status 0', async () => {
    const r = await cli(['record', cam.url(), '-o', join(dir, 'd.h264'), '--duration', '0.3', '--json']);
    expect(r.code).toBe(0);
    expect(json(r.out)).toMatchObject({ endReason: 'duration' });
    expect(r.err).toMatch(/\(duration reached\)/);
  });

  it('the server going away mid-stream: summary with the error, status 1', async () => {
    const gone = await new VirtualCamera({ pace: 'fast', faults: { closeMidFrameAfter: 200 } }).start();
    try {
      const r = await cli(['record', gone.url(), '-o', join(dir, 'g.h264'), '--json']);
      expect(r.code).toBe(1);
      const s = json(r.out);
      expect(s).toMatchObject({ endReason: 'server-closed', error: { code: 'CONNECTION_CLOSED' } });
      expect(s['frames']).toBeGreaterThan(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    } finally {
      await gone.stop();
    }
  });

  it('--timeout S: a server that never answers ends in S seconds with a TIMEOUT summary', async () => {
    const r = await cli(['record', `rtsp://admin:${PW}@127.0.0.1:${silentPort}/x`, '-o', join(dir, 't.h264'), '--timeout', '0.3', '--json']);
    expect(r.code).toBe(1);
    expect(json(r.out)).toMatchObject({ endReason: 'timeout', error: { code: 'TIMEOUT' } });
    const h = await cli(['record', `http://admin:${PW}@127.0.0.1:${silentPort}/cgi-bin/realmonitor.cgi?action=getStream`, '-o', join(dir, 't2.h264'), '--timeout', '0.3', '--json']);
    expect(h.code).toBe(1);
    expect(json(h.out)).toMatchObject({ endReason: 'timeout', format: 'annexb' });
  });

  it('over HTTP: the same summary object', async () => {
    const out = join(dir, 'h.h264');
    const r = await cli(['record', http.url('/cgi-bin/realmonitor.cgi?action=getStream&channel=1&subtype=0'), '-o', out, '--frames', '20', '--json']);
    expect(r.code).toBe(0);
    const s = json(r.out);
    expect(s).toMatchObject({ output: out, codec: 'h264', width: 640, height: 360, frames: 20, endReason: 'frames' });
    expect(s['url']).toMatch(/^http:\/\/admin:\*\*\*@/);
    expect(s['bytes']).toBe(readFileSync(out).length);
  });

  it('a failed recording (wrong password, refused) leaves no file behind', async () => {
    const bad = join(dir, 'bad.h264');
    const r = await cli(['record', cam.url().replace(PW, 'nope'), '-o', bad, '--json']);
    expect(r.code).toBe(1);
    expect(json(r.out)).toMatchObject({ endReason: 'error', error: { code: 'AUTH_FAILED' } });
    expect(existsSync(bad)).toBe(false);
    const refused = await cli(['record', `rtsp://127.0.0.1:${silentPort + 0}/x`.replace(String(silentPort), '1'), '-o', bad]);
    expect(refused.code).toBe(1);
    expect(existsSync(bad)).toBe(false);
    const httpBad = await cli(['record', http.url('/cgi-bin/realmonitor.cgi?action=getStream').replace(PW, 'nope'), '-o', bad]);
    expect(httpBad.code).toBe(1);
    expect(existsSync(bad)).toBe(false);
  });

  it('refuses an extension it cannot write, before connecting (status 2)', async () => {
    const before = accepted;
    for (const ext of ['mkv', 'ts', 'avi']) {
      const r = await cli(['record', `rtsp://127.0.0.1:${silentPort}/x`, '-o', join(dir, `x.${ext}`)]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`cannot write '.${ext}'`);
    }
    expect(accepted).toBe(before);
    expect((await cli(['record', cam.url(), '-o', join(dir, 'x.dav')])).err).toContain("cannot write '.dav' from an RTSP source");
  });

  it('refuses an unknown --transport on record and dump, before connecting (status 2)', async () => {
    const before = accepted;
    for (const args of [['record', `rtsp://127.0.0.1:${silentPort}/x`, '-o', join(dir, 'y.h264')], ['dump', `rtsp://127.0.0.1:${silentPort}/x`]]) {
      const r = await cli([...args, '--transport', 'pigeon']);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--transport pigeon: one of ');
    }
    expect(accepted).toBe(before);
  });

  it.skipIf(!haveBin)('SIGINT and SIGTERM end it with the summary and status 0', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const p = start(['record', cam.url(), '-o', join(dir, `${sig}.h264`), '--json', '-v']);
      await p.waitStderr(/^< RTP-Info:/m); // the PLAY answer: media is flowing
      p.child.kill(sig);
      const r = await p.done;
      expect(r.code).toBe(0);
      expect(json(r.out.toString())).toMatchObject({ endReason: 'signal', codec: 'h264' });
    }
  });
});

describe('errors, --json, --version, --verbose', () => {
  it('--json with an error prints one JSON error object on stdout and one line on stderr', async () => {
    const r = await cli(['probe', cam.url().replace(PW, 'nope'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'AUTH_FAILED', exitCode: 1 } });
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const u = await cli(['probe', '--bogus', '--json']);
    expect(u.code).toBe(2);
    expect(JSON.parse(u.out)).toMatchObject({ error: { code: 'USAGE', exitCode: 2 } });
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, out: `camstream ${pkg.version}\n` });
  });

  it('-v prints the RTSP dialogue on stderr, credentials redacted', async () => {
    const r = await cli(['probe', cam.url(), '-v']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^> DESCRIBE rtsp:\/\/127\.0\.0\.1:\d+\/\S* RTSP\/1\.0$/m);
    expect(r.err).toMatch(/^< RTSP\/1\.0 401/m);
    expect(r.err).toMatch(/^> Authorization: Digest \[redacted\]$/m);
    expect(r.err).toMatch(/^< a=rtpmap:96 H264\/90000$/m);
    expect(r.err).not.toContain(PW);
  });

  it.skipIf(!haveBin)('demo --url against a server that refuses the password exits (status 1)', async () => {
    const r = await run(['demo', '--url', cam.url().replace(PW, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('AUTH_FAILED');
  });
});

describe('the progress line', () => {
  it('fits an 80-column terminal on one line, whatever the URL length', () => {
    const written: string[] = [];
    let t = 0;
    const out = { isTTY: true, columns: 80, write: (s: string) => written.push(s) };
    const p = new ProgressLine(out, `recording rtsp://admin:***@192.168.100.200:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif`, () => t);
    for (t = 0; t <= 2000; t += 300) p.update({ frames: t, bytes: t * 12_345, losses: 3, keyframes: t / 25 });
    expect(written.length).toBeGreaterThan(3);
    for (const w of written) {
      const line = w.replace('\r\x1b[K', '');
      expect(line.length).toBeLessThanOrEqual(79);
      expect(line).toMatch(/frames \(\d+ key\), .* lost, \d+\.\d s$/);
    }
    expect(fitLine('short', 'stats', 80)).toBe('short stats');
  });
});
