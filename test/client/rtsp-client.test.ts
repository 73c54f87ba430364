import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { VirtualCamera, type VirtualCameraOptions } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { ProtocolError } from '../../src/errors.js';

const media = loadH264();
let cams: VirtualCamera[] = [];
afterEach(async () => {
  await Promise.all(cams.map((c) => c.stop()));
  cams = [];
});

async function camera(o: VirtualCameraOptions = {}): Promise<VirtualCamera> {
  const c = await new VirtualCamera({ pace: 'fast', ...o }).start();
  cams.push(c);
  return c;
}

async function take(client: RtspClient, n: number, mediaType = 'video'): Promise<RtspFrame[]> {
  const out: RtspFrame[] = [];
  for await (const f of client.frames()) {
    if (f.mediaType === mediaType) out.push(f);
    if (out.length >= n) break;
  }
  return out;
}

/** The NAL units of corpus access unit i (in file order). */
function corpusNalus(i: number): Buffer[] {
  return media.units[i % media.units.length]!.map((n) => Buffer.from(n));
}

describe('RtspClient against the VirtualCamera', () => {
  it('delivers every access unit of the corpus, NAL for NAL, in order (Digest with qop)', async () => {
    const cam = await camera({ auth: 'digest', loop: false });
    const client = new RtspClient(cam.url());
    const desc = await client.start();
    expect(desc.authScheme).toBe('Digest');
    expect(desc.tracks[0]!.codec).toBe('h264');
    const frames = await take(client, media.units.length);
    await client.close();
    expect(frames).toHaveLength(media.units.length);
    for (let i = 0; i < frames.length; i++) {
      const got = splitAnnexB(frames[i]!.data).map((n) => Buffer.from(n));
      expect(got).toEqual(corpusNalus(i));
    }
    expect(frames[0]!.keyframe).toBe(true);
    expect(frames.filter((f) => f.keyframe)).toHaveLength(4);
    expect(frames[1]!.presentationTime).toBeCloseTo(0.04, 6);
    expect(client.tracks[0]!.width).toBe(640);
    expect(client.tracks[0]!.height).toBe(360);
    expect(client.stats.lostPackets).toBe(0);
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
  });

  it('survives the quirk set: bare LF, Cseq spelling, server channels, data before PLAY answer, server requests, stray channel, no marker', async () => {
    const cam = await camera({
      quirks: { bareLf: true, cseqSpelling: true, serverChosenChannels: true, dataBeforePlayResponse: true, serverRequests: true, strayChannel: true, noMarker: true, dahuaContentBase: true },
    });
    const client = new RtspClient(cam.url(), { transport: 'tcp' });
    await client.start();
    const frames = await take(client, 60);
    await client.close();
    // Without markers, a unit ends when the next timestamp arrives: all 60 complete and in order.
    for (let i = 0; i < frames.length; i++) expect(splitAnnexB(frames[i]!.data).map((n) => Buffer.from(n))).toEqual(corpusNalus(i));
    expect(client.tracks[0]!.rtpChannel).toBe(6);
    expect(client.stats.strayFrames).toBeGreaterThan(0);
    expect(client.stats.serverRequests).toBeGreaterThan(0);
  });

  it('marker on SPS/PPS does not split the access unit', async () => {
    const cam = await camera({ quirks: { markerOnParameterSets: true } });
    const client = new RtspClient(cam.url());
    await client.start();
    const frames = await take(client, 30);
    await client.close();
    for (let i = 0; i < frames.length; i++) expect(splitAnnexB(frames[i]!.data).map((n) => Buffer.from(n))).toEqual(corpusNalus(i));
  });

  it("parses the IP Camera Standard API 5.0.0's SDP (packetization-mode=28, PCMU) and sets up video and audio", async () => {
    const cam = await camera({ quirks: { seed000Sdp: true } });
    const client = new RtspClient(cam.url('/h264'), { media: ['video'] });
    const desc = await client.describe();
    expect(desc.tracks.map((t) => `${t.type}/${t.codec}`)).toEqual(['video/h264', 'audio/pcmu']);
    expect(desc.tracks[0]!.control).toMatch(/\/h264\/track1$/);
    await client.setup();
    await client.play();
    const frames = await take(client, 10);
    await client.close();
    expect(frames).toHaveLength(10);
    expect(splitAnnexB(frames[0]!.data).length).toBeGreaterThan(0);
  });

  it('a wrong password fails with AUTH_FAILED within a second, and credentials never show', async () => {
    const cam = await camera({ auth: 'digest', password: 's3cret-pass' });
    const url = cam.url().replace('s3cret-pass', 'wrong-pw');
    const client = new RtspClient(url);
    const t0 = Date.now();
    const err = await client.describe().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('AUTH_FAILED');
    expect(JSON.stringify(err) + String(err)).not.toContain('wrong-pw');
    await client.close();
  });

  it('a missing path is a clear RTSP_STATUS 404 error', async () => {
    const cam = await camera();
    const client = new RtspClient(cam.url('/missing'));
    const err = (await client.describe().catch((e: unknown) => e)) as ProtocolError;
    expect(err.code).toBe('RTSP_STATUS');
    expect(err.context['status']).toBe(404);
    await client.close();
  });

  it('prefers Digest when Basic and Digest are both offered', async () => {
    const cam = await camera({ auth: 'both' });
    const client = new RtspClient(cam.url());
    const d = await client.describe();
    expect(d.authScheme).toBe('Digest');
    await client.close();
  });

  it('a server that closes mid-frame ends frames() with CONNECTION_CLOSED after the complete frames', async () => {
    const cam = await camera({ faults: { closeMidFrameAfter: 200 } });
    const client = new RtspClient(cam.url(), { transport: 'tcp' });
    await client.start();
    const got: RtspFrame[] = [];
    const err = await (async () => {
      for await (const f of client.frames()) got.push(f);
    })().catch((e: unknown) => e);
    expect((err as ProtocolError).code).toBe('CONNECTION_CLOSED');
    expect(got.length).toBeGreaterThan(3);
    for (let i = 0; i < got.length; i++) expect(splitAnnexB(got[i]!.data).map((n) => Buffer.from(n))).toEqual(corpusNalus(i));
    await client.close();
  });

  it('a stalled server ends the session with TIMEOUT', async () => {
    const cam = await camera({ faults: { stallAfter: 50 } });
    const client = new RtspClient(cam.url(), { idleTimeoutMs: 700, transport: 'tcp' });
    await client.start();
    const err = await (async () => {
      for await (const _ of client.frames());
    })().catch((e: unknown) => e);
    expect((err as ProtocolError).code).toBe('TIMEOUT');
    await client.close();
  });

  it('garbage on the socket is reported as a ProtocolError and the stream resyncs', async () => {
    const cam = await camera({ faults: { garbageAfter: 40, garbageBytes: 300 } });
    const client = new RtspClient(cam.url(), { transport: 'tcp' });
    const warnings: ProtocolError[] = [];
    client.on('warning', (e) => warnings.push(e));
    await client.start();
    const frames = await take(client, 40);
    await client.close();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w instanceof ProtocolError)).toBe(true);
    expect(frames).toHaveLength(40);
  });

  it('a UDP-only server (461) is a clear RTSP_STATUS error; a lost session (454) is RTSP_SESSION_NOT_FOUND', async () => {
    const vlcLike = await camera({ quirks: { udpOnly: true } });
    const c1 = new RtspClient(vlcLike.url(), { transport: 'tcp' });
    const e1 = (await c1.start().catch((x: unknown) => x)) as ProtocolError;
    expect(e1.code).toBe('RTSP_STATUS');
    expect(e1.context).toMatchObject({ method: 'SETUP', status: 461 });
    expect(e1.message).toMatch(/does not offer RTP over TCP/);
    await c1.close();
    const forgetful = await camera({ faults: { forgetSessionBeforePlay: true } });
    const c2 = new RtspClient(forgetful.url());
    const e2 = (await c2.start().catch((x: unknown) => x)) as ProtocolError;
    expect(e2.code).toBe('RTSP_SESSION_NOT_FOUND');
    expect(e2.context).toMatchObject({ method: 'PLAY', status: 454 });
    await c2.close();
  });

  it('close() releases the socket and timers; the camera sees the connection go', async () => {
    // Counts only this client's own handles: its socket (seen through the wire tap) and its timer.
    const cam = await camera();
    const opened: number[] = [];
    const closed: number[] = [];
    const client = new RtspClient(cam.url(), {
      tap: { open: (c) => opened.push(c.id), data: () => undefined, close: (id) => closed.push(id) },
    });
    await client.start();
    await take(client, 5);
    expect(client.resources).toEqual({ socket: true, timer: true });
    expect(opened).toHaveLength(1);
    await client.close();
    expect(client.resources).toEqual({ socket: false, timer: false });
    expect(closed).toEqual(opened);
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
  });
});

describe('RtspClient session services', () => {
  it('maps RTP time to wall-clock time from RTCP sender reports and sends receiver reports', async () => {
    const cam = await camera({ pace: 'realtime' });
    const client = new RtspClient(cam.url(), { receiverReportIntervalMs: 200, statsIntervalMs: 100, transport: 'tcp' });
    const snapshots: number[] = [];
    client.on('stats', (s) => snapshots.push(s.frames));
    await client.start();
    const t0 = Date.now();
    const frames = await take(client, 15);
    await client.close();
    const timed = frames.filter((f) => f.wallClockMs !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    for (const f of timed) expect(Math.abs(f.wallClockMs! - Date.now())).toBeLessThan(5000);
    // Consecutive frames are 40 ms apart on the wall clock too (25 fps).
    const a = timed[0]!;
    const b = timed.at(-1)!;
    expect((b.wallClockMs! - a.wallClockMs!) / (b.presentationTime - a.presentationTime)).toBeCloseTo(1000, 0);
    expect(Date.now() - t0).toBeGreaterThan(300);
    expect(cam.stats.receivedInterleaved).toBeGreaterThan(0); // our RRs reached the camera
    expect(snapshots.length).toBeGreaterThan(0);
  });

  it('follows redirects, and a redirect loop is a bounded RTSP_REDIRECT_LOOP error', async () => {
    const cam = await camera();
    const ok = new RtspClient(cam.url('/redirect/cam/realmonitor?channel=1&subtype=0'));
    const d = await ok.describe();
    expect(d.url).toMatch(/\/cam\/realmonitor\?channel=1&subtype=0$/);
    await ok.close();
    const loop = new RtspClient(cam.url('/redirect-loop'), { maxRedirects: 2 });
    const e = (await loop.describe().catch((x: unknown) => x)) as ProtocolError;
    expect(e.code).toBe('RTSP_REDIRECT_LOOP');
    await loop.close();
  });

  it('an AbortSignal ends frames() cleanly, still sends TEARDOWN, and keeps the reason as cause', async () => {
    const cam = await camera({ pace: 'realtime' });
    const ac = new AbortController();
    const client = new RtspClient(cam.url(), { signal: ac.signal });
    await client.start();
    let n = 0;
    const closedOnce = new Promise<void>((r) => client.once('close', () => r()));
    for await (const _ of client.frames()) if (++n === 3) ac.abort(new Error('operator stop'));
    await closedOnce;
    expect(n).toBeGreaterThanOrEqual(3);
    expect(client.endReason).toBe('closed');
    expect(client.endError?.code).toBe('ABORTED');
    expect((client.endError?.cause as Error).message).toBe('operator stop');
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
    await client.close();
    expect(client.resources).toEqual({ socket: false, timer: false });
  });

  it('AVCC output carries 4-byte lengths and the avc1 codec string is known', async () => {
    const cam = await camera({ loop: false });
    const client = new RtspClient(cam.url(), { output: 'avcc' });
    await client.start();
    const [f] = await take(client, 1);
    await client.close();
    const data = Buffer.from(f!.data);
    let o = 0;
    for (const n of corpusNalus(0)) {
      expect(data.readUInt32BE(o)).toBe(n.length);
      expect(data.subarray(o + 4, o + 4 + n.length)).toEqual(n);
      o += 4 + n.length;
    }
    expect(o).toBe(data.length);
    expect(client.tracks[0]!.codecString).toMatch(/^avc1\.42c01e$/i);
  });
});

describe('RtspClient close after a slow consumer', () => {
  it('closes promptly (TEARDOWN answered) even when backpressure had paused the socket', async () => {
    const cam = await camera({ pace: 'fast' });
    const client = new RtspClient(cam.url(), { frameQueueSize: 4 });
    await client.start();
    await new Promise((r) => setTimeout(r, 300)); // let the queue fill and pause the socket
    await take(client, 2);
    const t0 = Date.now();
    await client.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(cam.stats.requests['TEARDOWN']).toBe(1);
  });
});
