/**
 * RTSP header values (RFC 2326 §12): Transport, Session, RTP-Info, Public, Range, Content-Base.
 * Tolerant readers: a field that cannot be parsed is left undefined rather than failing the answer
 * (the client decides what it really needs); strict writer for Transport.
 */
import { ProtocolError } from '../errors.js';
import type { Headers } from '../message/headers.js';
import { normalizeBase } from './url.js';

// ---------------------------------------------------------------------------------------------
// Transport (RFC 2326 §12.39)
//
//   Transport = transport-spec *("," transport-spec)
//   transport-spec = "RTP/AVP" ["/" ("TCP"|"UDP")] *(";" parameter)
//   parameter = "unicast" | "multicast" | "interleaved=" ch ["-" ch] | "client_port=" p ["-" p]
//             | "server_port=" p ["-" p] | "port=" p ["-" p] | "ttl=" n | "ssrc=" 8HEX
//             | "source=" host | "destination=" host | "mode=" <"> method <"> | "append" | "layers=" n
// ---------------------------------------------------------------------------------------------

export interface TransportSpec {
  /** `RTP/AVP/TCP` as written. */
  readonly protocol: string;
  /** `RTP` */
  readonly transportProtocol: string;
  /** `AVP`, `SAVP`, ... */
  readonly profile: string;
  /** UDP unless `/TCP` (RFC 2326 §12.39 default). */
  readonly lowerTransport: 'UDP' | 'TCP';
  readonly delivery: 'unicast' | 'multicast' | undefined;
  readonly interleaved: readonly [number, number] | undefined;
  readonly clientPort: readonly [number, number] | undefined;
  readonly serverPort: readonly [number, number] | undefined;
  /** Multicast `port=`. */
  readonly port: readonly [number, number] | undefined;
  readonly source: string | undefined;
  readonly destination: string | undefined;
  readonly ssrc: number | undefined;
  /** Upper-cased, quotes removed (`PLAY`, `RECORD`). */
  readonly mode: string | undefined;
  readonly ttl: number | undefined;
  readonly layers: number | undefined;
  readonly append: boolean;
  /** Every parameter as written (lower-cased names); flags map to ''. */
  readonly params: Readonly<Record<string, string>>;
}

function range(v: string | undefined, max: number): readonly [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(v);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a + 1;
  if (a > max || b > max) return undefined;
  return [a, b];
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return /^\d{1,10}$/.test(t) ? Number(t) : undefined;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Parses one transport-spec. Throws `RTSP_BAD_TRANSPORT` when there is no protocol at all. */
export function parseTransport(value: string): TransportSpec {
  const parts = value.split(';');
  const protocol = parts[0]!.trim();
  const pm = /^([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)(?:\/([A-Za-z]+))?$/.exec(protocol);
  if (!pm) throw new ProtocolError('RTSP_BAD_TRANSPORT', 'Transport has no RTP/AVP[/TCP] protocol', { context: { transport: value.slice(0, 120) } });
  const params: Record<string, string> = {};
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const eq = p.indexOf('=');
    // Quirk: `ssrc=  1234ABCD` with spaces around the value (gortsplib #121, Hikvision; retina #128).
    const name = (eq >= 0 ? p.slice(0, eq) : p).trim().toLowerCase();
    if (name.length === 0) continue;
    if (!(name in params)) params[name] = eq >= 0 ? p.slice(eq + 1).trim() : '';
  }
  const lower = (pm[3] ?? 'UDP').toUpperCase() === 'TCP' ? 'TCP' : 'UDP';
  const ssrcText = params['ssrc'];
  // RFC 2326 says 8 hex digits; some servers send fewer. Anything else (decimal with 9+ digits, junk): undefined.
  const ssrc = ssrcText !== undefined && /^[0-9A-Fa-f]{1,8}$/.test(ssrcText) ? Number.parseInt(ssrcText, 16) >>> 0 : undefined;
  return {
    protocol,
    transportProtocol: pm[1]!.toUpperCase(),
    profile: pm[2]!.toUpperCase(),
    lowerTransport: lower,
    delivery: 'multicast' in params ? 'multicast' : 'unicast' in params ? 'unicast' : undefined,
    interleaved: range(params['interleaved'], 255),
    clientPort: range(params['client_port'], 65535),
    serverPort: range(params['server_port'], 65535),
    port: range(params['port'], 65535),
    source: params['source'] !== undefined ? unquote(params['source']) : undefined,
    destination: params['destination'] !== undefined ? unquote(params['destination']) : undefined,
    ssrc,
    mode: params['mode'] !== undefined ? unquote(params['mode']).toUpperCase() : undefined,
    ttl: num(params['ttl']),
    layers: num(params['layers']),
    append: 'append' in params,
    params,
  };
}

/** Every transport-spec of a (request) Transport header, in preference order. */
export function parseTransports(value: string): TransportSpec[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseTransport);
}

export interface TransportRequest {
  /** Default `RTP/AVP`. */
  profile?: string;
  lowerTransport?: 'TCP' | 'UDP';
  delivery?: 'unicast' | 'multicast';
  interleaved?: readonly [number, number];
  clientPort?: readonly [number, number];
  destination?: string;
  ttl?: number;
  mode?: string;
  /** Extra `k=v` (or flag when value is '') parameters, e.g. ONVIF backchannel needs. */
  extra?: Record<string, string>;
}

/** Strict writer: `RTP/AVP/TCP;unicast;interleaved=0-1`. Throws `INVALID_ARGUMENT` on bad values. */
export function buildTransport(t: TransportRequest): string {
  const bad = (w: string): never => {
    throw new ProtocolError('INVALID_ARGUMENT', `bad Transport ${w}`);
  };
  const pair = (p: readonly [number, number], max: number, what: string): string => {
    if (!p.every((n) => Number.isInteger(n) && n >= 0 && n <= max)) bad(what);
    return `${p[0]}-${p[1]}`;
  };
  const lower = t.lowerTransport ?? 'UDP';
  let s = `${t.profile ?? 'RTP/AVP'}${lower === 'TCP' ? '/TCP' : ''};${t.delivery ?? 'unicast'}`;
  if (t.destination !== undefined) {
    if (/[;,\s"]/.test(t.destination)) bad('destination');
    s += `;destination=${t.destination}`;
  }
  if (t.interleaved) s += `;interleaved=${pair(t.interleaved, 255, 'interleaved')}`;
  if (t.clientPort) s += `;client_port=${pair(t.clientPort, 65535, 'client_port')}`;
  if (t.ttl !== undefined) {
    if (!Number.isInteger(t.ttl) || t.ttl < 0 || t.ttl > 255) bad('ttl');
    s += `;ttl=${t.ttl}`;
  }
  if (t.mode !== undefined) {
    if (!/^[A-Z_]+$/.test(t.mode)) bad('mode');
    s += `;mode=${t.mode}`;
  }
  for (const [k, v] of Object.entries(t.extra ?? {})) {
    if (!/^[A-Za-z0-9_.-]+$/.test(k) || /[;,\r\n]/.test(v)) bad(k);
    s += v === '' ? `;${k}` : `;${k}=${v}`;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Session (RFC 2326 §12.37): session-id [";timeout=" delta-seconds]
// ---------------------------------------------------------------------------------------------

export interface SessionHeader {
  readonly id: string;
  /** Seconds; undefined when absent or unparseable (RFC default 60 is the client's call). */
  readonly timeout: number | undefined;
}

export function parseSession(value: string): SessionHeader | undefined {
  const parts = value.split(';');
  const id = parts[0]!.trim();
  if (id.length === 0) return undefined;
  let timeout: number | undefined;
  for (let i = 1; i < parts.length; i++) {
    const m = /^\s*timeout\s*=\s*"?(\d{1,9})"?\s*$/i.exec(parts[i]!);
    if (m) timeout = Number(m[1]);
  }
  return { id, timeout: timeout !== undefined && timeout > 0 ? timeout : undefined };
}

// ---------------------------------------------------------------------------------------------
// RTP-Info (RFC 2326 §12.33): "url=" URL [";seq=" u16] [";rtptime=" u32] *("," ...)
// ---------------------------------------------------------------------------------------------

export interface RtpInfoEntry {
  /** As written: absolute, or relative like `trackID=0` (mediamtx #250, docs/camera-quirks.md #3). */
  readonly url: string;
  readonly seq: number | undefined;
  readonly rtptime: number | undefined;
}

/**
 * Parses RTP-Info. Bogus values (Hikvision/Tapo `seq=0`, unparseable `rtptime`, moonfire-nvr #224;
 * docs/camera-quirks.md #16) are left undefined when out of range; plausible-but-wrong ones such as `seq=0`
 * are returned and the client must not trust them blindly. Entries are split only before `url=`, so
 * a `,` or `;` inside a URL's query does not break them.
 */
export function parseRtpInfo(value: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  for (const entry of value.split(/,\s*(?=url\s*=)/i)) {
    const t = entry.trim();
    if (t.length === 0) continue;
    const m = /^url\s*=\s*("?)(.*)$/i.exec(t);
    if (!m) continue;
    // url runs until the first ";seq=" / ";rtptime=" / ";ssrc=" parameter (URLs may contain ';').
    let rest = m[2]!;
    const pm = /;\s*(?:seq|rtptime|ssrc)\s*=/i.exec(rest);
    let url = pm ? rest.slice(0, pm.index) : rest;
    rest = pm ? rest.slice(pm.index) : '';
    url = url.trim();
    if (m[1] === '"' && url.endsWith('"')) url = url.slice(0, -1);
    let seq: number | undefined;
    let rtptime: number | undefined;
    for (const p of rest.split(';')) {
      const kv = /^\s*([a-z]+)\s*=\s*(\S*)\s*$/i.exec(p);
      if (!kv) continue;
      const k = kv[1]!.toLowerCase();
      const v = kv[2]!;
      if (k === 'seq' && /^\d{1,5}$/.test(v) && Number(v) <= 0xffff) seq = Number(v);
      else if (k === 'rtptime' && /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff) rtptime = Number(v);
    }
    out.push({ url, seq, rtptime });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public (RFC 2326 §12.28), Range (§12.29, §3.5-3.7)
// ---------------------------------------------------------------------------------------------

/** Method list, upper-cased, in order, without empties. */
export function parsePublic(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s.length > 0);
}

export interface RangeSpec {
  /** `npt`, `clock`, `smpte`, ... (lower-cased). */
  readonly unit: string;
  readonly start: string | undefined;
  readonly end: string | undefined;
  /** npt in seconds (`now` and hh:mm:ss.frac handled: `now` -> undefined). */
  readonly startSeconds: number | undefined;
  readonly endSeconds: number | undefined;
  /** clock= times (ISO 8601 basic `YYYYMMDDThhmmss[.frac]Z`). */
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
}

function nptSeconds(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(?:(\d+):(\d{1,2}):)?(\d+(?:\.\d*)?)$/.exec(s);
  if (!m) return undefined;
  return (m[1] !== undefined ? Number(m[1]) * 3600 + Number(m[2]) * 60 : 0) + Number(m[3]);
}

function clockTime(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/i.exec(s);
  if (!m) return undefined;
  const ms = m[7] !== undefined ? Math.round(Number(m[7]) * 1000) : 0;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

/** `npt=56.378441-` (VLC, docs/camera-quirks.md #23), `npt=0-`, `clock=20120915T123705Z-...`; undefined if no `unit=`. */
export function parseRange(value: string): RangeSpec | undefined {
  const first = value.split(';')[0]!.trim();
  const eq = first.indexOf('=');
  if (eq <= 0) return undefined;
  const unit = first.slice(0, eq).trim().toLowerCase();
  const spec = first.slice(eq + 1).trim();
  const dash = spec.indexOf('-');
  const start = (dash >= 0 ? spec.slice(0, dash) : spec).trim() || undefined;
  const end = dash >= 0 ? spec.slice(dash + 1).trim() || undefined : undefined;
  return {
    unit,
    start,
    end,
    startSeconds: unit === 'npt' ? nptSeconds(start) : undefined,
    endSeconds: unit === 'npt' ? nptSeconds(end) : undefined,
    startTime: unit === 'clock' ? clockTime(start) : undefined,
    endTime: unit === 'clock' ? clockTime(end) : undefined,
  };
}

/**
 * The base URL for a DESCRIBE answer (RFC 2326 §C.1.1): Content-Base, else Content-Location, else the
 * request URL — normalised for the doubled-scheme and missing-scheme quirks (see normalizeBase).
 */
export function contentBase(headers: Headers, requestUrl: string): string {
  const v = headers.get('content-base') ?? headers.get('content-location');
  const t = v?.trim();
  return t ? normalizeBase(t) : requestUrl;
}
