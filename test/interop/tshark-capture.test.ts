/**
 * The capture is read by a real dissector: tshark (Wireshark 4.0, Debian) lists every RTSP request and
 * response of the session, counts the RTP packets the client counted, decodes the RTCP sender reports,
 * and the file holds no form of the password. Against the virtual camera (Digest) and GStreamer's RTSP
 * server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { MemorySink, PcapngCapture } from '../../src/capture/capture.js';
import { secretForms } from '../../src/capture/redact.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { CameraHttp } from '../../src/client/camera-http.js';
import { VirtualHttpCamera } from '../../src/testing/virtual-camera-http.js';
import { captureEvents } from '../../src/capture/read.js';
import { replayCapture } from '../../src/capture/replay.js';
import { createHash } from 'node:crypto';
import { GST_H264_LIVE, missing, startGst, type GstServer } from '../support/peers.js';

function haveTshark(): boolean {
  const ok = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI) throw new Error("interop peer 'tshark' is missing in CI: run scripts/install-peers.sh");
  if (!ok) console.warn('skipping tshark tests: not installed (bash scripts/install-peers.sh)');
  return ok;
}

interface Dissected {
  requests: string[];
  statuses: number[];
  rtpSeqs: number;
  rtcpSenderReports: number;
  tcpWarnings: number;
}

/** One tshark pass over the file: the fields every test needs. */
function dissect(file: string, decodeAs: string[]): Dissected {
  const fields = ['rtsp.method', 'rtsp.url', 'rtsp.status', 'rtp.seq', 'rtcp.pt', 'tcp.analysis.flags'];
  const args = ['-r', file, ...decodeAs.flatMap((h) => h.split(' ')), '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'latin1', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out: Dissected = { requests: [], statuses: [], rtpSeqs: 0, rtcpSenderReports: 0, tcpWarnings: 0 };
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const [method, url, status, seq, rtcp, tcpFlags] = line.split('\t');
    if (method) out.requests.push(`${method} ${url}`);
    if (status) out.statuses.push(Number(status));
    if (seq) out.rtpSeqs += seq.split(',').length;
    if (rtcp) out.rtcpSenderReports += rtcp.split(',').filter((p) => p === '200').length;
    if (tcpFlags) out.tcpWarnings++;
  }
  return out;
}

const PASSWORD = 'p@ss:w0rd/x';

/** Runs one session with the client's tap on a capture; returns the capture file and what the client counted. */
async function captureSession(url: string, dir: string, until: (c: RtspClient) => boolean): Promise<{ file: string; rtp: number; decodeAs: string[] }> {
  const sink = new MemorySink();
  const cap = new PcapngCapture(sink, { secrets: secretForms('admin', PASSWORD) });
  const client = new RtspClient(url, { tap: cap, transport: 'tcp' });
  try {
    await client.start();
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (until(client)) {
          client.off('rtp', check);
          resolve();
        }
      };
      client.on('rtp', check);
      (async () => {
        for await (const _ of client.frames());
      })().catch(reject);
    });
    await client.close();
  } finally {
    await client.close();
  }
  cap.end(Date.now());
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.pcapng`);
  writeFileSync(file, sink.file());
  return { file, rtp: client.stats.rtpPackets, decodeAs: cap.decodeAs };
}

function assertNoPassword(file: string): void {
  const bytes = readFileSync(file).toString('latin1');
  for (const form of [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`admin:${PASSWORD}`).toString('base64')]) expect(bytes.includes(form), form).toBe(false);
}

const skip = !haveTshark();

describe.skipIf(skip)('tshark reads camstream captures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-tshark-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('virtual camera with Digest: every request and response, the client\'s RTP count, RTCP SRs, no password', async () => {
    const cam = await new VirtualCamera({ pace: 'fast', loop: false, auth: 'digest', username: 'admin', password: PASSWORD }).start();
    const units = loadH264().units.length;
    try {
      const r = await captureSession(
        cam.url(),
        dir,
        (c) => cam.stats.units >= units && c.stats.rtpPackets === cam.stats.rtpPackets,
      );
      const t = dissect(r.file, r.decodeAs);
      expect(t.requests).toEqual(cam.requestLog);
      expect(t.statuses).toHaveLength(cam.requestLog.length);
      expect(t.statuses.filter((s) => s === 401)).toHaveLength(1);
      expect(t.rtpSeqs).toBe(r.rtp);
      expect(r.rtp).toBe(cam.stats.rtpPackets);
      expect(t.rtcpSenderReports).toBeGreaterThan(0);
      // The Authorization header is in every request after the 401, its value is not.
      const text = readFileSync(r.file).toString('latin1');
      expect(text.split('Authorization: Digest [redacted]\r\n').length - 1).toBe(cam.requestLog.length - 2);
      assertNoPassword(r.file);
      // No TCP complaints: sequence numbers and handshake are consistent.
      expect(t.tcpWarnings).toBe(0);
    } finally {
      await cam.stop();
    }
  });

  it('HTTP camera client with its tap option: Digest MJPEG and CGI requests dissected as HTTP, Authorization redacted, no password', async () => {
    const cam = await new VirtualHttpCamera({ auth: 'digest', username: 'admin', password: PASSWORD, mjpegFps: 200 }).start();
    const sink = new MemorySink();
    const cap = new PcapngCapture(sink, { secrets: secretForms('admin', PASSWORD) });
    try {
      const api = new CameraHttp(cam.url(), { tap: cap });
      const s = await api.mjpeg({ channel: 1, subtype: 0 });
      let n = 0;
      for await (const _ of s) if (++n >= 5) break;
      await api.cgi('/cgi-bin/magicBox.cgi', { action: 'getSystemInfo' }).catch(() => undefined);
    } finally {
      await cam.stop();
    }
    cap.end(Date.now());
    const file = join(dir, 'http.pcapng');
    writeFileSync(file, sink.file());
    const d = cap.decodeAs.flatMap((h) => h.split(' '));
    const r = spawnSync('tshark', ['-r', file, ...d, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.authorization'], { encoding: 'latin1' });
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(lines.map((l) => `${l[0]} ${l[1]}`)).toEqual(cam.requestLog);
    // Digest: the first request of each connection has no credentials, the retry carries the redacted header.
    expect(lines.filter((l) => l[2]).map((l) => l[2])).toEqual(lines.filter((l) => l[2]).map(() => 'Digest [redacted]'));
    expect(lines.filter((l) => l[2]).length).toBeGreaterThan(0);
    assertNoPassword(file);
  });

  describe.skipIf(missing('gst'))('GStreamer RTSP server', () => {
    let gst: GstServer;
    beforeAll(async () => {
      gst = await startGst({ auth: 'digest', user: 'admin', password: PASSWORD, mounts: { '/live': GST_H264_LIVE } });
    });
    afterAll(async () => gst?.stop());

    const frameKey = (f: RtspFrame): string => `${f.track}/${f.timestamp}/${createHash('sha256').update(f.data).digest('hex')}`;

    /** 30 frames of a live session with its tap on `cap`: their keys and the warnings. */
    async function liveSession(transport: 'tcp' | 'udp', cap: PcapngCapture): Promise<{ client: RtspClient; frames: string[]; warnings: string[] }> {
      const client = new RtspClient(gst.url('/live', { user: 'admin', password: PASSWORD }), { tap: cap, transport });
      const frames: string[] = [];
      const warnings: string[] = [];
      client.on('warning', (w) => warnings.push(`${w.code}: ${w.message}`));
      try {
        await client.start();
        for await (const f of client.frames()) {
          frames.push(frameKey(f));
          if (frames.length >= 30) break;
        }
      } finally {
        await client.close();
      }
      cap.end(Date.now());
      return { client, frames, warnings };
    }

    /** The capture replayed offline: the same 30 frame keys and warnings, and the requests it made. */
    async function replayed(file: Uint8Array): Promise<{ frames: string[]; warnings: string[]; requests: string[] }> {
      const frames: string[] = [];
      const warnings: string[] = [];
      const r = await replayCapture(captureEvents(file), {
        maxFrames: 30,
        onFrame: (f) => frames.push(frameKey(f)),
        onWarning: (w) => warnings.push(`${w.code}: ${w.message}`),
      });
      return { frames, warnings, requests: r.requests };
    }

    it('replaying the capture of a GStreamer session gives the live frames (hash of every unit) and warnings', async () => {
      const sink = new MemorySink();
      const live = await liveSession('tcp', new PcapngCapture(sink));
      const again = await replayed(sink.file());
      expect(again.frames).toEqual(live.frames);
      expect(again.warnings).toEqual(live.warnings);
      expect(again.requests.map((x) => x.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
    });

    it('over UDP: the datagrams are in the capture (tshark counts the client\'s RTP plus its NAT punch), and replay gives the live frames', async () => {
      const sink = new MemorySink();
      const cap = new PcapngCapture(sink, { secrets: secretForms('admin', PASSWORD) });
      const { client, frames } = await liveSession('udp', cap);
      const file = join(dir, 'udp.pcapng');
      writeFileSync(file, sink.file());
      expect(client.transport?.used).toBe('udp');
      expect(cap.decodeAs.some((h) => /^-d udp\.port==\d+,rtp$/.test(h))).toBe(true);
      const t = dissect(file, cap.decodeAs);
      expect(t.requests.map((l) => l.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
      // Every RTP datagram the session counted, plus the 12-byte NAT punch we sent to the server's port.
      expect(t.rtpSeqs).toBe(client.stats.rtpPackets + 1);
      assertNoPassword(file);
      expect((await replayed(sink.file())).frames).toEqual(frames);
    });

    it('Digest session: the RTSP exchange, RTP count and no password', async () => {
      const r = await captureSession(gst.url('/live', { user: 'admin', password: PASSWORD }), dir, (c) => c.stats.rtpPackets >= 60);
      const t = dissect(r.file, r.decodeAs);
      expect(t.requests.map((l) => l.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
      expect(t.statuses).toEqual([200, 401, 200, 200, 200, 200]);
      expect(t.rtpSeqs).toBe(r.rtp);
      expect(t.tcpWarnings).toBe(0);
      assertNoPassword(r.file);
    });
  });
});
