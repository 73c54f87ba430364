/**
 * The packetization shared by the H.264 (RFC 6184 §5.6-5.8, non-interleaved) and H.265 (RFC 7798
 * §4.4, no DONL) packetizers. With h = the NAL header size (1 or 2 bytes):
 * ```
 * single NAL      | NAL header (h) | NAL payload |                                  NAL <= max
 * aggregation     | aggregation header (h) | size16 | NAL | size16 | NAL | ...      >= 2 NALs that fit
 *   (STAP-A §5.7.1 / AP §4.4.2)
 * fragmentation   | FU indicator / payload header (h) | S|E|..|type | payload slice | NAL > max
 *   (FU-A §5.8 / FU §4.4.3), the NAL header itself not repeated
 * ```
 * Strict writer: S and E never both set, reserved bits 0, marker on the last packet of each access
 * unit (RFC 6184 §5.1, RFC 7798 §4.1). The codec writes its aggregation and fragmentation headers.
 */
import { RTP_HEADER_SIZE } from '../rtp/rtp-packet.js';
import { RtpPacketizer, maxPayloadSizeOption, type RtpPacketizerOptions } from './rtp-packetizer.js';

export interface NalUnitPacketizerOptions extends RtpPacketizerOptions {
  /** Largest RTP payload (bytes after the 12-byte header). Default 1400. */
  maxPayloadSize?: number;
}

export abstract class NalUnitPacketizer extends RtpPacketizer {
  readonly maxPayloadSize: number;
  /** NAL header size: 1 (H.264) or 2 (H.265). */
  private readonly hs: 1 | 2;
  private readonly aggregate: boolean;

  protected constructor(opts: NalUnitPacketizerOptions, nalHeaderSize: 1 | 2, aggregate: boolean) {
    super(opts, 96);
    // A fragment needs its h + 1 header bytes and one byte of payload.
    this.maxPayloadSize = maxPayloadSizeOption(opts.maxPayloadSize, nalHeaderSize + 2);
    this.hs = nalHeaderSize;
    this.aggregate = aggregate;
  }

  /** Writes the aggregation packet's header (h bytes at `at`) for `units[i, j)`. */
  protected abstract aggregationHeader(pkt: Uint8Array, at: number, units: readonly Uint8Array[], i: number, j: number): void;

  /** Writes a fragment's first h bytes at `at` (FU indicator / payload header); returns the NAL type for the FU header. */
  protected abstract fragmentHeader(nal: Uint8Array, pkt: Uint8Array, at: number): number;

  /** Packetizes one access unit (NALs without start codes, each at least its header). */
  protected packetizeNalus(units: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.maxPayloadSize;
    const hs = this.hs;
    let i = 0;
    while (i < units.length) {
      const nal = units[i]!;
      if (nal.length > max) {
        this.fragment(nal, timestamp, i === units.length - 1, out);
        i++;
        continue;
      }
      // Aggregation: h header bytes + (2 + size) per NAL, at least two NALs.
      let j = i;
      let size = hs;
      if (this.aggregate) {
        while (j < units.length && size + 2 + units[j]!.length <= max) {
          size += 2 + units[j]!.length;
          j++;
        }
      }
      if (j - i >= 2) {
        const pkt = new Uint8Array(RTP_HEADER_SIZE + size);
        let o = RTP_HEADER_SIZE + hs;
        for (let k = i; k < j; k++) {
          const u = units[k]!;
          pkt[o] = u.length >> 8;
          pkt[o + 1] = u.length & 0xff;
          pkt.set(u, o + 2);
          o += 2 + u.length;
        }
        this.aggregationHeader(pkt, RTP_HEADER_SIZE, units, i, j);
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

  /** Fragments: h header bytes, then S|E|type, then the NAL payload (its header not repeated). */
  private fragment(nal: Uint8Array, timestamp: number, lastOfAu: boolean, out: Uint8Array[]): void {
    const hs = this.hs;
    const chunk = this.maxPayloadSize - hs - 1;
    for (let p = hs; p < nal.length; p += chunk) {
      const e = Math.min(nal.length, p + chunk);
      const pkt = new Uint8Array(RTP_HEADER_SIZE + hs + 1 + (e - p));
      const type = this.fragmentHeader(nal, pkt, RTP_HEADER_SIZE);
      pkt[RTP_HEADER_SIZE + hs] = (p === hs ? 0x80 : 0) | (e === nal.length ? 0x40 : 0) | type;
      pkt.set(nal.subarray(p, e), RTP_HEADER_SIZE + hs + 1);
      this.header(pkt, timestamp, lastOfAu && e === nal.length);
      out.push(pkt);
    }
  }
}
