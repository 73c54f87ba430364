import { describe, expect, it } from 'vitest';
import { RtpPacketView, RtpStatus, buildRtpPacket, parseRtpPacket } from '../../src/rtp/rtp-packet.js';
import { ProtocolError } from '../../src/errors.js';

describe('RtpPacketView', () => {
  it('parses a packet with CSRCs, an extension and padding', () => {
    // V=2 P=1 X=1 CC=2 | M=1 PT=96 | seq 0xfffe | ts 0x80000001 | ssrc 0xdeadbeef
    const b = Buffer.from(
      'b2e0fffe80000001deadbeef' + '00000011' + '00000022' + 'bede0001' + 'aabbccdd' + '0102' + '000003',
      'hex',
    );
    const copy = Buffer.from(b);
    const v = new RtpPacketView();
    expect(v.parse(b)).toBe(RtpStatus.Ok);
    expect(v.marker).toBe(true);
    expect(v.payloadType).toBe(96);
    expect(v.sequenceNumber).toBe(0xfffe);
    expect(v.timestamp).toBe(0x80000001);
    expect(v.ssrc).toBe(0xdeadbeef);
    expect([v.csrcCount, v.csrc(0), v.csrc(1)]).toEqual([2, 0x11, 0x22]);
    expect(v.extensionProfile).toBe(0xbede);
    expect(Buffer.from(v.extension!).toString('hex')).toBe('aabbccdd');
    expect(Buffer.from(v.payload).toString('hex')).toBe('0102');
    expect(v.paddingLength).toBe(3);
    expect(b.equals(copy)).toBe(true);
  });

  it('parses inside a larger buffer using offsets', () => {
    const pkt = buildRtpPacket({ marker: false, payloadType: 8, sequenceNumber: 7, timestamp: 160, ssrc: 1 }, new Uint8Array([9, 9]));
    const big = new Uint8Array(100);
    big.set(pkt, 40);
    const v = new RtpPacketView();
    expect(v.parse(big, 40, 40 + pkt.length)).toBe(RtpStatus.Ok);
    expect([v.payloadOffset, v.payloadLength, v.sequenceNumber, v.payloadType, v.marker]).toEqual([52, 2, 7, 8, false]);
  });

  it.each([
    ['short', '80e0000100', RtpStatus.TooShort],
    ['version 1', '40e00001000000000000000001', RtpStatus.BadVersion],
    ['CSRC overrun', '83e00001000000000000000000000000', RtpStatus.CsrcOverrun],
    ['extension overrun', '90e00001000000000000000000010005aabbccdd', RtpStatus.ExtensionOverrun],
    ['padding 0', 'a0e0000100000000000000000100', RtpStatus.BadPadding],
    ['padding too long', 'a0e0000100000000000000000105', RtpStatus.BadPadding],
  ])('rejects %s', (_n, h, status) => {
    const v = new RtpPacketView();
    expect(v.parse(Buffer.from(h, 'hex'))).toBe(status);
  });

  it('parseRtpPacket throws RTP_BAD_PACKET', () => {
    expect(() => parseRtpPacket(new Uint8Array(3))).toThrow(ProtocolError);
    try {
      parseRtpPacket(new Uint8Array(20), { channel: 2 });
    } catch (e) {
      expect((e as ProtocolError).code).toBe('RTP_BAD_PACKET');
      expect((e as ProtocolError).context.channel).toBe(2);
    }
  });
});
