import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Backchannel, BackchannelSender, dahuaBackchannelUrl } from '../../src/client/backchannel.js';
import { PlaybackCamera, type PlaybackCameraOptions } from '../../src/testing/virtual-camera-playback.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { corpusPath, loadG711 } from '../../src/testing/media-source.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { parseRtcp, ntpToUnixMs } from '../../src/rtp/rtcp.js';
import { ProtocolError } from '../../src/errors.js';

function parse(p: Uint8Array): RtpPacketView {
  const v = new RtpPacketView();
  expect(v.parse(p)).toBe(RtpStatus.Ok);
  return v;
}

describe('BackchannelSender (sans-IO, fake clock)', () => {
  it('paces 20 ms G.711 packets, keeps the bytes, ends with a short packet', () => {
    const s = new BackchannelSender({ codec: 'pcmu', payloadType: 0, clockRate: 8000, ssrc: 0x1234 });
    const input = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    s.push(input.subarray(0, 300));
    s.push(input.subarray(300));
    expect(s.bufferedMs).toBe(125);
    const t0 = 5000;
    const first = s.poll(t0);
    expect(first).toHaveLength(1);
    expect(s.poll(t0 + 19)).toHaveLength(0);
    expect(s.nextDueAt).toBe(t0 + 20);
    const more = s.poll(t0 + 100); // 5 more due at +20..+100
    expect(more).toHaveLength(5);
    // 40 bytes left: not a whole packet until end().
    expect(s.poll(t0 + 130)).toHaveLength(0);
    s.end();
    const last = s.poll(t0 + 130);
    expect(last).toHaveLength(1);
    expect(s.idle).toBe(true);
    const pkts = [...first, ...more, ...last].map(parse);
    expect(Buffer.concat(pkts.map((p) => p.payload))).toEqual(Buffer.from(input));
    expect(pkts.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    for (let i = 1; i < pkts.length; i++) {
      expect(pkts[i]!.sequenceNumber).toBe((pkts[0]!.sequenceNumber + i) & 0xffff);
      expect((pkts[i]!.timestamp - pkts[0]!.timestamp) >>> 0).toBe(160 * i);
    }
    expect(pkts.every((p) => p.payloadType === 0 && p.ssrc === 0x1234)).toBe(true);
    expect(s.stats).toMatchObject({ packets: 7, octets: 1000, underruns: 0 });
  });

  it('after the input ran dry, a new talkspurt: marker set, RTP time advanced by the real time that passed', () => {
    const s = new BackchannelSender({ codec: 'pcma', payloadType: 8, clockRate: 8000 });
    s.push(new Uint8Array(160));
    const [a] = s.poll(0).map(parse);
    s.push(new Uint8Array(160));
    const [b] = s.poll(1000).map(parse);
    expect(b!.marker).toBe(true);
    expect((b!.timestamp - a!.timestamp) >>> 0).toBe(8000 - 160 + 160 - 160 + 160);
    expect(s.stats.underruns).toBe(1);
  });

  it('sender report pairs the RTP time of now with the wall clock; BYE names the SSRC', () => {
    const s = new BackchannelSender({ codec: 'pcmu', payloadType: 0, clockRate: 8000, ssrc: 77 });
    s.push(new Uint8Array(800));
    const [p0] = s.poll(1000).map(parse);
    const sr = parseRtcp(s.senderReport(1010, Date.UTC(2024, 0, 1)));
    expect(sr[0]).toMatchObject({ type: 'sr', ssrc: 77, packetCount: 1, octetCount: 160 });
    const r = sr[0] as { rtpTimestamp: number; ntpSeconds: number; ntpFraction: number };
    expect((r.rtpTimestamp - p0!.timestamp) >>> 0).toBe(80); // 10 ms after the first packet's start
    expect(ntpToUnixMs(r.ntpSeconds, r.ntpFraction)).toBeCloseTo(Date.UTC(2024, 0, 1), 3);
    expect(sr[1]).toMatchObject({ type: 'sdes' });
    expect(parseRtcp(s.bye())[0]).toEqual({ type: 'bye', ssrcs: [77] });
  });

  it('reports backpressure once maxBufferedMs is queued', () => {
    const s = new BackchannelSender({ codec: 'pcmu', payloadType: 0, clockRate: 8000, maxBufferedMs: 100 });
    expect(s.push(new Uint8Array(400))).toBe(true);
    expect(s.push(new Uint8Array(400))).toBe(false);
    expect(() => s.pushAacFrame(new Uint8Array(10))).toThrow(ProtocolError);
  });
});

let cams: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(cams.map((c) => c.stop()));
  cams = [];
});

async function camera(o: PlaybackCameraOptions = {}): Promise<PlaybackCamera> {
  const c = await new PlaybackCamera({ pace: 'fast', ...o }).start();
  cams.push(c);
  return c;
}

/** Waits until `cond()` holds (or 5 s): packets and closes arrive on the camera's side asynchronously. */
async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

async function arrived(cam: PlaybackCamera, n: number): Promise<void> {
  await until(() => cam.backchannel.length >= n);
}

describe('Backchannel against the PlaybackCamera', () => {
  const tone = loadG711().subarray(0, 4800); // 600 ms of the corpus µ-law tone

  for (const talkTransport of ['tcp', 'udp'] as const) {
    it(`sends G.711 over ${talkTransport}: every byte arrives in order, paced in real time, with sender reports`, async () => {
      const cam = await camera();
      const bc = await Backchannel.open(cam.url('/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif'), { talkTransport, senderReportIntervalMs: 200 });
      try {
        expect(bc.codec).toBe('pcmu');
        expect(cam.requestLog.find((r) => r.method === 'DESCRIBE')!.headers['require']).toBe('www.onvif.org/ver20/backchannel');
        await bc.sendAudio(tone);
        await bc.finish();
        await arrived(cam, 30);
      } finally {
        await bc.close();
      }
      const got = cam.backchannel;
      expect(got.every((p) => p.transport === talkTransport && p.payloadType === 0)).toBe(true);
      expect(Buffer.concat(got.map((p) => p.payload))).toEqual(Buffer.from(tone));
      for (let i = 1; i < got.length; i++) expect(got[i]!.sequenceNumber).toBe((got[0]!.sequenceNumber + i) & 0xffff);
      // 600 ms of audio cannot arrive faster than real time (30 packets, 20 ms apart).
      expect(got.at(-1)!.arrivedAt - got[0]!.arrivedAt).toBeGreaterThanOrEqual(540);
      expect(cam.stats.backchannelSenderReports).toBeGreaterThanOrEqual(1);
      expect(cam.requestLog.at(-1)!.method).toBe('TEARDOWN');
    });
  }

  it('a camera that takes one talking client (Dahua) refuses the second with RTSP_BACKCHANNEL_BUSY; the first keeps talking', async () => {
    const cam = await camera({ backchannelLimit: 1 });
    const url = dahuaBackchannelUrl(cam.url(), 1);
    expect(url).toBe(`rtsp://127.0.0.1:${cam.port}/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif`);
    const first = await Backchannel.open(url);
    try {
      const err = await Backchannel.open(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('RTSP_BACKCHANNEL_BUSY');
      expect((err as ProtocolError).message).toMatch(/one talking client/);
      await first.sendAudio(tone.subarray(0, 320));
      await first.finish();
      await arrived(cam, 2);
      expect(cam.backchannel).toHaveLength(2);
    } finally {
      await first.close();
    }
    await until(() => cam.openConnections === 0);
    expect(cam.openConnections).toBe(0);
  });

  it('AAC where it is the only codec offered: one ADTS-stripped frame per packet (RFC 3640 AAC-hbr)', async () => {
    const cam = await camera({ backchannelCodecs: ['aac'] });
    const adts = readFileSync(corpusPath('aac-16k.adts'));
    const frames: Uint8Array[] = [];
    for (let o = 0; o + 7 <= adts.length && frames.length < 6; ) {
      const len = ((adts[o + 3]! & 0x03) << 11) | (adts[o + 4]! << 3) | (adts[o + 5]! >> 5);
      frames.push(adts.subarray(o + 7, o + len));
      o += len;
    }
    const bc = await Backchannel.open(cam.url(), { codecs: ['pcmu', 'aac'] });
    try {
      expect(bc.codec).toBe('aac');
      for (const f of frames) await bc.sendAacFrame(f);
      await bc.finish();
      await arrived(cam, frames.length);
    } finally {
      await bc.close();
    }
    expect(cam.backchannel.map((p) => p.payloadType)).toEqual(frames.map(() => 97));
    // AU-headers-length 16, AU-size << 3, then the frame.
    cam.backchannel.forEach((p, i) => {
      expect(Buffer.from(p.payload.subarray(4))).toEqual(Buffer.from(frames[i]!));
      expect(((p.payload[2]! << 8) | p.payload[3]!) >> 3).toBe(frames[i]!.length);
    });
    expect((cam.backchannel[1]!.timestamp - cam.backchannel[0]!.timestamp) >>> 0).toBe(1024);
  });

  it('a server without a backchannel is a clear RTSP_UNSUPPORTED', async () => {
    const plain = await new VirtualCamera({ pace: 'fast' }).start();
    cams.push(plain);
    const err = await Backchannel.open(plain.url()).catch((e: unknown) => e);
    expect((err as ProtocolError).code).toBe('RTSP_UNSUPPORTED');
    expect((err as ProtocolError).message).toMatch(/no backchannel offered/);
  });
});
