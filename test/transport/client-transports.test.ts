/**
 * RtspClient over every transport against the VirtualCamera: UDP unicast, multicast, the HTTP
 * tunnel, and 'auto' with its two fallbacks (461, and silence over UDP). Byte-exact against the corpus.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { VirtualCamera, type VirtualCameraOptions } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { ProtocolError } from '../../src/errors.js';
import { buildRtpPacket } from '../../src/rtp/rtp-packet.js';

const media = loadH264();
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function camera(o: VirtualCameraOptions = {}): Promise<VirtualCamera> {
  const c = await new VirtualCamera({ pace: 'fast', ...o }).start();
  cleanup.push(() => c.stop());
  return c;
}

function client(url: string, o: ConstructorParameters<typeof RtspClient>[1] = {}): RtspClient {
  const c = new RtspClient(url, o);
  cleanup.push(() => c.close());
  return c;
}

async function take(c: RtspClient, n: number): Promise<RtspFrame[]> {
  const out: RtspFrame[] = [];
  for await (const f of c.frames()) {
    if (f.mediaType === 'video') out.push(f);
    if (out.length >= n) break;
  }
  return out;
}

function expectCorpus(frames: RtspFrame[]): void {
  for (let i = 0; i < frames.length; i++) {
    expect(splitAnnexB(frames[i]!.data).map((n) => Buffer.from(n))).toEqual(media.units[i % media.units.length]!.map((n) => Buffer.from(n)));
  }
}

describe('RtspClient transports (VirtualCamera)', () => {
  it('udp: frames byte-exact, client_port even/odd, receiver reports reach the camera over UDP', async () => {
    const cam = await camera();
    const c = client(cam.url(), { transport: 'udp', receiverReportIntervalMs: 50 });
    await c.start();
    // The NAT punch (2 datagrams) and at least one receiver report reach the camera's UDP ports.
    while (cam.stats.receivedDatagrams < 3) await new Promise((r) => setTimeout(r, 10));
    const frames = await take(c, 60);
    expectCorpus(frames);
    expect(c.transport).toEqual({ requested: 'udp', used: 'udp', reason: 'requested' });
    const tr = c.tracks[0]!.transport!;
    expect(tr.lowerTransport).toBe('UDP');
    expect(tr.clientPort![0] % 2).toBe(0);
    expect(tr.clientPort![1]).toBe(tr.clientPort![0] + 1);
    expect(c.stats.lostPackets).toBe(0);
    expect(cam.stats.receivedInterleaved).toBe(0);
    await c.close();
    expect(c.resources).toEqual({ socket: false, timer: false });
  });

  it('multicast: two clients of one camera on one host, each byte-exact; groups left on close', async () => {
    const cam = await camera({ pace: 'realtime' });
    const a = client(cam.url(), { transport: 'multicast' });
    const b = client(cam.url(), { transport: 'multicast' });
    await Promise.all([a.start(), b.start()]);
    const [fa, fb] = await Promise.all([take(a, 12), take(b, 12)]);
    expectCorpus(fa);
    expectCorpus(fb);
    expect(a.tracks[0]!.transport).toMatchObject({ delivery: 'multicast', destination: cam.multicastGroup });
    expect(a.transport.used).toBe('multicast');
  });

  it('http: RTSP and interleaved RTP through the GET/POST tunnel, byte-exact', async () => {
    const cam = await camera({ transports: ['tcp', 'http'] });
    const c = client(cam.url(), { transport: 'http' });
    await c.start();
    expectCorpus(await take(c, 60));
    expect(c.transport.used).toBe('http');
    expect(cam.openConnections).toBe(2);
    expect(cam.stats.requests['SETUP']).toBe(1);
  });

  it("auto: UDP when the camera offers it; TCP after 461 from a TCP-only camera, with the reason", async () => {
    const both = await camera();
    const c1 = client(both.url(), { transport: 'auto' });
    const seen: string[] = [];
    c1.on('transport', (i) => seen.push(`${i.used}/${i.reason}`));
    await c1.start();
    expectCorpus(await take(c1, 20));
    expect(c1.transport).toEqual({ requested: 'auto', used: 'udp', reason: 'requested' });
    expect(seen).toEqual(['udp/requested']);

    const tcpOnly = await camera({ transports: ['tcp'] });
    const c2 = client(tcpOnly.url(), { transport: 'auto' });
    const warnings: ProtocolError[] = [];
    c2.on('warning', (e) => warnings.push(e));
    await c2.start();
    expectCorpus(await take(c2, 20));
    expect(c2.transport).toEqual({ requested: 'auto', used: 'tcp', reason: 'udp-refused' });
    expect(warnings.map((w) => w.context['status'])).toContain(461);
    expect(tcpOnly.requestLog.filter((l) => l.startsWith('SETUP'))).toHaveLength(2);
  });

  it('auto: no RTP over UDP within udpTimeoutMs after PLAY -> TEARDOWN and the same stream over TCP', async () => {
    const cam = await camera({ faults: { udpBlackhole: true } });
    const c = client(cam.url(), { transport: 'auto', udpTimeoutMs: 300 });
    const warnings: ProtocolError[] = [];
    c.on('warning', (e) => warnings.push(e));
    await c.start();
    expect(c.transport).toEqual({ requested: 'auto', used: 'tcp', reason: 'udp-timeout' });
    expectCorpus(await take(c, 20));
    expect(warnings.some((w) => w.code === 'TIMEOUT' && /retrying over TCP/.test(w.message))).toBe(true);
    expect(cam.requestLog.map((l) => l.split(' ')[0])).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN', 'OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
  });

  it("a datagram from a foreign port is never delivered as media (counted), the camera's stream is untouched", async () => {
    const cam = await camera({ pace: 'realtime' });
    const c = client(cam.url(), { transport: 'udp' });
    await c.start();
    const it = c.frames()[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    const clientRtp = c.tracks[0]!.transport!.clientPort![0];
    // An intruder on the same host forges the track's next packets: valid RTP, right PT, right SSRC.
    const evil = createSocket('udp4');
    evil.bind(0, '127.0.0.1');
    await once(evil, 'listening');
    cleanup.push(() => evil.close());
    const ssrc = c.rtsp.setupTracks[0]!.ssrc ?? 0;
    const rtpBefore = c.stats.rtpPackets;
    for (let i = 0; i < 5; i++) {
      const forged = buildRtpPacket({ marker: true, payloadType: 96, sequenceNumber: i, timestamp: i * 3600, ssrc }, Buffer.from([0x65, 0x88, 0x80, 0x40]));
      evil.send(forged, clientRtp, '127.0.0.1');
    }
    while ((c.udpStats[0]?.foreignDatagrams ?? 0) < 5) await new Promise((r) => setTimeout(r, 10));
    const rest: RtspFrame[] = [first.value as RtspFrame];
    while (rest.length < 12) rest.push((await it.next()).value as RtspFrame);
    expectCorpus(rest);
    expect(c.udpStats[0]!.foreignDatagrams).toBe(5);
    expect(c.stats.rtpPackets - rtpBefore).toBeGreaterThan(0);
    expect(c.stats.lostPackets + c.stats.duplicatePackets + c.stats.foreignSsrc).toBe(0);
  });
});
