/**
 * A browser plays the writer's live output: headless Chromium loads a page (served on loopback)
 * that appends the init segment and the media segments to a MediaSource, plays, and posts back what
 * happened. The test asserts that playback time advanced and that no error was raised.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mp4Writer, type Mp4Chunk } from '../../src/mp4/writer.js';
import { AAC_CONFIG, aacUnits, h264Units, interleave, missingCommand } from '../mp4/support.js';
import type { AudioAccessUnit } from '../../src/codec/types.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const PAGE = `<!doctype html><html><body><video id="v" muted></video><script>
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
(async () => {
  const info = await (await fetch('/info')).json();
  const r = { supported: MediaSource.isTypeSupported(info.mime), errors: [], currentTime: 0, buffered: [] };
  const v = document.getElementById('v');
  v.onerror = () => r.errors.push('video: ' + (v.error && v.error.message));
  const ms = new MediaSource();
  v.src = URL.createObjectURL(ms);
  await new Promise((ok) => ms.addEventListener('sourceopen', ok, { once: true }));
  const sb = ms.addSourceBuffer(info.mime);
  sb.onerror = () => r.errors.push('sourcebuffer error');
  for (let i = 0; i < info.segments; i++) {
    const seg = await (await fetch('/seg/' + i)).arrayBuffer();
    sb.appendBuffer(seg);
    await new Promise((ok) => sb.addEventListener('updateend', ok, { once: true }));
  }
  ms.endOfStream();
  for (let i = 0; i < sb.buffered.length; i++) r.buffered.push([sb.buffered.start(i), sb.buffered.end(i)]);
  try { await v.play(); } catch (e) { r.errors.push('play: ' + e.message); }
  const t0 = performance.now();
  while (v.currentTime < 1 && performance.now() - t0 < 8000 && r.errors.length === 0) await new Promise((ok) => setTimeout(ok, 50));
  r.currentTime = v.currentTime;
  r.videoWidth = v.videoWidth;
  await report(r);
})().catch((e) => report({ errors: ['page: ' + e.message] }));
</script></body></html>`;

interface PageResult {
  supported?: boolean;
  errors: string[];
  currentTime?: number;
  buffered?: [number, number][];
  videoWidth?: number;
}

describe.skipIf(missingCommand('chromium'))('MP4 writer x headless Chromium MediaSource', () => {
  it('the init segment + media segments play: time advances, no error', async () => {
    const chunks: Mp4Chunk[] = [];
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }], mfra: false }, { onChunk: (c) => chunks.push(c) });
    for (const { track, unit, t } of interleave([{ units: h264Units(), clockRate: 90000 }, { units: aacUnits(), clockRate: 16000 }])) {
      w.push(track, { data: unit.data, nalus: unit.nalus, keyframe: unit.keyframe, time: Math.round(t * (track ? 16000 : 90000)), duration: (unit as AudioAccessUnit).sampleCount });
    }
    w.close();
    // A live viewer gets init then media chunks; the close-time patch is for files only.
    const segments = chunks.filter((c) => c.kind === 'init' || c.kind === 'media').map((c) => c.data);
    expect(segments.length).toBeGreaterThan(2);
    const mime = w.mimeType!;

    let resolveResult!: (r: PageResult) => void;
    const result = new Promise<PageResult>((ok) => (resolveResult = ok));
    const server: Server = createServer((req, res) => {
      if (req.url === '/') res.setHeader('content-type', 'text/html').end(PAGE);
      else if (req.url === '/info') res.setHeader('content-type', 'application/json').end(JSON.stringify({ mime, segments: segments.length }));
      else if (req.url?.startsWith('/seg/')) res.setHeader('content-type', 'video/mp4').end(segments[Number(req.url.slice(5))]);
      else if (req.url === '/result') {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          res.end();
          resolveResult(JSON.parse(body) as PageResult);
        });
      } else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    cleanup.push(() => new Promise<void>((ok) => server.close(() => ok())));
    const port = (server.address() as { port: number }).port;
    const profile = mkdtempSync(join(tmpdir(), 'camstream-chromium-'));
    cleanup.push(() => rmSync(profile, { recursive: true, force: true }));
    const browser: ChildProcess = spawn(
      'chromium',
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`],
      { stdio: 'ignore' },
    );
    cleanup.push(
      () =>
        new Promise<void>((ok) => {
          if (browser.exitCode !== null || browser.signalCode !== null) return ok();
          browser.once('exit', () => ok());
          browser.kill('SIGKILL');
        }),
    );
    const exited = new Promise<PageResult>((ok) => browser.once('exit', (code) => ok({ errors: [`chromium exited (${code}) before the page reported`] })));
    const r = await Promise.race([result, exited]);
    expect(r.errors).toEqual([]);
    expect(r.supported).toBe(true);
    expect(r.buffered![0]![0]).toBeLessThan(0.1);
    expect(r.buffered![0]![1]).toBeGreaterThan(3.9);
    expect(r.videoWidth).toBe(640);
    expect(r.currentTime!).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
