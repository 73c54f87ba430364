/**
 * H.265 RTP packetizer (RFC 7798, no DONL): single NAL unit packets, APs for runs of small NALs,
 * FUs for NALs over the payload size. Strict writer: S and E never both set, marker on the last
 * packet of each access unit (§4.1). Used by tests, benchmarks and the virtual camera.
 */
import { RTP_HEADER_SIZE, writeRtpHeader } from '../../rtp/rtp-packet.js';
import { ProtocolError } from '../../errors.js';

export interface H265PacketizerOptions {
  /** Largest RTP payload (bytes after the 12-byte header). Default 1400. */
  maxPayloadSize?: number;
  payloadType?: number;
  ssrc?: number;
  /** First sequence number (default random). */
  initialSequenceNumber?: number;
  /** Aggregate consecutive small NALs into APs (default true). */
  aggregate?: boolean;
}

export class H265Packetizer {
  readonly maxPayloadSize: number;
  readonly payloadType: number;
  readonly ssrc: number;
  sequenceNumber: number;
  private readonly useAp: boolean;

  constructor(opts: H265PacketizerOptions = {}) {
    this.maxPayloadSize = opts.maxPayloadSize ?? 1400;
    if (!(this.maxPayloadSize >= 4)) throw new ProtocolError('INVALID_ARGUMENT', `maxPayloadSize ${this.maxPayloadSize} < 4`);
    this.payloadType = opts.payloadType ?? 96;
    this.ssrc = (opts.ssrc ?? (Math.random() * 0x100000000) >>> 0) >>> 0;
    this.sequenceNumber = (opts.initialSequenceNumber ?? (Math.random() * 0x10000) >>> 0) & 0xffff;
    this.useAp = opts.aggregate ?? true;
  }

  /** Packetizes one access unit (NAL units without start codes, >= 2 bytes each) into RTP packets. */
  packetize(nalus: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.maxPayloadSize;
    for (const n of nalus) if (n.length < 2) throw new ProtocolError('INVALID_ARGUMENT', 'H.265 NAL unit shorter than its 2-byte header');
    const units = nalus;
    let i = 0;
    while (i < units.length) {
      const nal = units[i]!;
      if (nal.length > max) {
        this.fu(nal, timestamp, i === units.length - 1, out);
        i++;
        continue;
      }
      // AP (§4.4.2): 2-byte payload header + (2 + size) per NAL, at least two NALs.
      let j = i;
      let size = 2;
      if (this.useAp) {
        while (j < units.length && size + 2 + units[j]!.length <= max) {
          size += 2 + units[j]!.length;
          j++;
        }
      }
      if (j - i >= 2) {
        const pkt = new Uint8Array(RTP_HEADER_SIZE + size);
        // §4.4.2: F = OR of the F bits, LayerId and TID = the lowest of the aggregated NALs.
        let f = 0;
        let layer = 63;
        let tid = 7;
        let o = RTP_HEADER_SIZE + 2;
        for (let k = i; k < j; k++) {
          const u = units[k]!;
          f |= u[0]! & 0x80;
          layer = Math.min(layer, ((u[0]! & 1) << 5) | (u[1]! >> 3));
          tid = Math.min(tid, u[1]! & 7);
          pkt[o] = u.length >> 8;
          pkt[o + 1] = u.length & 0xff;
          pkt.set(u, o + 2);
          o += 2 + u.length;
        }
        pkt[RTP_HEADER_SIZE] = f | (48 << 1) | (layer >> 5);
        pkt[RTP_HEADER_SIZE + 1] = ((layer & 0x1f) << 3) | tid;
        this.header(pkt, timestamp, j === units.length);
        out.push(pkt);
        i = j;
      } else {
        const pkt = new Uint8Array(RTP_HEADER_SIZE + nal.length);
        pkt.set(nal, RTP_HEADER_SIZE);
        this.header(pkt, timestamp, i === units.length - 1);
        out.push(pkt);
        i++;
      }
    }
    return out;
  }

  /** FU (§4.4.3): payload header with type 49, FU header S|E|type, NAL payload without its header. */
  private fu(nal: Uint8Array, timestamp: number, lastOfAu: boolean, out: Uint8Array[]): void {
    const chunk = this.maxPayloadSize - 3;
    const type = (nal[0]! >> 1) & 0x3f;
    for (let p = 2; p < nal.length; p += chunk) {
      const e = Math.min(nal.length, p + chunk);
      const pkt = new Uint8Array(RTP_HEADER_SIZE + 3 + (e - p));
      pkt[RTP_HEADER_SIZE] = (nal[0]! & 0x81) | (49 << 1);
      pkt[RTP_HEADER_SIZE + 1] = nal[1]!;
      pkt[RTP_HEADER_SIZE + 2] = (p === 2 ? 0x80 : 0) | (e === nal.length ? 0x40 : 0) | type;
      pkt.set(nal.subarray(p, e), RTP_HEADER_SIZE + 3);
      this.header(pkt, timestamp, lastOfAu && e === nal.length);
      out.push(pkt);
    }
  }

  private header(pkt: Uint8Array, timestamp: number, marker: boolean): void {
    writeRtpHeader(pkt, 0, { marker, payloadType: this.payloadType, sequenceNumber: this.sequenceNumber, timestamp, ssrc: this.ssrc });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
  }
}
