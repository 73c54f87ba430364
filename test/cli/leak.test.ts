/**
 * The credential-leak scan: every CLI command and its error paths, given a URL with a password, against
 * servers that accept it, refuse it (401), or are not there (connection refused), with and without
 * --json / -v. stdout, stderr and every file written are searched for the password in plain text,
 * percent-encoded, and base64 `user:password` (what Basic auth sends), and for each piece of a password
 * that unencoded '/' and '?' split (those end a URL's authority early, so a strict parser would show
 * them as a host, port or path). Each run is a real `camstream` process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { haveBin, run } from './support.js';

/** Accepted by the cameras below; travels percent-encoded in URLs ('@' and '!' must be). */
const GOOD = 'Tk4@Rv9!Hs2q';
/** Typed raw into URLs: '/' and '?' cut it in pieces for a URL parser. */
const RAW = 'Zq8kP/Lm3nR?Wx7tY';
const USER = 'admin';

function forms(pw: string): string[] {
  const out = new Set([pw, encodeURIComponent(pw), Buffer.from(`${USER}:${pw}`).toString('base64'), Buffer.from(`${USER}:${encodeURIComponent(pw)}`).toString('base64')]);
  for (const piece of pw.split(/[/?@!]/)) if (piece.length >= 4) out.add(piece);
  return [...out];
}
const SECRETS = [...forms(GOOD), ...forms(RAW)];

let okRtsp: VirtualCamera;
let badRtsp: VirtualCamera;
let okHttp: VirtualHttpCamera;
let badHttp: VirtualHttpCamera;
let refusedPort: number;
let dir: string;

beforeAll(async () => {
  okRtsp = await new VirtualCamera({ auth: 'digest', username: USER, password: GOOD, pace: 'fast' }).start();
  badRtsp = await new VirtualCamera({ auth: 'both', username: USER, password: 'something-else', pace: 'fast' }).start();
  okHttp = await new VirtualHttpCamera({ auth: 'digest', username: USER, password: GOOD, pace: 'fast' }).start();
  badHttp = await new VirtualHttpCamera({ auth: 'basic', username: USER, password: 'something-else', pace: 'fast' }).start();
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  refusedPort = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r)); // nothing listens there now
  dir = mkdtempSync(join(tmpdir(), 'camstream-leak-'));
});
afterAll(async () => {
  await Promise.all([okRtsp.stop(), badRtsp.stop(), okHttp.stop(), badHttp.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const enc = encodeURIComponent(GOOD);
const rtsp = (port: number, pw = enc): string => `rtsp://${USER}:${pw}@127.0.0.1:${port}/cam/realmonitor?channel=1&subtype=0`;
const http = (port: number, path: string, pw = enc): string => `http://${USER}:${pw}@127.0.0.1:${port}${path}`;
const LIVE = '/cgi-bin/realmonitor.cgi?action=getStream&channel=1&subtype=0';
const MJPEG = '/cgi-bin/mjpg/video.cgi?channel=1&subtype=1';
const EVENTS = '/cgi-bin/eventManager.cgi?action=attach&codes=[All]';

interface Case {
  name: string;
  args: (out: string) => string[];
}

function cases(): Case[] {
  const servers = [
    { tag: 'accepted', rtsp: okRtsp.port, http: okHttp.port },
    { tag: '401', rtsp: badRtsp.port, http: badHttp.port },
    { tag: 'refused', rtsp: refusedPort, http: refusedPort },
  ];
  const list: Case[] = [];
  for (const s of servers) {
    for (const flags of [['--json'], ['-v']]) {
      const f = flags.join(' ') || 'plain';
      list.push({ name: `probe ${s.tag} ${f}`, args: () => ['probe', rtsp(s.rtsp), ...flags] });
      list.push({ name: `record rtsp ${s.tag} ${f}`, args: (o) => ['record', rtsp(s.rtsp), '-o', `${o}.h264`, '--frames', '5', '--timeout', '5', ...flags] });
      list.push({ name: `record http ${s.tag} ${f}`, args: (o) => ['record', http(s.http, LIVE), '-o', `${o}.h264`, '--frames', '5', '--timeout', '5', ...flags] });
    }
    for (const flags of [[], ['-v']]) {
      const f = flags.join(' ') || 'plain';
      list.push({ name: `demo --url ${s.tag} ${f}`, args: (o) => ['demo', '--url', rtsp(s.rtsp), '--duration', '0.3', '-o', `${o}.h264`, ...flags] });
    }
    list.push({ name: `record rtsp -o - ${s.tag}`, args: () => ['record', rtsp(s.rtsp), '-o', '-', '--frames', '5', '-v'] });
    list.push({ name: `record http .dav ${s.tag}`, args: (o) => ['record', http(s.http, LIVE), '-o', `${o}.dav`, '--frames', '5', '--json', '-v'] });
    list.push({ name: `mjpeg ${s.tag}`, args: (o) => ['mjpeg', http(s.http, MJPEG), '-o', o, '--frames', '2'] });
    list.push({ name: `events ${s.tag}`, args: () => ['events', http(s.http, EVENTS), '--count', '1'] });
  }
  // Argument and URL errors: the message must not echo the password.
  const bad = [
    ['record', `--url=${rtsp(okRtsp.port)}`, '-o', 'x.h264'],
    ['probe', rtsp(okRtsp.port), 'extra', '--json'],
    ['record', rtsp(okRtsp.port), '-o', 'x.mkv', '--json'],
    ['record', rtsp(okRtsp.port), '-o', 'x.h264', '--frames', rtsp(okRtsp.port)],
    ['nonsense', rtsp(okRtsp.port), '--json'],
    ['demux', rtsp(okRtsp.port), '--format', rtsp(okRtsp.port)],
    ['probe', ` ${rtsp(okRtsp.port)}`], // a leading space
    ['probe', rtsp(okRtsp.port, RAW)], // '/' and '?' unencoded: "bad port"
    ['record', rtsp(refusedPort, RAW), '-o', 'x.h264', '--json'],
    ['demo', '--url', rtsp(okRtsp.port, RAW)],
    ['record', http(okHttp.port, LIVE, RAW), '-o', 'x.h264', '--json'],
    ['mjpeg', http(okHttp.port, MJPEG, RAW)],
    ['events', http(okHttp.port, EVENTS, RAW)],
    ['probe', `${USER}:${RAW}@127.0.0.1:${okRtsp.port}/x`], // no scheme
  ];
  bad.forEach((a, i) => list.push({ name: `usage/URL error ${i}: ${a[0]}`, args: () => a }));
  return list;
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
  }));
}

function leaks(where: string, text: string): string[] {
  return SECRETS.filter((s) => text.includes(s)).map((s) => `${where} contains ${JSON.stringify(s)}`);
}

function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]));
}

describe.skipIf(!haveBin)('no form of a password reaches stdout, stderr or a file', () => {
  it('every command, every error path, with and without --json / -v', async () => {
    const all = cases();
    const found: string[] = [];
    const ran: string[] = [];
    await pool(all, 4, async (c) => {
      const work = mkdtempSync(join(dir, 'run-'));
      const t0 = Date.now();
      const r = await run(c.args(join(work, 'out')), { cwd: work });
      if (process.env['LEAK_TIMES']) console.log(Date.now() - t0, c.name, r.code);
      ran.push(c.name);
      if (r.code === null) found.push(`${c.name}: did not exit (${r.signal})`);
      found.push(...leaks(`${c.name} stdout`, r.out.toString('latin1')), ...leaks(`${c.name} stderr`, r.err));
      for (const f of filesUnder(work)) if (statSync(f).size < 64 << 20) found.push(...leaks(`${c.name} file ${f}`, readFileSync(f).toString('latin1')));
    });
    expect(ran).toHaveLength(all.length);
    expect(found).toEqual([]);
  }, 180_000);

  it('the scan finds a leak when there is one (the oracle works)', () => {
    expect(leaks('x', `Authorization: Basic ${Buffer.from(`${USER}:${GOOD}`).toString('base64')}`)).not.toEqual([]);
    expect(leaks('x', `bad port in rtsp://admin:Zq8kP@127.0.0.1`)).not.toEqual([]);
    expect(leaks('x', `rtsp://admin:${enc}@h/`)).not.toEqual([]);
  });
});
