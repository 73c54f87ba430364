/**
 * SDP (RFC 4566) as cameras send it in DESCRIBE answers: a session section then one section per
 * `m=` line. Tolerant reader; each deviation is handled in one marked place:
 *
 * - CRLF, bare LF or bare CR line ends; trailing whitespace (moonfire-nvr #213: `a=rtpmap:96 H264/90000 `).
 * - no `o=` (retina #52), several `s=` (the first wins), broken `c=` (go2rtc #1426: kept raw, not parsed).
 * - the IP Camera Standard API 5.0.0 §5.5.3.1 as printed: a line that is not `<letter>=` continues the previous line (the long
 *   `a=fmtp` line is wrapped), and an `m=` glued onto the end of an `a=` line is split off.
 * - unknown line types and attributes are kept in `attributes`, never an error.
 *
 * fmtp values are kept as strings; keys are lower-cased (`Profile-Level-Id` = `profile-level-id`).
 * `packetization-mode=28` (the IP Camera Standard API 5.0.0) is just a value here: the depacketizer ignores the mode
 * (docs/camera-quirks.md #8).
 */
import { ProtocolError } from '../errors.js';
import { parseRange, type RangeSpec } from './headers.js';

export interface RtpMap {
  readonly pt: number;
  /** As written (`H264`, `PCMU`, `MPEG4-GENERIC`, `G723.1`, ...). */
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number | undefined;
}

export interface SdpConnection {
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
  readonly ttl: number | undefined;
}

export interface SdpAttribute {
  readonly name: string;
  /** undefined for property attributes (`a=recvonly`). */
  readonly value: string | undefined;
}

export interface MediaDescription {
  /** `video`, `audio`, `application`, ... */
  readonly type: string;
  readonly port: number;
  readonly portCount: number;
  /** `RTP/AVP`, `RTP/AVP/TCP`, `RTP/SAVP`, ... */
  readonly proto: string;
  /** Numeric formats in m= order (the first is the preferred one). */
  readonly payloadTypes: number[];
  /** rtpmap of payloadTypes[0] (RFC 3551 §6 table for static types without one). */
  readonly rtpmap: RtpMap | undefined;
  /** fmtp of payloadTypes[0], keys lower-cased ({} when none). */
  readonly fmtp: Record<string, string>;
  readonly rtpmaps: Map<number, RtpMap>;
  readonly fmtps: Map<number, Record<string, string>>;
  /** `a=control:` as written; join with resolveControl(). */
  readonly control: string | undefined;
  readonly framerate: number | undefined;
  readonly range: RangeSpec | undefined;
  /** `a=x-dimensions:<w>,<h>` (RFC 2435 JPEG wider than 2040 px; docs/camera-quirks.md #21). */
  readonly dimensions: { width: number; height: number } | undefined;
  readonly connection: SdpConnection | undefined;
  /** `b=<type>:<kbps>` */
  readonly bandwidths: Record<string, number>;
  /** `sendrecv` / `sendonly` / `recvonly` / `inactive` when given. */
  readonly direction: string | undefined;
  readonly attributes: SdpAttribute[];
}

export interface SessionDescription {
  readonly version: number | undefined;
  readonly origin: string | undefined;
  readonly name: string | undefined;
  readonly info: string | undefined;
  readonly connection: SdpConnection | undefined;
  readonly bandwidths: Record<string, number>;
  readonly control: string | undefined;
  readonly range: RangeSpec | undefined;
  readonly attributes: SdpAttribute[];
  readonly media: MediaDescription[];
}

export interface SdpLimits {
  /** Bytes (default 64 KiB). */
  maxSize?: number;
  /** Media sections (default 64). */
  maxMedia?: number;
}

/** RFC 3551 §6 static payload types (encoding, clock rate, channels). */
const STATIC_PT: Record<number, [string, number, number | undefined]> = {
  0: ['PCMU', 8000, 1],
  3: ['GSM', 8000, 1],
  4: ['G723', 8000, 1],
  5: ['DVI4', 8000, 1],
  6: ['DVI4', 16000, 1],
  7: ['LPC', 8000, 1],
  8: ['PCMA', 8000, 1],
  9: ['G722', 8000, 1],
  10: ['L16', 44100, 2],
  11: ['L16', 44100, 1],
  12: ['QCELP', 8000, 1],
  13: ['CN', 8000, 1],
  14: ['MPA', 90000, undefined],
  15: ['G728', 8000, 1],
  16: ['DVI4', 11025, 1],
  17: ['DVI4', 22050, 1],
  18: ['G729', 8000, 1],
  25: ['CelB', 90000, undefined],
  26: ['JPEG', 90000, undefined],
  28: ['nv', 90000, undefined],
  31: ['H261', 90000, undefined],
  32: ['MPV', 90000, undefined],
  33: ['MP2T', 90000, undefined],
  34: ['H263', 90000, undefined],
};

const LINE_RE = /^[a-z]=/;
/** the IP Camera Standard API 5.0.0 quirk: `a=x-qt-text-inf:h264m=video 0 RTP/AVP 99` */
const GLUED_M_RE = /^(a=.*?)(m=(?:video|audio|application|text|message|data) \d+(?:\/\d+)? [A-Za-z/]+ .*)$/;

function parseConnection(v: string): SdpConnection | undefined {
  const f = v.trim().split(/\s+/);
  if (f.length < 3) return undefined; // broken c= (go2rtc #1426): ignored
  const [addr, ttl] = f[2]!.split('/');
  const t = ttl !== undefined ? Number(ttl) : undefined;
  return { netType: f[0]!, addrType: f[1]!, address: addr!, ttl: t !== undefined && Number.isFinite(t) ? t : undefined };
}

function parseRtpMap(v: string): RtpMap | undefined {
  const m = /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(v.trim());
  if (!m) return undefined;
  return { pt: Number(m[1]), encoding: m[2]!, clockRate: Number(m[3]), channels: m[4] !== undefined ? Number(m[4]) : undefined };
}

/** `a=fmtp:<pt> k=v;k=v` -> pt and a record; values keep `=` (base64 padding) and are trimmed. */
function parseFmtp(v: string): { pt: number; params: Record<string, string> } | undefined {
  const m = /^(\d{1,3})\s*(.*)$/.exec(v.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const part of m[2]!.split(';')) {
    const t = part.trim();
    if (t.length === 0) continue;
    const eq = t.indexOf('=');
    if (eq < 0) params[t.toLowerCase()] = '';
    else params[t.slice(0, eq).trim().toLowerCase()] = t.slice(eq + 1).trim();
  }
  return { pt: Number(m[1]), params };
}

function bandwidth(into: Record<string, number>, v: string): void {
  const colon = v.indexOf(':');
  if (colon <= 0) return;
  const n = Number(v.slice(colon + 1).trim());
  if (Number.isFinite(n)) into[v.slice(0, colon).trim()] = n;
}

interface MediaBuilder {
  type: string;
  port: number;
  portCount: number;
  proto: string;
  payloadTypes: number[];
  rtpmaps: Map<number, RtpMap>;
  fmtps: Map<number, Record<string, string>>;
  control: string | undefined;
  framerate: number | undefined;
  range: RangeSpec | undefined;
  dimensions: { width: number; height: number } | undefined;
  connection: SdpConnection | undefined;
  bandwidths: Record<string, number>;
  direction: string | undefined;
  attributes: SdpAttribute[];
}

/** Splits into logical lines, applying the line-level quirks listed in the file comment. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (!LINE_RE.test(line)) {
      // Quirk (the IP Camera Standard API 5.0.0 §5.5.3.1 as printed): a wrapped line continues the previous one.
      if (out.length > 0) out[out.length - 1] += line;
      continue;
    }
    // Quirk (the IP Camera Standard API 5.0.0 §5.5.3.1 as printed): `m=` glued onto the end of an attribute line.
    const g = GLUED_M_RE.exec(line);
    if (g) {
      out.push(g[1]!, g[2]!);
      continue;
    }
    out.push(line);
  }
  return out;
}

/**
 * Parses an SDP. Throws `RTSP_BAD_SDP` when over the size cap, when there are too many media
 * sections, or when the text has no SDP line at all (an HTML error page, say).
 */
export function parseSdp(input: string | Uint8Array, limits: SdpLimits = {}): SessionDescription {
  const maxSize = limits.maxSize ?? 64 * 1024;
  const maxMedia = limits.maxMedia ?? 64;
  const size = typeof input === 'string' ? input.length : input.length;
  if (size > maxSize) throw new ProtocolError('RTSP_BAD_SDP', `SDP of ${size} bytes over the ${maxSize}-byte cap`);
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const lines = logicalLines(text);
  if (lines.length === 0) throw new ProtocolError('RTSP_BAD_SDP', 'no SDP lines');

  let version: number | undefined;
  let origin: string | undefined;
  let name: string | undefined;
  let info: string | undefined;
  let connection: SdpConnection | undefined;
  const bandwidths: Record<string, number> = {};
  let control: string | undefined;
  let range: RangeSpec | undefined;
  const attributes: SdpAttribute[] = [];
  const media: MediaBuilder[] = [];
  let cur: MediaBuilder | undefined;

  for (const line of lines) {
    const type = line.charCodeAt(0);
    const v = line.slice(2);
    switch (type) {
      case 0x76 /* 'v' */:
        if (version === undefined && /^\d+$/.test(v)) version = Number(v);
        break;
      case 0x6f /* 'o' */:
        origin ??= v;
        break;
      case 0x73 /* 's' */:
        if (!cur) name ??= v; // repeated s=: first wins
        break;
      case 0x69 /* 'i' */:
        if (!cur) info ??= v;
        break;
      case 0x63 /* 'c' */: {
        const c = parseConnection(v);
        if (cur) cur.connection ??= c;
        else connection ??= c;
        break;
      }
      case 0x62 /* 'b' */:
        bandwidth(cur ? cur.bandwidths : bandwidths, v);
        break;
      case 0x6d /* 'm' */: {
        if (media.length >= maxMedia) throw new ProtocolError('RTSP_BAD_SDP', `more than ${maxMedia} media sections`);
        const f = v.trim().split(/\s+/);
        const [port, count] = (f[1] ?? '0').split('/');
        const pts: number[] = [];
        for (const fmt of f.slice(3)) if (/^\d{1,3}$/.test(fmt) && Number(fmt) < 128) pts.push(Number(fmt));
        cur = {
          type: f[0] ?? '',
          port: Number(port) || 0,
          portCount: Number(count) || 1,
          proto: f[2] ?? '',
          payloadTypes: pts,
          rtpmaps: new Map(),
          fmtps: new Map(),
          control: undefined,
          framerate: undefined,
          range: undefined,
          dimensions: undefined,
          connection: undefined,
          bandwidths: {},
          direction: undefined,
          attributes: [],
        };
        media.push(cur);
        break;
      }
      case 0x61 /* 'a' */: {
        const colon = v.indexOf(':');
        const an = colon >= 0 ? v.slice(0, colon) : v;
        const av = colon >= 0 ? v.slice(colon + 1).trim() : undefined;
        (cur ? cur.attributes : attributes).push({ name: an, value: av });
        const key = an.toLowerCase();
        if (key === 'control' && av !== undefined) {
          if (cur) cur.control ??= av;
          else control ??= av;
        } else if (key === 'range' && av !== undefined) {
          const r = parseRange(av);
          if (cur) cur.range ??= r;
          else range ??= r;
        } else if (cur && av !== undefined) {
          if (key === 'rtpmap') {
            const m = parseRtpMap(av);
            if (m && !cur.rtpmaps.has(m.pt)) cur.rtpmaps.set(m.pt, m);
          } else if (key === 'fmtp') {
            const f = parseFmtp(av);
            if (f && !cur.fmtps.has(f.pt)) cur.fmtps.set(f.pt, f.params);
          } else if (key === 'framerate') {
            const n = Number.parseFloat(av);
            if (Number.isFinite(n) && n > 0) cur.framerate = n;
          } else if (key === 'x-dimensions') {
            const m = /^(\d+)\s*,\s*(\d+)/.exec(av);
            if (m) cur.dimensions = { width: Number(m[1]), height: Number(m[2]) };
          }
        } else if (cur && (key === 'sendrecv' || key === 'sendonly' || key === 'recvonly' || key === 'inactive')) {
          cur.direction = key;
        }
        break;
      }
      default:
        break; // t=, r=, z=, k=, e=, p=, u=: not needed by a client
    }
  }

  return {
    version,
    origin,
    name,
    info,
    connection,
    bandwidths,
    control,
    range,
    attributes,
    media: media.map(finishMedia),
  };
}

function finishMedia(b: MediaBuilder): MediaDescription {
  const pt0 = b.payloadTypes[0];
  let rtpmap = pt0 !== undefined ? b.rtpmaps.get(pt0) : undefined;
  if (!rtpmap && pt0 !== undefined) {
    const s = STATIC_PT[pt0];
    if (s) rtpmap = { pt: pt0, encoding: s[0], clockRate: s[1], channels: s[2] };
  }
  const fmtp = (pt0 !== undefined ? b.fmtps.get(pt0) : undefined) ?? {};
  return { ...b, rtpmap, fmtp };
}
