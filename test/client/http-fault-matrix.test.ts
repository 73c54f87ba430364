/**
 * The HTTP half of the fault matrix: misbehaving loopback servers against httpRequest and
 * CameraHttp, each call in its own child process (bundled once with esbuild from
 * test/support/http-fault-child.ts). Each must end with the expected ProtocolError code within a
 * bound, with bounded memory, with no handle left open (the child exits on its own), and with the
 * password nowhere in its output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { build } from 'esbuild';
import { scriptedHttp } from '../support/scripted-http.js';

const PASSWORD = 'Pw-9f3kQ/x?z';
const USER = 'admin';
const secretForms = [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];

let dir: string;
let child: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'camstream-faults-'));
  child = join(dir, 'child.mjs');
  await build({ entryPoints: [new URL('../support/http-fault-child.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, logLevel: 'silent' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildResult {
  code: string;
  message: string;
  context: string;
  ms: number;
  maxRssMiB: number;
  handles: string[];
}

/** Runs the child; fails when it does not exit on its own within `boundMs` (a leaked handle or a hang). */
function runChild(job: object, boundMs: number): Promise<{ result: ChildResult; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child still running after ${boundMs} ms (hang or leaked handle); output so far: ${out}${err}`));
    }, boundMs);
    // 'close', not 'exit': the output pipes may still hold data when the process has exited.
    p.on('close', (status) => {
      clearTimeout(kill);
      if (status !== 0) return reject(new Error(`child exited with ${status}: ${err}`));
      try {
        resolve({ result: JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult, output: out + err });
      } catch (e) {
        reject(new Error(`bad child output ${out} ${err}: ${String(e)}`));
      }
    });
  });
}

const digest = (stale = false): string =>
  `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="DH_0011223344", qop="auth", nonce="${Math.random().toString(36).slice(2)}"${stale ? ', stale=true' : ''}\r\nContent-Length: 0\r\n\r\n`;

interface Scenario {
  name: string;
  call: 'request' | 'cgi' | 'mjpeg' | 'post';
  server: (s: Socket, head: string, n: number) => void;
  code: string | RegExp;
  options?: Record<string, number>;
}

const timers = new Set<NodeJS.Timeout>();
function every(ms: number, s: Socket, f: () => boolean): void {
  const t = setInterval(() => {
    if (s.destroyed || !f()) clearInterval(t);
  }, ms);
  timers.add(t);
}

const scenarios: Scenario[] = [
  { name: 'close in the middle of a Content-Length body', call: 'request', code: 'TRUNCATED', server: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789') },
  { name: 'close in the middle of a chunked body', call: 'request', code: 'TRUNCATED', server: (s) => s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123') },
  { name: 'RST after the head', call: 'request', code: /^(CONNECTION_CLOSED|TRUNCATED)$/, server: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab', () => s.resetAndDestroy()) },
  { name: 'RST instead of an answer', call: 'cgi', code: 'CONNECTION_CLOSED', server: (s) => s.resetAndDestroy() },
  { name: 'stall after the head', call: 'request', code: 'TIMEOUT', options: { idleTimeoutMs: 300 }, server: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab') },
  { name: 'no answer at all', call: 'cgi', code: 'TIMEOUT', options: { idleTimeoutMs: 300 }, server: () => undefined },
  { name: 'endless 401 (Digest) to a wrong password', call: 'cgi', code: 'AUTH_FAILED', server: (s) => s.end(digest()) },
  { name: 'stale=true forever', call: 'cgi', code: 'AUTH_FAILED', server: (s) => s.end(digest(true)) },
  { name: '503 Service Unavailable', call: 'cgi', code: 'HTTP_STATUS', server: (s) => s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy') },
  { name: '500 on a stream', call: 'mjpeg', code: 'HTTP_STATUS', server: (s) => s.end('HTTP/1.0 500 Internal Server Error\r\n\r\n') },
  { name: 'redirect loop', call: 'request', code: 'HTTP_REDIRECT_LOOP', server: (s) => s.end('HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n') },
  { name: 'Content-Length 2^53', call: 'request', code: 'MSG_BAD_HEADER', server: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 9007199254740992\r\n\r\n') },
  { name: 'Content-Length -1 (CameraHttp)', call: 'cgi', code: 'MSG_BAD_HEADER', server: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nOK\r\n') },
  { name: 'two different Content-Lengths', call: 'request', code: 'MSG_BAD_HEADER', server: (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc') },
  { name: 'a 1 MB head', call: 'request', code: 'MSG_HEAD_TOO_LARGE', server: (s) => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`) },
  { name: '10^5 headers', call: 'request', code: 'MSG_HEAD_TOO_LARGE', server: (s) => s.write(`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(100_000)}\r\n`) },
  { name: '10^5 headers under a 1 MiB head cap', call: 'request', code: 'MSG_TOO_MANY_HEADERS', options: { maxHeadSize: 1 << 20 }, server: (s) => s.write(`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(100_000)}\r\n`) },
  { name: 'a chunk size over 2^53', call: 'request', code: 'MSG_BAD_CHUNK', server: (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nabc') },
  { name: 'garbage before the reply', call: 'cgi', code: 'MSG_BAD_START_LINE', server: (s) => s.end('\x00\x01garbage here\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nOK\r\n') },
  { name: '100 KB of garbage with no line end', call: 'request', code: 'MSG_HEAD_TOO_LARGE', server: (s) => s.write(Buffer.alloc(100 * 1024, 0x78)) },
  {
    name: 'slowloris head (one byte every 10 ms)',
    call: 'request',
    code: 'TIMEOUT',
    options: { headTimeoutMs: 400, idleTimeoutMs: 5000 },
    server: (s) => {
      const text = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(1000)}\r\n\r\n`;
      let i = 0;
      every(10, s, () => (i < text.length ? (s.write(text[i++]!), true) : false));
    },
  },
  { name: 'endless blank lines', call: 'cgi', code: 'TIMEOUT', options: { headTimeoutMs: 400, idleTimeoutMs: 5000 }, server: (s) => every(5, s, () => s.write('\r\n') || true) },
  { name: 'a server that never reads a streamed body', call: 'post', code: 'TIMEOUT', options: { idleTimeoutMs: 600 }, server: (s) => s.pause() },
  { name: 'an MJPEG part cut short', call: 'mjpeg', code: 'TRUNCATED', server: (s) => s.end('HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=b\r\n\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Length: 500\r\n\r\n\xff\xd8abc') },
];

// Concurrent: each scenario has its own server and child; the bounds leave room for a loaded machine.
describe.concurrent('HTTP fault matrix (each client call in its own process)', () => {
  afterAll(() => {
    for (const t of timers) clearInterval(t);
  });

  for (const sc of scenarios) {
    it(`${sc.name} -> ${String(sc.code)}`, async () => {
      // The scenario script answers every request on its own server.
      const server = await scriptedHttp((s, head, n) => sc.server(s, head, n));
      try {
        const url = server.url('/').replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
        // Bounds: every configured timeout is at most 1.5 s; the rest is room for a loaded machine
        // (a hang or a leaked handle would never end: the child is killed at 45 s and the test fails).
        const { result, output } = await runChild({ call: sc.call, url, options: sc.options }, 45_000);
        expect(result.code).toMatch(sc.code instanceof RegExp ? sc.code : new RegExp(`^${sc.code}$`));
        expect(result.ms).toBeLessThan(10_000);
        expect(result.handles).toEqual([]);
        expect(result.maxRssMiB).toBeLessThan(200);
        for (const f of secretForms) expect(output).not.toContain(f);
        // Every request the server saw carried the credentials only as a Digest answer, never in clear.
        for (const r of server.requests) for (const f of secretForms) expect(r).not.toContain(f);
      } finally {
        await server.close();
      }
    }, 60_000);
  }
});
