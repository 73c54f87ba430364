/**
 * GStreamer's ONVIF RTSP server (gst-rtsp-server 1.22, RTSPOnvifServer + RTSPOnvifMediaFactory,
 * test/support/gst-onvif-server.py) as a real peer for two-way audio and ONVIF replay.
 *
 * What 1.22 does, as these tests show it (and where the PlaybackCamera covers the rest):
 * - backchannel: `Require: www.onvif.org/ver20/backchannel` adds an `a=sendonly` PCMU track; what we
 *   send over TCP interleaved arrives byte for byte at the server's depayloader.
 * - replay (`set_replay_support`, rtponviftimestamp after the payloader): every packet has the 0xABAC
 *   extension with the right absolute time, C on key frames, D on the first packet, E and T (when
 *   enabled) one packet before the last of the range; Range npt and seeks work; Scale -1 sends GOPs
 *   last to first.
 * - falls short: the CSeq byte is always 0 (so stale packets after a seek cannot be told apart);
 *   `Scale: 2` is answered `Scale: 1.000` + `Speed: 2.000`; `Range: clock=` is read on a time line
 *   that starts in 1900 (the recording's absolute start is unknown to it); no RTCP BYE and no close
 *   at the end of the range. The PlaybackCamera tests (test/playback/) cover CSeq, clock ranges and BYE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { Backchannel } from '../../src/client/backchannel.js';
import { corpusPath, loadG711 } from '../../src/testing/media-source.js';
import { freePort, haveFfmpeg, missing, run } from '../support/peers.js';

const SCRIPT = fileURLToPath(new URL('../support/gst-onvif-server.py', import.meta.url));
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);
const skip = missing('gst') || (!haveFfmpeg && missing('ffmpeg'));

interface Server {
  port: number;
  proc: ChildProcess;
  /** Bytes the server's backchannel pipeline wrote to its sink file. */
  received: () => number;
  waitReceived(n: number): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(args: string[], sinkFile: string): Promise<Server> {
  const port = await freePort();
  const proc = spawn('/usr/bin/python3', [SCRIPT, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const received = (): number => (existsSync(sinkFile) ? statSync(sinkFile).size : 0);
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gst ONVIF server did not start: ${err}`)), 15_000);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-200);
      if (/READY/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gst ONVIF server exited ${code}: ${err}`));
    });
  });
  return {
    port,
    proc,
    received,
    async waitReceived(n) {
      const until = Date.now() + 10_000;
      while (received() < n && Date.now() < until) await new Promise<void>((r) => setTimeout(r, 50));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
      }),
  };
}

async function all(c: RtspClient, limit = Infinity): Promise<RtspFrame[]> {
  const out: RtspFrame[] = [];
  for await (const f of c.frames()) {
    out.push(f);
    if (out.length >= limit) break;
  }
  return out;
}

const index = (f: RtspFrame): number => Math.round((f.wallClockMs! - T0) / 40);

describe.skipIf(skip)('GStreamer 1.22 ONVIF server', () => {
  let dir = '';
  let server: Server;
  const sink = (): string => join(dir, 'backchannel.ulaw');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-onvif-'));
    const mp4 = join(dir, 'rec.mp4');
    const r = run('ffmpeg', ['-v', 'error', '-y', '-r', '25', '-i', corpusPath('h264-640x360-25fps.h264'), '-c', 'copy', mp4]);
    expect(r.status, r.stderr).toBe(0);
    server = await startServer(['--backchannel', '/bc', '--sink-file', sink(), '--replay', `/rec=${mp4}`, '--replay-start', '2024-01-02T03:04:05Z', '--t-bit', '--e-bit'], sink());
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string): string => `rtsp://127.0.0.1:${server.port}${path}`;

  it('backchannel: 0.5 s of µ-law sent over TCP arrives at the server byte for byte', async () => {
    const tone = loadG711().subarray(0, 4000);
    const bc = await Backchannel.open(url('/bc'));
    try {
      expect(bc.codec).toBe('pcmu');
      expect(bc.track.media.direction).toBe('sendonly');
      await bc.sendAudio(tone);
      await bc.finish();
      await server.waitReceived(tone.length);
    } finally {
      await bc.close();
    }
    expect(server.received()).toBe(tone.length);
    expect(Buffer.from(readFileSync(sink()))).toEqual(Buffer.from(tone));
  });

  it('replay: onvif-replay with Rate-Control: no plays the whole recording with absolute times and flags, ends with reason end (T bit)', async () => {
    const c = new RtspClient(url('/rec'), { require: ['onvif-replay'] });
    try {
      await c.describe();
      await c.setup();
      const answer = await c.play({ range: { npt: 0 }, rateControl: false });
      expect(answer.range?.range).toEqual({ unit: 'npt', start: 0, end: 4 });
      expect(answer.rateControl).toBe(false);
      const frames = await all(c);
      expect(c.endReason).toBe('end');
      expect(frames.map(index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(frames.filter((f) => f.replay?.cleanPoint).map(index)).toEqual([0, 25, 50, 75]);
      expect(frames[0]!.replay!.discontinuity).toBe(true);
      expect(frames.at(-1)!.replay!.terminal).toBe(true);
      // 1.22 falls short: the CSeq byte is always 0, not the PLAY's.
      expect(new Set(frames.map((f) => f.replay!.cseq))).toEqual(new Set([0]));
    } finally {
      await c.close();
    }
  });

  it('replay at Scale 2: answered Scale 1.000 + Speed 2.000 (1.22), frames keep their recording times, the end is reached', async () => {
    const c = new RtspClient(url('/rec'), { require: ['onvif-replay'] });
    try {
      await c.describe();
      await c.setup();
      const t = Date.now();
      const answer = await c.play({ range: { npt: 2 }, scale: 2 });
      expect(answer.scale).toBe(1);
      expect(answer.speed).toBe(2);
      const frames = await all(c);
      expect(c.endReason).toBe('end');
      expect(frames.map(index)).toEqual(Array.from({ length: 50 }, (_, i) => 50 + i));
      // 2 s of recording at twice the speed: about 1 s, well under the 2 s of real time.
      expect(Date.now() - t).toBeLessThan(1900);
    } finally {
      await c.close();
    }
  });

  it('reverse replay (Scale -1): GOPs last to first, each in decoding order, with absolute times', async () => {
    const c = new RtspClient(url('/rec'), { require: ['onvif-replay'] });
    try {
      await c.describe();
      await c.setup();
      // From the last GOP's start: 1.22 sometimes ends a reverse play begun at the very end of the file early.
      const answer = await c.play({ range: { npt: 3.5 }, scale: -1, rateControl: false });
      expect(answer.range?.range).toMatchObject({ unit: 'npt', end: 0 });
      const frames = await all(c);
      const idx = frames.map(index);
      // GOPs come last to first, each in forward order. (1.22 sometimes ends a reverse play early,
      // after one or two GOPs: only the order of what arrives is checked.)
      expect(idx.length).toBeGreaterThan(0);
      expect(Math.floor(idx[0]! / 25)).toBe(3);
      for (let i = 1; i < idx.length; i++) {
        const [g0, g1] = [Math.floor(idx[i - 1]! / 25), Math.floor(idx[i]! / 25)];
        if (g1 === g0) expect(idx[i]).toBeGreaterThan(idx[i - 1]!);
        else expect(g1).toBeLessThan(g0);
      }
    } finally {
      await c.close();
    }
  });

  it('seek, pause and resume on one session; Range clock is on a 1900 time line in 1.22', async () => {
    const c = new RtspClient(url('/rec'), { require: ['onvif-replay'] });
    try {
      await c.describe();
      await c.setup();
      await c.play({ range: { npt: 0 } });
      const it = c.frames()[Symbol.asyncIterator]();
      const next = async (): Promise<RtspFrame> => (await it.next()).value as RtspFrame;
      for (let i = 0; i < 3; i++) await next();
      const seek = await c.play({ range: { npt: 3 }, immediate: true });
      const sr = seek.range?.range;
      expect(sr?.unit).toBe('npt');
      // 1.22 answers the position it landed on: `npt=3.000261274-4`.
      expect(sr?.unit === 'npt' ? sr.start : -1).toBeCloseTo(3, 2);
      expect(sr?.end).toBe(4);
      let f = await next();
      while (index(f) < 75) f = await next(); // frames in flight before the seek
      expect(index(f)).toBe(75);
      expect(f.discontinuity).toBe(true);
      await c.pause();
      const resumed = await c.play();
      expect(resumed.range?.range.unit).toBe('npt');
      const rest: RtspFrame[] = [f];
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        rest.push(r.value);
      }
      // After the resume the recording continues to its end without a hole.
      const idx = rest.map(index);
      expect(idx.at(-1)).toBe(99);
      for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThanOrEqual(idx[i - 1]!);
      expect(c.endReason).toBe('end');
    } finally {
      await c.close();
    }
    const k = new RtspClient(url('/rec'), { require: ['onvif-replay'] });
    try {
      await k.describe();
      await k.setup();
      const answer = await k.play({ range: { clock: new Date(T0 + 1000) } });
      const r = answer.range?.range;
      expect(r?.unit).toBe('clock');
      expect(new Date(r!.unit === 'clock' ? r!.start : 0).getUTCFullYear()).toBe(1900);
    } finally {
      await k.close();
    }
  });
});
