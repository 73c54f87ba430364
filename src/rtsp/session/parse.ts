/**
 * Pure functions that turn RTSP answers into the session's facts (no state, no I/O), tested on text
 * fixtures: DESCRIBE -> tracks (RFC 2326 §10.2, RFC 4566, RFC 6184 §8.2.1 / RFC 7798 §7.2.1 parameter
 * sets), SETUP -> session id, timeout, transport (§10.4, §12.37, §12.39), PLAY -> RTP-Info and Range
 * (§10.5, §12.33, §12.29).
 */
import { ProtocolError } from '../../errors.js';
import type { ResponseHead } from '../../message/head-parser.js';
import { parseSdp, type MediaDescription, type SessionDescription } from '../sdp.js';
import { contentBase, parseRange, parseRtpInfo, parseSession, parseTransport, type RangeSpec, type RtpInfoEntry, type TransportSpec } from '../headers.js';
import { resolveControl } from '../url.js';
import { codecOf } from './depacketizers.js';
import { decodeH264Sprop, decodeSpropNalus } from '../../codec/h264/sprop.js';
import { buildAvcDecoderConfig, parseH264Sps } from '../../codec/h264/sps.js';
import { buildHevcDecoderConfig, parseH265Sps } from '../../codec/h265/sps.js';
import type { RtspTrack } from './types.js';

/** The RTP profiles camstream depacketizes (RFC 3551 AVP; AVPF only adds feedback we may ignore). */
const PLAIN_PROFILES = new Set(['RTP/AVP', 'RTP/AVP/TCP', 'RTP/AVP/UDP', 'RTP/AVPF', 'RTP/AVPF/TCP']);

export interface DescribeResult {
  contentBase: string;
  sdpText: string;
  sdp: SessionDescription;
  tracks: RtspTrack[];
  /** The aggregate control URL for PLAY/PAUSE/TEARDOWN (session-level a=control, RFC 2326 §C.1.1). */
  aggregateControl: string;
  /** Why some tracks are left out (e.g. an RTP/SAVP twin of a plain track). */
  notes: string[];
}

/** DESCRIBE answer -> tracks. Throws RTSP_BAD_SDP (from the SDP parser) on an unusable body. */
export function parseDescribe(requestUrl: string, head: ResponseHead, body: Uint8Array | string): DescribeResult {
  const sdpText = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const sdp = parseSdp(sdpText);
  const base = contentBase(head.headers, requestUrl);
  const tracks = sdp.media.map((m, i) => makeTrack(m, i, base));
  const notes: string[] = [];
  for (const t of tracks) {
    if (PLAIN_PROFILES.has(t.profile)) continue;
    const twin = tracks.find((o) => o !== t && o.type === t.type && PLAIN_PROFILES.has(o.profile));
    t.supported = false;
    t.unsupportedReason = `RTP profile ${t.profile} is not implemented`;
    notes.push(
      twin
        ? `track ${t.index} (${t.type}, ${t.profile}) is not set up: camstream does not implement ${t.profile} (RFC 3711); its plain ${twin.profile} twin, track ${twin.index}, is used`
        : `track ${t.index} (${t.type}, ${t.profile}) is not set up: camstream does not implement ${t.profile}`,
    );
  }
  return { contentBase: base, sdpText, sdp, tracks, aggregateControl: resolveControl(base, sdp.control), notes };
}

export function makeTrack(m: MediaDescription, index: number, base: string): RtspTrack {
  const enc = m.rtpmap?.encoding ?? '';
  const codec = codecOf(enc, m.payloadTypes[0] ?? -1);
  const t: RtspTrack = {
    index,
    type: m.type,
    codec: codec ?? enc.toLowerCase(),
    supported: codec !== undefined,
    profile: m.proto.toUpperCase(),
    payloadType: m.payloadTypes[0] ?? -1,
    clockRate: m.rtpmap?.clockRate ?? 90000,
    channels: m.rtpmap?.channels,
    fmtp: m.fmtp,
    control: resolveControl(base, m.control),
    media: m,
    rtpChannel: undefined,
    rtcpChannel: undefined,
    ssrc: undefined,
  };
  if (codec === undefined) t.unsupportedReason = `codec ${enc || `payload type ${t.payloadType}`} is not supported`;
  Object.assign(t, codecParamsFromFmtp(t.codec, t.fmtp));
  if (t.codec === 'jpeg' && m.dimensions) {
    t.width = m.dimensions.width;
    t.height = m.dimensions.height;
  }
  return t;
}

export interface CodecParams {
  width?: number;
  height?: number;
  codecString?: string;
  decoderConfig?: Uint8Array;
}

/**
 * Width, height, RFC 6381 codec string and decoder configuration from the SDP's out-of-band
 * parameter sets: H.264 `sprop-parameter-sets` (RFC 6184 §8.1), H.265 `sprop-vps/sps/pps`
 * (RFC 7798 §7.1). Unparseable sets give nothing (the in-band ones fill the track later).
 */
export function codecParamsFromFmtp(codec: string, fmtp: Record<string, string>): CodecParams {
  try {
    if (codec === 'h264' && fmtp['sprop-parameter-sets']) {
      const { sps, nalus } = decodeH264Sprop(fmtp['sprop-parameter-sets']);
      if (!sps) return {};
      const info = parseH264Sps(sps);
      const ppss = nalus.filter((n) => (n[0]! & 0x1f) === 8);
      const out: CodecParams = { width: info.width, height: info.height, codecString: info.codecString };
      if (ppss.length > 0 && sps.length >= 4) out.decoderConfig = buildAvcDecoderConfig(sps, ppss);
      return out;
    }
    if (codec === 'h265' && fmtp['sprop-sps']) {
      const sps = decodeSpropNalus(fmtp['sprop-sps'])[0];
      if (!sps) return {};
      const info = parseH265Sps(sps);
      const out: CodecParams = { width: info.width, height: info.height, codecString: info.codecString };
      const vps = fmtp['sprop-vps'] ? decodeSpropNalus(fmtp['sprop-vps']) : [];
      const pps = fmtp['sprop-pps'] ? decodeSpropNalus(fmtp['sprop-pps']) : [];
      if (vps.length > 0 && pps.length > 0) out.decoderConfig = buildHevcDecoderConfig(vps, [sps], pps);
      return out;
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
  return {};
}

export interface SetupResult {
  sessionId: string;
  /** Seconds, when the server said. */
  timeout: number | undefined;
  transport: TransportSpec | undefined;
}

/** SETUP answer -> session and transport. Throws RTSP_NO_SESSION / RTSP_BAD_TRANSPORT. */
export function parseSetup(head: ResponseHead): SetupResult {
  const sess = parseSession(head.headers.get('session') ?? '');
  if (!sess) throw new ProtocolError('RTSP_NO_SESSION', 'SETUP answer without a Session header', { context: { method: 'SETUP' } });
  const tr = head.headers.get('transport');
  const transport = tr ? parseTransport(tr) : undefined;
  return { sessionId: sess.id, timeout: sess.timeout, transport };
}

export interface PlayResult {
  rtpInfo: RtpInfoEntry[];
  range: RangeSpec | undefined;
}

export function parsePlay(head: ResponseHead): PlayResult {
  const info = head.headers.get('rtp-info');
  const range = head.headers.get('range');
  return { rtpInfo: info ? parseRtpInfo(info) : [], range: range ? parseRange(range) : undefined };
}

/**
 * The RTP-Info entry for a track: by absolute URL, by a relative URL that ends the track's control
 * URL (mediamtx #250, docs/camera-quirks.md #3), or, with one entry and one track, that entry.
 */
export function rtpInfoFor(entries: readonly RtpInfoEntry[], track: Pick<RtspTrack, 'control'>, trackCount: number): RtpInfoEntry | undefined {
  const strip = (u: string): string => u.replace(/\/+$/, '');
  const control = strip(track.control);
  for (const e of entries) {
    const u = strip(e.url);
    if (u === control) return e;
  }
  for (const e of entries) {
    const u = strip(e.url);
    if (u.length > 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u) && control.endsWith('/' + u.replace(/^\/+/, ''))) return e;
  }
  return entries.length === 1 && trackCount === 1 ? entries[0] : undefined;
}
