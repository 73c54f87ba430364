/**
 * Pure descriptions of what is on the wire, for `camstream dump`: the NAL unit structure of an H.264
 * (RFC 6184 §5.2-§5.8) or H.265 (RFC 7798 §4.4) RTP payload, and RTCP packets (RFC 3550 §6.4-§6.6) as
 * plain JSON-friendly objects.
 */
import type { RtcpPacket } from '../rtp/rtcp.js';

export interface NalInfo {
  /** Payload structure type: the NAL type of a single NAL, or 24/28 (H.264 STAP-A/FU-A), 48/49 (H.265 AP/FU). */
  type: number;
  /** 'IDR', 'non-IDR', 'SPS', 'FU-A', 'STAP-A', 'AP', 'FU' ... */
  name: string;
  /** Fragmentation units: which piece of the NAL this packet carries. */
  fu?: 'start' | 'middle' | 'end' | 'start-end';
  /** Fragmentation units: the fragmented NAL's type and name. */
  nalType?: number;
  nalName?: string;
  /** Aggregation packets (STAP-A, AP): the number of NAL units inside and their names. */
  count?: number;
  names?: string[];
}

const H264_NAMES: Record<number, string> = {
  1: 'non-IDR',
  2: 'partition-A',
  3: 'partition-B',
  4: 'partition-C',
  5: 'IDR',
  6: 'SEI',
  7: 'SPS',
  8: 'PPS',
  9: 'AUD',
  10: 'end-of-seq',
  11: 'end-of-stream',
  12: 'filler',
  13: 'SPS-ext',
  14: 'prefix',
  15: 'subset-SPS',
  19: 'aux-slice',
  20: 'slice-ext',
  24: 'STAP-A',
  25: 'STAP-B',
  26: 'MTAP16',
  27: 'MTAP24',
  28: 'FU-A',
  29: 'FU-B',
};

export function h264NalName(type: number): string {
  return H264_NAMES[type] ?? `type-${type}`;
}

export function h265NalName(type: number): string {
  if (type <= 9) return type <= 1 ? 'TRAIL' : type <= 3 ? 'TSA' : type <= 5 ? 'STSA' : type <= 7 ? 'RADL' : 'RASL';
  if (type >= 16 && type <= 18) return 'BLA';
  if (type === 19 || type === 20) return 'IDR';
  if (type === 21) return 'CRA';
  const names: Record<number, string> = { 32: 'VPS', 33: 'SPS', 34: 'PPS', 35: 'AUD', 36: 'EOS', 37: 'EOB', 38: 'FD', 39: 'SEI-prefix', 40: 'SEI-suffix', 48: 'AP', 49: 'FU', 50: 'PACI' };
  return names[type] ?? `type-${type}`;
}

function fuPart(s: boolean, e: boolean): NalInfo['fu'] {
  return s && e ? 'start-end' : s ? 'start' : e ? 'end' : 'middle';
}

/** The NAL structure of an RTP payload `b[start, end)`; undefined for an empty payload. */
export function describeNal(codec: 'h264' | 'h265', b: Uint8Array, start: number, end: number): NalInfo | undefined {
  if (end <= start) return undefined;
  if (codec === 'h264') {
    const type = b[start]! & 0x1f;
    const info: NalInfo = { type, name: h264NalName(type) };
    if ((type === 28 || type === 29) && end - start >= 2) {
      const h = b[start + 1]!;
      info.fu = fuPart((h & 0x80) !== 0, (h & 0x40) !== 0);
      info.nalType = h & 0x1f;
      info.nalName = h264NalName(info.nalType);
    } else if (type === 24) {
      const names: string[] = [];
      for (let p = start + 1; p + 2 <= end; ) {
        const n = (b[p]! << 8) | b[p + 1]!;
        if (n === 0 || p + 2 + n > end) break;
        names.push(h264NalName(b[p + 2]! & 0x1f));
        p += 2 + n;
      }
      info.count = names.length;
      info.names = names;
    }
    return info;
  }
  if (end - start < 2) return { type: -1, name: 'short' };
  const type = (b[start]! >> 1) & 0x3f;
  const info: NalInfo = { type, name: h265NalName(type) };
  if (type === 49 && end - start >= 3) {
    const h = b[start + 2]!;
    info.fu = fuPart((h & 0x80) !== 0, (h & 0x40) !== 0);
    info.nalType = h & 0x3f;
    info.nalName = h265NalName(info.nalType);
  } else if (type === 48) {
    const names: string[] = [];
    for (let p = start + 2; p + 2 <= end; ) {
      const n = (b[p]! << 8) | b[p + 1]!;
      if (n < 2 || p + 2 + n > end) break;
      names.push(h265NalName((b[p + 2]! >> 1) & 0x3f));
      p += 2 + n;
    }
    info.count = names.length;
    info.names = names;
  }
  return info;
}

export type RtcpInfo =
  | { kind: 'sr'; ssrc: string; ntp: string; rtpTime: number; packets: number; octets: number; reports: RtcpBlockInfo[] }
  | { kind: 'rr'; ssrc: string; reports: RtcpBlockInfo[] }
  | { kind: 'sdes'; chunks: { ssrc: string; cname?: string; items: { type: number; value: string }[] }[] }
  | { kind: 'bye'; ssrcs: string[]; reason?: string }
  | { kind: 'other'; pt: number; size: number };

export interface RtcpBlockInfo {
  ssrc: string;
  fractionLost: number;
  cumulativeLost: number;
  highestSeq: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** RTCP packets as JSON-friendly objects: SSRCs in hex, the SR's NTP time as an ISO date (RFC 3550 §6.4.1). */
export function describeRtcp(packets: readonly RtcpPacket[]): RtcpInfo[] {
  const blocks = (r: readonly { ssrc: number; fractionLost: number; cumulativeLost: number; extendedHighestSeq: number; jitter: number; lastSr: number; delaySinceLastSr: number }[]): RtcpBlockInfo[] =>
    r.map((b) => ({ ssrc: hex32(b.ssrc), fractionLost: b.fractionLost, cumulativeLost: b.cumulativeLost, highestSeq: b.extendedHighestSeq, jitter: b.jitter, lsr: b.lastSr, dlsr: b.delaySinceLastSr }));
  return packets.map((p): RtcpInfo => {
    switch (p.type) {
      case 'sr': {
        const ms = p.wallClockMs;
        const ntp = Number.isFinite(ms) && ms >= -8.64e15 && ms <= 8.64e15 ? new Date(ms).toISOString() : `ntp ${p.ntpSeconds}.${p.ntpFraction}`;
        return { kind: 'sr', ssrc: hex32(p.ssrc), ntp, rtpTime: p.rtpTimestamp, packets: p.packetCount, octets: p.octetCount, reports: blocks(p.reports) };
      }
      case 'rr':
        return { kind: 'rr', ssrc: hex32(p.ssrc), reports: blocks(p.reports) };
      case 'sdes':
        return { kind: 'sdes', chunks: p.chunks.map((c) => ({ ssrc: hex32(c.ssrc), ...(c.cname !== undefined ? { cname: c.cname } : {}), items: c.items })) };
      case 'bye':
        return { kind: 'bye', ssrcs: p.ssrcs.map(hex32), ...(p.reason !== undefined ? { reason: p.reason } : {}) };
      default:
        return { kind: 'other', pt: p.packetType, size: p.body.length };
    }
  });
}
