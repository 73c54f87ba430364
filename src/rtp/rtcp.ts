/**
 * RTCP compound packet parsing (RFC 3550 §6.4-6.6), an SR-based RTP-time -> wall-clock mapper and
 * a receiver report builder.
 *
 * Every RTCP packet starts with the same 4-byte header:
 * ```
 * +---+-+---------+---------------+-------------------------------+
 * |V=2|P| RC/SC   |   PT (200-204)|  length (32-bit words - 1)    |
 * +---+-+---------+---------------+-------------------------------+
 * ```
 * Tolerant reader: unknown packet types are skipped by length, an SSRC we never saw is fine (Tapo,
 * docs/camera-quirks.md #17), an SDES chunk without its END item is accepted (Hanwha, mediamtx #5355).
 * A malformed compound yields RTCP_BAD_PACKET and nothing else; it never throws past `parseRtcp`
 * callers that use `tryParseRtcp`.
 */
import { ProtocolError } from '../errors.js';

export interface RtcpReportBlock {
  ssrc: number;
  fractionLost: number;
  /** Signed 24-bit. */
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface RtcpSenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  /** NTP time as milliseconds since the Unix epoch. */
  wallClockMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
}

export interface RtcpReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: RtcpReportBlock[];
}

export interface RtcpSdes {
  type: 'sdes';
  chunks: { ssrc: number; cname?: string; items: { type: number; value: string }[] }[];
}

export interface RtcpBye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

export interface RtcpOther {
  type: 'other';
  packetType: number;
  body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpOther;

/** Seconds between 1900-01-01 (NTP epoch) and 1970-01-01. */
export const NTP_UNIX_OFFSET = 2208988800;

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function bad(msg: string, buf: Uint8Array, at: number): ProtocolError {
  return new ProtocolError('RTCP_BAD_PACKET', msg, { context: { at }, bytes: buf, bytesStart: at });
}

function reportBlocks(b: Uint8Array, o: number, count: number, end: number): RtcpReportBlock[] | null {
  if (o + count * 24 > end) return null;
  const out: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    let cum = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    if (cum & 0x800000) cum -= 0x1000000;
    out.push({
      ssrc: u32(b, o),
      fractionLost: b[o + 4]!,
      cumulativeLost: cum,
      extendedHighestSeq: u32(b, o + 8),
      jitter: u32(b, o + 12),
      lastSr: u32(b, o + 16),
      delaySinceLastSr: u32(b, o + 20),
    });
  }
  return out;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

function parseSdes(b: Uint8Array, o: number, count: number, end: number): RtcpSdes | null {
  const chunks: RtcpSdes['chunks'] = [];
  for (let c = 0; c < count; c++) {
    if (o + 4 > end) {
      // Hanwha (mediamtx #5355): fewer chunks than announced / truncated; keep what we have.
      break;
    }
    const ssrc = u32(b, o);
    o += 4;
    const items: { type: number; value: string }[] = [];
    let cname: string | undefined;
    while (o < end) {
      const t = b[o]!;
      if (t === 0) {
        // END item, then pad to the next 32-bit boundary (§6.5).
        o++;
        while (o < end && (o & 3) !== 0 && b[o] === 0) o++;
        break;
      }
      if (o + 2 > end) return null;
      const len = b[o + 1]!;
      if (o + 2 + len > end) return null;
      const value = utf8.decode(b.subarray(o + 2, o + 2 + len));
      items.push({ type: t, value });
      if (t === 1) cname = value;
      o += 2 + len;
    }
    // SDES without END (Hanwha, mediamtx #5355): the loop above simply ran into the packet end.
    chunks.push(cname !== undefined ? { ssrc, cname, items } : { ssrc, items });
  }
  return { type: 'sdes', chunks };
}

/**
 * Parses a compound RTCP packet. Throws RTCP_BAD_PACKET for anything malformed (wrong version,
 * length past the end, report blocks that do not fit).
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  let o = 0;
  if (buf.length < 4) throw bad(`RTCP compound of ${buf.length} bytes`, buf, 0);
  while (o < buf.length) {
    if (o + 4 > buf.length) throw bad('truncated RTCP header', buf, o);
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) throw bad(`RTCP version ${b0 >> 6}`, buf, o);
    const count = b0 & 0x1f;
    const pt = buf[o + 1]!;
    const words = (buf[o + 2]! << 8) | buf[o + 3]!;
    const end = o + 4 + words * 4;
    if (end > buf.length) throw bad(`RTCP length ${words} runs past the end`, buf, o);
    let bodyEnd = end;
    if (b0 & 0x20) {
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > words * 4) throw bad('bad RTCP padding', buf, o);
      bodyEnd -= pad;
    }
    const p = o + 4;
    switch (pt) {
      case 200: {
        // SR: ssrc, NTP msw, NTP lsw, RTP ts, packet count, octet count, then report blocks.
        if (p + 24 > bodyEnd) throw bad('short SR', buf, o);
        const reports = reportBlocks(buf, p + 24, count, bodyEnd);
        if (!reports) throw bad('SR report blocks past the end', buf, o);
        const ntpSeconds = u32(buf, p + 4);
        const ntpFraction = u32(buf, p + 8);
        out.push({
          type: 'sr',
          ssrc: u32(buf, p),
          ntpSeconds,
          ntpFraction,
          wallClockMs: ntpToUnixMs(ntpSeconds, ntpFraction),
          rtpTimestamp: u32(buf, p + 12),
          packetCount: u32(buf, p + 16),
          octetCount: u32(buf, p + 20),
          reports,
        });
        break;
      }
      case 201: {
        if (p + 4 > bodyEnd) throw bad('short RR', buf, o);
        const reports = reportBlocks(buf, p + 4, count, bodyEnd);
        if (!reports) throw bad('RR report blocks past the end', buf, o);
        out.push({ type: 'rr', ssrc: u32(buf, p), reports });
        break;
      }
      case 202: {
        const s = parseSdes(buf, p, count, bodyEnd);
        if (!s) throw bad('SDES item past the end', buf, o);
        out.push(s);
        break;
      }
      case 203: {
        if (p + count * 4 > bodyEnd) throw bad('BYE SSRC list past the end', buf, o);
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(u32(buf, p + i * 4));
        const r = p + count * 4;
        if (r < bodyEnd) {
          const len = buf[r]!;
          const reason = r + 1 + len <= bodyEnd ? latin1.decode(buf.subarray(r + 1, r + 1 + len)) : undefined;
          out.push(reason !== undefined ? { type: 'bye', ssrcs, reason } : { type: 'bye', ssrcs });
        } else {
          out.push({ type: 'bye', ssrcs });
        }
        break;
      }
      default:
        out.push({ type: 'other', packetType: pt, body: buf.subarray(p, bodyEnd) });
    }
    o = end;
  }
  return out;
}

/** `parseRtcp` that returns the error instead of throwing (for hot receive loops). */
export function tryParseRtcp(buf: Uint8Array): RtcpPacket[] | ProtocolError {
  try {
    return parseRtcp(buf);
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    return new ProtocolError('RTCP_BAD_PACKET', String(e), { bytes: buf, cause: e });
  }
}

export function ntpToUnixMs(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET) * 1000 + (fraction / 0x100000000) * 1000;
}

/**
 * Maps RTP timestamps of one source to wall-clock time using the latest Sender Report (§6.4.1: the
 * SR pairs an NTP time with the RTP timestamp of the same instant). RTP timestamps wrap at 2^32; the
 * difference to the SR's RTP time is taken as a signed 32-bit number, so the mapping holds for
 * +-2^31 ticks around the SR (13 hours at 90 kHz).
 */
export class RtpClockMapper {
  private srRtp = 0;
  private srWallMs = 0;
  private have = false;

  constructor(readonly clockRate: number) {
    if (!(clockRate > 0)) throw new ProtocolError('INVALID_ARGUMENT', `clock rate ${clockRate}`);
  }

  get synced(): boolean {
    return this.have;
  }

  onSenderReport(sr: Pick<RtcpSenderReport, 'rtpTimestamp' | 'wallClockMs'>): void {
    this.srRtp = sr.rtpTimestamp >>> 0;
    this.srWallMs = sr.wallClockMs;
    this.have = true;
  }

  /** Wall-clock milliseconds since the Unix epoch for an RTP timestamp, or undefined before the first SR. */
  wallClockMs(rtpTimestamp: number): number | undefined {
    if (!this.have) return undefined;
    const delta = ((rtpTimestamp >>> 0) - this.srRtp) | 0;
    return this.srWallMs + (delta * 1000) / this.clockRate;
  }
}

export interface ReceiverReportInit {
  /** Our own SSRC. */
  ssrc: number;
  reports: RtcpReportBlock[];
  /** Optional CNAME: adds an SDES chunk (§6.1: compound packets should carry one). */
  cname?: string;
}

/** Builds an RR (plus SDES CNAME when given) compound packet (§6.4.2, §6.5). */
export function buildReceiverReport(init: ReceiverReportInit): Uint8Array {
  const blocks = init.reports.slice(0, 31);
  const rrLen = 8 + blocks.length * 24;
  const cname = init.cname !== undefined ? new TextEncoder().encode(init.cname).subarray(0, 255) : undefined;
  // SDES: header 4 + ssrc 4 + item (2 + len) + END + pad to 4.
  const sdesLen = cname ? (8 + 2 + cname.length + 1 + 3) & ~3 : 0;
  const out = new Uint8Array(rrLen + sdesLen);
  const dv = new DataView(out.buffer);
  out[0] = 0x80 | blocks.length;
  out[1] = 201;
  dv.setUint16(2, rrLen / 4 - 1);
  dv.setUint32(4, init.ssrc >>> 0);
  let o = 8;
  for (const r of blocks) {
    dv.setUint32(o, r.ssrc >>> 0);
    out[o + 4] = r.fractionLost & 0xff;
    const cum = r.cumulativeLost & 0xffffff;
    out[o + 5] = cum >> 16;
    out[o + 6] = (cum >> 8) & 0xff;
    out[o + 7] = cum & 0xff;
    dv.setUint32(o + 8, r.extendedHighestSeq >>> 0);
    dv.setUint32(o + 12, r.jitter >>> 0);
    dv.setUint32(o + 16, r.lastSr >>> 0);
    dv.setUint32(o + 20, r.delaySinceLastSr >>> 0);
    o += 24;
  }
  if (cname) {
    out[o] = 0x81;
    out[o + 1] = 202;
    dv.setUint16(o + 2, sdesLen / 4 - 1);
    dv.setUint32(o + 4, init.ssrc >>> 0);
    out[o + 8] = 1; // CNAME
    out[o + 9] = cname.length;
    out.set(cname, o + 10);
    // END item and padding are already zero.
  }
  return out;
}

/** The "LSR" field for a report block: middle 32 bits of the SR's NTP timestamp (§6.4.1). */
export function lastSrField(sr: Pick<RtcpSenderReport, 'ntpSeconds' | 'ntpFraction'>): number {
  return (((sr.ntpSeconds & 0xffff) << 16) | (sr.ntpFraction >>> 16)) >>> 0;
}
