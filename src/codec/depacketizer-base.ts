/**
 * The part of `Depacketizer` (types.ts) every depacketizer implements alike: `push` is `pushPayload`
 * over the whole payload of an RTP packet view.
 */
import type { Depacketizer, RtpPayloadPacket } from './types.js';

export abstract class DepacketizerBase implements Depacketizer {
  push(pkt: RtpPayloadPacket): void {
    this.pushPayload(pkt.payload, 0, pkt.payload.length, pkt.timestamp, pkt.marker, pkt.sequenceNumber);
  }

  abstract pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, sequenceNumber: number, lost?: number): void;
  abstract flush(): void;
  abstract reset(): void;
}
