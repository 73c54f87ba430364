/**
 * RTP fixed header parsing and writing (RFC 3550 §5.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers  (CC x 4)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  extension profile (16)       |  extension length (16, words) |  <- only when X=1 (§5.3.1)
 * |                     extension data ...                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     payload ...               | padding | cnt |  <- only when P=1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * The hot path is `RtpPacketView.parse(buf, start, end)`: it fills a reusable object with numbers
 * and offsets into `buf` and allocates nothing. `payload` is a lazily created view.
 */
import { ProtocolError } from '../errors.js';

/** Result of `RtpPacketView.parse`: 0 = ok, otherwise why the packet is malformed. */
export enum RtpStatus {
  Ok = 0,
  TooShort = 1,
  BadVersion = 2,
  CsrcOverrun = 3,
  ExtensionOverrun = 4,
  BadPadding = 5,
}

const STATUS_TEXT = ['ok', 'shorter than the 12-byte header', 'version is not 2', 'CSRC list runs past the end',
  'header extension runs past the end', 'padding length is 0 or larger than the payload'];

export function rtpStatusText(s: RtpStatus): string {
  return STATUS_TEXT[s] ?? 'unknown';
}

export const RTP_HEADER_SIZE = 12;

export class RtpPacketView {
  /** The bytes the packet was parsed from (not copied). */
  data: Uint8Array = new Uint8Array(0);
  /** Offsets into `data`: [start, end) is the whole packet. */
  start = 0;
  end = 0;
  padding = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  /** 32-bit unsigned RTP timestamp. */
  timestamp = 0;
  /** 32-bit unsigned SSRC. */
  ssrc = 0;
  /** Header extension profile (§5.3.1), -1 when there is none. */
  extensionProfile = -1;
  /** Offset in `data` of the extension data (after its 4-byte header) and its length in bytes. */
  extensionOffset = 0;
  extensionLength = 0;
  /** Payload position in `data`, padding stripped. */
  payloadOffset = 0;
  payloadLength = 0;
  /** Padding bytes stripped (including the count byte). */
  paddingLength = 0;

  /** Payload view (allocates a subarray; hot paths use `payloadOffset`/`payloadLength`). */
  get payload(): Uint8Array {
    return this.data.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }

  get extension(): Uint8Array | undefined {
    return this.extensionProfile < 0 ? undefined : this.data.subarray(this.extensionOffset, this.extensionOffset + this.extensionLength);
  }

  csrc(i: number): number {
    const o = this.start + RTP_HEADER_SIZE + i * 4;
    const d = this.data;
    return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
  }

  /** Parses `buf[start, end)` into this object. Returns a status; on error the fields are partial. */
  parse(buf: Uint8Array, start = 0, end = buf.length): RtpStatus {
    this.data = buf;
    this.start = start;
    this.end = end;
    const len = end - start;
    if (len < RTP_HEADER_SIZE) return RtpStatus.TooShort;
    const b0 = buf[start]!;
    if (b0 >> 6 !== 2) return RtpStatus.BadVersion;
    const b1 = buf[start + 1]!;
    this.padding = (b0 & 0x20) !== 0;
    const cc = b0 & 0x0f;
    this.csrcCount = cc;
    this.marker = (b1 & 0x80) !== 0;
    this.payloadType = b1 & 0x7f;
    this.sequenceNumber = (buf[start + 2]! << 8) | buf[start + 3]!;
    this.timestamp = ((buf[start + 4]! << 24) | (buf[start + 5]! << 16) | (buf[start + 6]! << 8) | buf[start + 7]!) >>> 0;
    this.ssrc = ((buf[start + 8]! << 24) | (buf[start + 9]! << 16) | (buf[start + 10]! << 8) | buf[start + 11]!) >>> 0;
    const p = start + RTP_HEADER_SIZE + cc * 4;
    if (p > end) return RtpStatus.CsrcOverrun;
    this.extensionProfile = -1;
    this.extensionOffset = 0;
    this.extensionLength = 0;
    this.paddingLength = 0;
    this.payloadOffset = p;
    this.payloadLength = end - p;
    // Kept out of line so that the common case stays small enough to be inlined into callers.
    return (b0 & 0x30) === 0 ? RtpStatus.Ok : this.extensionAndPadding(buf, b0, p, end);
  }

  /** The header extension (X, §5.3.1) and padding (P) of a packet whose payload starts at `p`. */
  private extensionAndPadding(buf: Uint8Array, b0: number, p: number, end: number): RtpStatus {
    if ((b0 & 0x10) !== 0) {
      if (p + 4 > end) return RtpStatus.ExtensionOverrun;
      this.extensionProfile = (buf[p]! << 8) | buf[p + 1]!;
      const words = (buf[p + 2]! << 8) | buf[p + 3]!;
      this.extensionOffset = p + 4;
      this.extensionLength = words * 4;
      p += 4 + words * 4;
      if (p > end) return RtpStatus.ExtensionOverrun;
    }
    let payloadEnd = end;
    if ((b0 & 0x20) !== 0) {
      // §5.1: the last octet counts the padding octets, itself included; 0 is impossible.
      const pad = end > p ? buf[end - 1]! : 0;
      if (pad === 0 || pad > end - p) return RtpStatus.BadPadding;
      payloadEnd -= pad;
      this.paddingLength = pad;
    }
    this.payloadOffset = p;
    this.payloadLength = payloadEnd - p;
    return RtpStatus.Ok;
  }
}

/** Parses one packet into a fresh view, throwing `ProtocolError('RTP_BAD_PACKET')` when malformed. */
export function parseRtpPacket(buf: Uint8Array, context?: { offset?: number; channel?: number }): RtpPacketView {
  const v = new RtpPacketView();
  const s = v.parse(buf);
  if (s !== RtpStatus.Ok) throw rtpError(s, buf, context);
  return v;
}

export function rtpError(s: RtpStatus, buf: Uint8Array, context?: { offset?: number; channel?: number }): ProtocolError {
  return new ProtocolError('RTP_BAD_PACKET', `RTP packet ${rtpStatusText(s)} (${buf.length} bytes)`, {
    offset: context?.offset ?? -1,
    context: context?.channel !== undefined ? { channel: context.channel } : {},
    bytes: buf,
  });
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Writes a 12-byte RTP header (no CSRC, no extension, no padding) at `target[offset]`. */
export function writeRtpHeader(target: Uint8Array, offset: number, h: RtpHeaderFields): void {
  target[offset] = 0x80;
  target[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  target[offset + 2] = (h.sequenceNumber >> 8) & 0xff;
  target[offset + 3] = h.sequenceNumber & 0xff;
  const ts = h.timestamp >>> 0;
  target[offset + 4] = ts >>> 24;
  target[offset + 5] = (ts >>> 16) & 0xff;
  target[offset + 6] = (ts >>> 8) & 0xff;
  target[offset + 7] = ts & 0xff;
  const ssrc = h.ssrc >>> 0;
  target[offset + 8] = ssrc >>> 24;
  target[offset + 9] = (ssrc >>> 16) & 0xff;
  target[offset + 10] = (ssrc >>> 8) & 0xff;
  target[offset + 11] = ssrc & 0xff;
}

/** Builds a whole RTP packet (one allocation, the packet itself). */
export function buildRtpPacket(h: RtpHeaderFields, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RTP_HEADER_SIZE + payload.length);
  writeRtpHeader(out, 0, h);
  out.set(payload, RTP_HEADER_SIZE);
  return out;
}
