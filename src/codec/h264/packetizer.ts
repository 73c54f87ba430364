/**
 * H.264 RTP packetizer (RFC 6184, non-interleaved mode): single NAL unit packets, STAP-A for runs
 * of small NALs, FU-A for NALs over the payload size. Strict writer: S and E never both set, R = 0,
 * marker on the last packet of each access unit (§5.1). Used by tests, benchmarks and the virtual
 * camera.
 */
import { RTP_HEADER_SIZE, writeRtpHeader } from '../../rtp/rtp-packet.js';
import { ProtocolError } from '../../errors.js';

export interface H264PacketizerOptions {
  /** Largest RTP payload (bytes after the 12-byte header). Default 1400. */
  maxPayloadSize?: number;
  payloadType?: number;
  ssrc?: number;
  /** First sequence number (default random). */
  initialSequenceNumber?: number;
  /** Aggregate consecutive small NALs into STAP-A (default true). */
  stapA?: boolean;
}

export class H264Packetizer {
  readonly maxPayloadSize: number;
  readonly payloadType: number;
  readonly ssrc: number;
  sequenceNumber: number;
  private readonly useStap: boolean;

  constructor(opts: H264PacketizerOptions = {}) {
    this.maxPayloadSize = opts.maxPayloadSize ?? 1400;
    if (!(this.maxPayloadSize >= 3)) throw new ProtocolError('INVALID_ARGUMENT', `maxPayloadSize ${this.maxPayloadSize} < 3`);
    this.payloadType = opts.payloadType ?? 96;
    this.ssrc = (opts.ssrc ?? (Math.random() * 0x100000000) >>> 0) >>> 0;
    this.sequenceNumber = (opts.initialSequenceNumber ?? (Math.random() * 0x10000) >>> 0) & 0xffff;
    this.useStap = opts.stapA ?? true;
  }

  /** Packetizes one access unit (NAL units without start codes) into whole RTP packets. */
  packetize(nalus: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.maxPayloadSize;
    const units = nalus.filter((n) => n.length > 0);
    let i = 0;
    while (i < units.length) {
      const nal = units[i]!;
      if (nal.length > max) {
        this.fuA(nal, timestamp, i === units.length - 1, out);
        i++;
        continue;
      }
      // STAP-A (§5.7.1): 1 byte header + (2 + size) per NAL, at least two NALs.
      let j = i;
      let size = 1;
      if (this.useStap) {
        while (j < units.length && size + 2 + units[j]!.length <= max) {
          size += 2 + units[j]!.length;
          j++;
        }
      }
      if (j - i >= 2) {
        const pkt = new Uint8Array(RTP_HEADER_SIZE + size);
        let nri = 0;
        let o = RTP_HEADER_SIZE + 1;
        for (let k = i; k < j; k++) {
          const u = units[k]!;
          nri = Math.max(nri, u[0]! & 0x60);
          pkt[o] = u.length >> 8;
          pkt[o + 1] = u.length & 0xff;
          pkt.set(u, o + 2);
          o += 2 + u.length;
        }
        // §5.7.1: F is the OR of the aggregated F bits, NRI the maximum.
        let f = 0;
        for (let k = i; k < j; k++) f |= units[k]![0]! & 0x80;
        pkt[RTP_HEADER_SIZE] = f | nri | 24;
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

  /** FU-A (§5.8): indicator F|NRI|28, header S|E|0|type, then the NAL payload without its header. */
  private fuA(nal: Uint8Array, timestamp: number, lastOfAu: boolean, out: Uint8Array[]): void {
    const chunk = this.maxPayloadSize - 2;
    const ind = (nal[0]! & 0xe0) | 28;
    const type = nal[0]! & 0x1f;
    for (let p = 1; p < nal.length; p += chunk) {
      const e = Math.min(nal.length, p + chunk);
      const pkt = new Uint8Array(RTP_HEADER_SIZE + 2 + (e - p));
      pkt[RTP_HEADER_SIZE] = ind;
      pkt[RTP_HEADER_SIZE + 1] = (p === 1 ? 0x80 : 0) | (e === nal.length ? 0x40 : 0) | type;
      pkt.set(nal.subarray(p, e), RTP_HEADER_SIZE + 2);
      this.header(pkt, timestamp, lastOfAu && e === nal.length);
      out.push(pkt);
    }
  }

  private header(pkt: Uint8Array, timestamp: number, marker: boolean): void {
    writeRtpHeader(pkt, 0, { marker, payloadType: this.payloadType, sequenceNumber: this.sequenceNumber, timestamp, ssrc: this.ssrc });
    this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
  }
}
