import { describe, expect, it } from 'vitest';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { G711Packetizer } from '../../src/codec/g711/packetizer.js';
import { AacPacketizer } from '../../src/codec/aac/packetizer.js';
import { JpegPacketizer } from '../../src/codec/jpeg/packetizer.js';
import { maxPayloadSizeOption } from '../../src/codec/rtp-packetizer.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';

function headers(pkts: Uint8Array[]): [number, number, number, boolean][] {
  const v = new RtpPacketView();
  return pkts.map((p) => {
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    return [v.payloadType, v.sequenceNumber, v.ssrc, v.marker];
  });
}

describe('RtpPacketizer (shared RTP header, sequence and SSRC options)', () => {
  it('default payload types per packetizer, sequence numbers wrapping at 2^16', () => {
    const opts = { ssrc: 0xdeadbeef, initialSequenceNumber: 65535 };
    expect(headers(new H264Packetizer(opts).packetize([new Uint8Array([0x41, 1, 2])], 0))).toEqual([[96, 65535, 0xdeadbeef, true]]);
    expect(headers(new H265Packetizer(opts).packetize([new Uint8Array([2, 1, 2])], 0))).toEqual([[96, 65535, 0xdeadbeef, true]]);
    const g = new G711Packetizer({ ...opts, samplesPerPacket: 2 });
    expect(headers(g.packetize(new Uint8Array(5), 0))).toEqual([
      [0, 65535, 0xdeadbeef, true],
      [0, 0, 0xdeadbeef, false],
      [0, 1, 0xdeadbeef, false],
    ]);
    expect(g.sequenceNumber).toBe(2);
    expect(headers(new AacPacketizer(opts).packetize([new Uint8Array(10)], 0))).toEqual([[97, 65535, 0xdeadbeef, true]]);
    expect(new JpegPacketizer(opts).payloadType).toBe(26);
    expect(new H264Packetizer({ payloadType: 100 }).payloadType).toBe(100);
  });

  it('random SSRC and first sequence number when not given, within range', () => {
    const p = new H265Packetizer();
    expect(Number.isInteger(p.ssrc) && p.ssrc >= 0 && p.ssrc <= 0xffffffff).toBe(true);
    expect(Number.isInteger(p.sequenceNumber) && p.sequenceNumber >= 0 && p.sequenceNumber <= 0xffff).toBe(true);
  });

  it('maxPayloadSize: default 1400, at least what a fragment needs', () => {
    expect(maxPayloadSizeOption(undefined, 3)).toBe(1400);
    expect(new H264Packetizer({ maxPayloadSize: 3 }).maxPayloadSize).toBe(3);
    expect(() => new H264Packetizer({ maxPayloadSize: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'INVALID_ARGUMENT: maxPayloadSize 2 < 3' }));
    expect(() => new H265Packetizer({ maxPayloadSize: 3 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'INVALID_ARGUMENT: maxPayloadSize 3 < 4' }));
    expect(() => new AacPacketizer({ maxPayloadSize: 4 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'INVALID_ARGUMENT: maxPayloadSize 4 < 5' }));
  });
});
