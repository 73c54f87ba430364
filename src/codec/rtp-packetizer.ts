/**
 * What every packetizer here shares: the RTP fixed header (RFC 3550 §5.1) with a payload type, an
 * SSRC and a sequence number that goes up by one per packet (modulo 2^16). The packetizers are
 * strict writers used by tests, benchmarks and the virtual camera.
 */
import { ProtocolError } from '../errors.js';
import { writeRtpHeader } from '../rtp/rtp-packet.js';

export interface RtpPacketizerOptions {
  payloadType?: number;
  /** Default random (RFC 3550 §8: chosen randomly). */
  ssrc?: number;
  /** First sequence number (default random, RFC 3550 §5.1). */
  initialSequenceNumber?: number;
}

export abstract class RtpPacketizer {
  readonly payloadType: number;
  readonly ssrc: number;
  /** Sequence number of the next packet. */
  sequenceNumber: number;

  protected constructor(opts: RtpPacketizerOptions, defaultPayloadType: number) {
    this.payloadType = opts.payloadType ?? defaultPayloadType;
    this.ssrc = (opts.ssrc ?? (Math.random() * 0x100000000) >>> 0) >>> 0;
    this.sequenceNumber = (opts.initialSequenceNumber ?? (Math.random() * 0x10000) >>> 0) & 0xffff;
  }

  /** Writes the 12-byte RTP header at `pkt[0]` and takes the next sequence number. */
  protected header(pkt: Uint8Array, timestamp: number, marker: boolean): void {
    writeRtpHeader(pkt, 0, { marker, payloadType: this.payloadType, sequenceNumber: this.sequenceNumber, timestamp, ssrc: this.ssrc });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
  }
}

/** The `maxPayloadSize` option (bytes after the 12-byte header, default 1400), at least `min`. */
export function maxPayloadSizeOption(value: number | undefined, min: number): number {
  const size = value ?? 1400;
  if (!(size >= min)) throw new ProtocolError('INVALID_ARGUMENT', `maxPayloadSize ${size} < ${min}`);
  return size;
}
