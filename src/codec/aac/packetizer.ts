/**
 * AAC RTP packetizer, `mpeg4-generic` AAC-hbr (RFC 3640 §3.3.6: sizelength=13, indexlength=3,
 * indexdeltalength=3, index and deltas 0). Whole frames are aggregated while they fit; a frame
 * larger than one packet is fragmented (§3.2.3, AU-size = whole AU). Marker bit: set on packets
 * holding complete AUs and on the last fragment (§3.2.3 / §4.1). Used by tests and the virtual camera.
 */
import { RTP_HEADER_SIZE } from '../../rtp/rtp-packet.js';
import { ProtocolError } from '../../errors.js';
import { RtpPacketizer, maxPayloadSizeOption, type RtpPacketizerOptions } from '../rtp-packetizer.js';

export interface AacPacketizerOptions extends RtpPacketizerOptions {
  maxPayloadSize?: number;
  /** Samples per frame (default 1024): the RTP timestamp step between frames. */
  frameLength?: number;
  /** At most this many frames per packet (default 64). */
  maxFramesPerPacket?: number;
}

export class AacPacketizer extends RtpPacketizer {
  readonly maxPayloadSize: number;
  readonly frameLength: number;
  private readonly maxFrames: number;

  constructor(opts: AacPacketizerOptions = {}) {
    super(opts, 97);
    // A fragment needs AU-headers-length, one AU header and one byte.
    this.maxPayloadSize = maxPayloadSizeOption(opts.maxPayloadSize, 5);
    this.frameLength = opts.frameLength ?? 1024;
    this.maxFrames = Math.max(1, opts.maxFramesPerPacket ?? 64);
  }

  /** Packetizes consecutive raw AAC frames, the first at `timestamp`, the others `frameLength` apart. */
  packetize(frames: readonly Uint8Array[], timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.maxPayloadSize;
    let i = 0;
    while (i < frames.length) {
      const f = frames[i]!;
      if (f.length > 8191) throw new ProtocolError('INVALID_ARGUMENT', `AAC frame of ${f.length} bytes does not fit a 13-bit AU-size`);
      const ts = (timestamp + i * this.frameLength) >>> 0;
      if (4 + f.length > max) {
        // Fragments: 2 + 2 header bytes, then a slice of the AU.
        for (let p = 0; p < f.length; p += max - 4) {
          const e = Math.min(f.length, p + max - 4);
          const pkt = new Uint8Array(RTP_HEADER_SIZE + 4 + (e - p));
          auHeader(pkt, RTP_HEADER_SIZE, [f.length]);
          pkt.set(f.subarray(p, e), RTP_HEADER_SIZE + 4);
          this.header(pkt, ts, e === f.length);
          out.push(pkt);
        }
        i++;
        continue;
      }
      let j = i;
      let size = 2;
      while (j < frames.length && j - i < this.maxFrames && size + 2 + frames[j]!.length <= max && frames[j]!.length <= 8191) {
        size += 2 + frames[j]!.length;
        j++;
      }
      const pkt = new Uint8Array(RTP_HEADER_SIZE + size);
      const group = frames.slice(i, j);
      let o = auHeader(pkt, RTP_HEADER_SIZE, group.map((g) => g.length));
      for (const g of group) {
        pkt.set(g, o);
        o += g.length;
      }
      this.header(pkt, ts, true);
      out.push(pkt);
      i = j;
    }
    return out;
  }
}

/** AU-headers-length (16 bits per header) then 13-bit size + 3-bit index/delta 0 each; returns the data offset. */
function auHeader(pkt: Uint8Array, at: number, sizes: readonly number[]): number {
  const bits = sizes.length * 16;
  pkt[at] = bits >> 8;
  pkt[at + 1] = bits & 0xff;
  let o = at + 2;
  for (const n of sizes) {
    pkt[o] = n >> 5;
    pkt[o + 1] = (n & 0x1f) << 3;
    o += 2;
  }
  return o;
}
