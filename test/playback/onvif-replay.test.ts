import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { ONVIF_REPLAY_PROFILE, parseOnvifReplay, unixMsToNtp, withOnvifReplay, writeOnvifReplay } from '../../src/rtp/onvif-replay.js';
import { RtpPacketView, RtpStatus, buildRtpPacket } from '../../src/rtp/rtp-packet.js';
import { ntpToUnixMs } from '../../src/rtp/rtcp.js';

describe('ONVIF replay extension (ONVIF Streaming Specification §6.3)', () => {
  it('decodes a hand-made packet: NTP time, C/E/D/T, mbz and CSeq', () => {
    // RTP header with X=1, then 0xABAC, length 3, NTP 0xE6B1D100.80000000, flags C|D + mbz 0x3, CSeq 0x2A.
    const pkt = Uint8Array.from([
      0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x11, 0x22, 0x33, 0x44,
      0xab, 0xac, 0x00, 0x03,
      0xe6, 0xb1, 0xd1, 0x00, 0x80, 0x00, 0x00, 0x00,
      0xa3, 0x2a, 0x00, 0x00,
      0x65, 0x88,
    ]);
    const v = new RtpPacketView();
    expect(v.parse(pkt)).toBe(RtpStatus.Ok);
    const r = parseOnvifReplay(v.extensionProfile, v.data, v.extensionOffset, v.extensionLength)!;
    expect(r).toEqual({
      ntpSeconds: 0xe6b1d100,
      ntpFraction: 0x80000000,
      wallClockMs: (0xe6b1d100 - 2208988800) * 1000 + 500,
      cleanPoint: true,
      endOfSection: false,
      discontinuity: true,
      terminal: false,
      cseq: 0x2a,
      mbz: 3,
    });
    expect(Array.from(v.payload)).toEqual([0x65, 0x88]);
  });

  it('ignores other profiles and packets without an extension', () => {
    const v = new RtpPacketView();
    v.parse(buildRtpPacket({ marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1 }, new Uint8Array(4)));
    expect(parseOnvifReplay(v.extensionProfile, v.data, v.extensionOffset, v.extensionLength)).toBeUndefined();
    expect(parseOnvifReplay(0xbede, new Uint8Array(12), 0, 12)).toBeUndefined();
  });

  it('a short 0xABAC extension is RTP_BAD_EXTENSION with the stream offset', () => {
    try {
      parseOnvifReplay(ONVIF_REPLAY_PROFILE, new Uint8Array(8), 0, 8, 1234);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('RTP_BAD_EXTENSION');
      expect((e as ProtocolError).offset).toBe(1234);
    }
  });

  it('reads the first 12 bytes when other extensions follow (length > 3)', () => {
    const data = new Uint8Array(20);
    const tmp = new Uint8Array(16);
    writeOnvifReplay(tmp, 0, { wallClockMs: 1_700_000_000_250, cleanPoint: false, endOfSection: true, terminal: true, cseq: 7 });
    data.set(tmp.subarray(4), 0);
    const r = parseOnvifReplay(ONVIF_REPLAY_PROFILE, data, 0, 20)!;
    expect(r).toMatchObject({ endOfSection: true, terminal: true, cleanPoint: false, discontinuity: false, cseq: 7, mbz: 0 });
    expect(r.wallClockMs).toBeCloseTo(1_700_000_000_250, 3);
  });

  it('withOnvifReplay inserts the extension after CSRCs and keeps the payload', () => {
    const base = buildRtpPacket({ marker: false, payloadType: 96, sequenceNumber: 9, timestamp: 1234, ssrc: 0xdeadbeef }, Uint8Array.from([1, 2, 3]));
    const before = Uint8Array.from(base);
    const out = withOnvifReplay(base, { wallClockMs: Date.UTC(2012, 8, 15, 12, 37, 5, 440), cleanPoint: true, cseq: 300 });
    expect(base).toEqual(before);
    const v = new RtpPacketView();
    expect(v.parse(out)).toBe(RtpStatus.Ok);
    expect(v.sequenceNumber).toBe(9);
    expect(Array.from(v.payload)).toEqual([1, 2, 3]);
    const r = parseOnvifReplay(v.extensionProfile, v.data, v.extensionOffset, v.extensionLength)!;
    expect(r.cseq).toBe(300 & 0xff);
    expect(r.cleanPoint).toBe(true);
    expect(Math.abs(r.wallClockMs - Date.UTC(2012, 8, 15, 12, 37, 5, 440))).toBeLessThan(0.001);
    expect(() => withOnvifReplay(out, { wallClockMs: 0, cseq: 1 })).toThrow(ProtocolError);
  });

  it('unixMsToNtp inverts ntpToUnixMs', () => {
    for (const ms of [0, 1, 999.5, 1_700_000_000_123, Date.UTC(2036, 1, 7, 6, 28, 15)]) {
      const [s, f] = unixMsToNtp(ms);
      expect(ntpToUnixMs(s, f)).toBeCloseTo(ms, 4);
    }
    expect(() => unixMsToNtp(Date.UTC(2040, 0, 1))).toThrow(ProtocolError);
  });
});
