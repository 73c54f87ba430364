/**
 * G.711 RTP packetizer (RFC 3551 §4.5.14): raw µ-law / A-law bytes cut into packets of
 * `samplesPerPacket` (default 160 = 20 ms at 8000 Hz, §4.2 default packetization), the timestamp
 * advancing by one per sample. Used by tests and the virtual camera.
 */
import { RTP_HEADER_SIZE } from '../../rtp/rtp-packet.js';
import { ProtocolError } from '../../errors.js';
import { RtpPacketizer, type RtpPacketizerOptions } from '../rtp-packetizer.js';

export interface G711PacketizerOptions extends RtpPacketizerOptions {
  /** 0 = PCMU (default), 8 = PCMA. */
  payloadType?: number;
  samplesPerPacket?: number;
  channels?: number;
}

export class G711Packetizer extends RtpPacketizer {
  readonly samplesPerPacket: number;
  readonly channels: number;

  constructor(opts: G711PacketizerOptions = {}) {
    super(opts, 0);
    this.samplesPerPacket = opts.samplesPerPacket ?? 160;
    this.channels = Math.max(1, opts.channels ?? 1);
    if (!(this.samplesPerPacket >= 1)) throw new ProtocolError('INVALID_ARGUMENT', `samplesPerPacket ${this.samplesPerPacket} < 1`);
  }

  /** Packetizes `samples` (interleaved bytes), the first sample at `timestamp`. */
  packetize(samples: Uint8Array, timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const step = this.samplesPerPacket * this.channels;
    for (let p = 0; p < samples.length; p += step) {
      const e = Math.min(samples.length, p + step);
      const pkt = new Uint8Array(RTP_HEADER_SIZE + (e - p));
      pkt.set(samples.subarray(p, e), RTP_HEADER_SIZE);
      // RFC 3551 §4.1: the marker is set on the first packet of a talkspurt: here, the first one.
      this.header(pkt, (timestamp + p / this.channels) >>> 0, p === 0);
      out.push(pkt);
    }
    return out;
  }
}
