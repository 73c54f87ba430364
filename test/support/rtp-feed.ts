/** Feeds whole RTP packets to a depacketizer through RtpPacketView: the client's real receive path. */
import { expect } from 'vitest';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import type { Depacketizer } from '../../src/codec/types.js';

export function feedRtp(d: Depacketizer, packets: Uint8Array[]): void {
  const v = new RtpPacketView();
  for (const p of packets) {
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
}
