/**
 * Named quirk policies and vendor profiles. A behaviour cameras disagree on is an option with a name, a
 * documented default and a source (README "Quirk policies and vendor profiles"), not an always-on
 * branch behind a comment. A profile is a set of policy values for one vendor family; `fingerprint`
 * suggests one from what `probe` sees (Server header, Public methods, SDP shape, Content-Base).
 *
 * `sessionOptions(policies)` turns policies into RtspSession/RtspClient options:
 *   const client = new RtspClient(url, { ...sessionOptions(resolvePolicies('hikvision')) });
 */
import type { RtpInfoPolicy, RtspSessionOptions, SsrcPolicy } from './session/types.js';

export type KeepaliveMethod = 'auto' | 'GET_PARAMETER' | 'OPTIONS' | 'SET_PARAMETER' | 'none';
export type TeardownPolicy = 'same-connection' | 'skip';
export type ProfileName = 'generic' | 'dahua' | 'hikvision' | 'axis' | 'reolink';

export interface QuirkPolicies {
  /**
   * Keepalive request at session timeout / 2. 'auto' (default): GET_PARAMETER when the OPTIONS answer's
   * Public lists it (RFC 2326 §10.8), else OPTIONS (§10.1). SET_PARAMETER is refused by some servers
   * (400 and a disconnect, mediamtx #842/#1066); 'none' for cameras that drop on any (gortsplib #412).
   */
  keepalive: KeepaliveMethod;
  /** RTCP receiver reports every 5 s (RFC 3550 §6.2); some cameras stop without them (gortsplib client.go). */
  receiverReports: boolean;
  /**
   * RTP-Info trust and the initial sequence/timestamp (RFC 2326 §12.33): 'ignore-suspicious' (default)
   * uses it only when it agrees with the first packets; 'trust'; 'ignore' (Hikvision DS-2CD2032-I sends
   * seq=0, docs/camera-quirks.md #16).
   */
  rtpInfo: RtpInfoPolicy;
  /** Packets (and their RTCP) from an SSRC other than the track's (RFC 3550 §8.2; Tapo's unknown-SSRC RTCP, docs/camera-quirks.md #17). */
  ssrc: SsrcPolicy;
  /** TEARDOWN on the control connection (RFC 2326 §10.7), or none (a camera that drops the connection on it). */
  teardown: TeardownPolicy;
}

export const DEFAULT_POLICIES: Readonly<QuirkPolicies> = Object.freeze({
  keepalive: 'auto',
  receiverReports: true,
  rtpInfo: 'ignore-suspicious',
  ssrc: 'adopt',
  teardown: 'same-connection',
});

export interface Profile {
  name: ProfileName;
  policies: Partial<QuirkPolicies>;
  /** Why these values, with sources. */
  notes: string[];
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  generic: { name: 'generic', policies: {}, notes: ['the defaults: tolerant of every known quirk that costs nothing on a well-behaved server'] },
  dahua: {
    name: 'dahua',
    policies: { keepalive: 'GET_PARAMETER', rtpInfo: 'ignore-suspicious' },
    notes: [
      'enforces timeout=60 and drops clients without keepalives (media-stream-library-js #100): GET_PARAMETER, which Dahua lists in Public',
      'RTP-Info with relative url=trackID=0 (mediamtx #250) or none (locomote-video-player #177): used only when it agrees',
      'Content-Base keeps the query string plus "/" (retina PR #12, gortsplib #121): always joined tolerantly (rtsp/url.ts resolveControl)',
    ],
  },
  hikvision: {
    name: 'hikvision',
    policies: { rtpInfo: 'ignore', teardown: 'same-connection' },
    notes: [
      'RTP-Info seq=0 on some models (Hikvision DS-2CD2032-I, docs/camera-quirks.md #16): ignored, sequence tracking starts from the first packet',
      'the session is tied to its TCP connection: TEARDOWN on a new connection answers 500 (docs/camera-quirks.md #19): same connection',
    ],
  },
  axis: {
    name: 'axis',
    policies: { rtpInfo: 'trust' },
    notes: ['RTP-Info per RFC 2326 §12.33 (url, seq, rtptime that match the stream): trusted, so the first packets are anchored exactly'],
  },
  reolink: {
    name: 'reolink',
    policies: { receiverReports: true, rtpInfo: 'ignore-suspicious' },
    notes: [
      'RTP before the PLAY answer (retina #46, docs/camera-quirks.md #14) and the marker bit on SPS/PPS (docs/camera-quirks.md #12): handled by the session and depacketizer in every profile',
      'receiver reports kept on: some cameras stop streaming without them (gortsplib client.go: "some cameras require a maximum of 5secs")',
    ],
  },
});

/** A profile's policies over the defaults, then explicit overrides. */
export function resolvePolicies(profile: ProfileName = 'generic', overrides: Partial<QuirkPolicies> = {}): QuirkPolicies {
  const p = PROFILES[profile];
  if (!p) throw new RangeError(`unknown profile '${String(profile)}' (one of ${Object.keys(PROFILES).join(', ')})`);
  return { ...DEFAULT_POLICIES, ...p.policies, ...overrides };
}

/** The RtspSession / RtspClient options that carry the policies. */
export function sessionOptions(p: QuirkPolicies): Pick<RtspSessionOptions, 'keepalive' | 'keepaliveMethod' | 'receiverReportIntervalMs' | 'rtpInfoPolicy' | 'ssrcPolicy' | 'teardownPolicy'> {
  const o: Pick<RtspSessionOptions, 'keepalive' | 'keepaliveMethod' | 'receiverReportIntervalMs' | 'rtpInfoPolicy' | 'ssrcPolicy' | 'teardownPolicy'> = {
    rtpInfoPolicy: p.rtpInfo,
    ssrcPolicy: p.ssrc,
    teardownPolicy: p.teardown,
  };
  if (p.keepalive === 'none') o.keepalive = false;
  else o.keepaliveMethod = p.keepalive;
  if (!p.receiverReports) o.receiverReportIntervalMs = 0;
  return o;
}

export interface CameraFacts {
  /** Server header (OPTIONS or DESCRIBE answer). */
  server?: string;
  /** Public methods from the OPTIONS answer. */
  methods?: readonly string[];
  sdpText?: string;
  contentBase?: string;
  /** The request URL (path shapes are vendor specific). */
  url?: string;
  authScheme?: string;
}

export interface ProfileSuggestion {
  profile: ProfileName;
  /** Each fact that pointed at the profile. */
  reasons: string[];
}

interface Rule {
  profile: Exclude<ProfileName, 'generic'>;
  test: (f: CameraFacts) => string | undefined;
}

const RULES: Rule[] = [
  { profile: 'dahua', test: (f) => (/dahua|DH[_-]?IPC|Rtsp Server\/[23]\.0/i.test(f.server ?? '') ? `Server header "${f.server}"` : undefined) },
  { profile: 'dahua', test: (f) => (/\/cam\/realmonitor\?/i.test(f.url ?? '') ? 'URL path /cam/realmonitor (Dahua stream URL)' : undefined) },
  { profile: 'dahua', test: (f) => (f.contentBase && /\?[^/]*\/$/.test(f.contentBase) ? `Content-Base keeps the query string and a trailing "/" (${f.contentBase})` : undefined) },
  { profile: 'hikvision', test: (f) => (/hikvision|HIK Media Server|Hikvision-Webs/i.test(f.server ?? '') ? `Server header "${f.server}"` : undefined) },
  { profile: 'hikvision', test: (f) => (/\/Streaming\/Channels\//i.test(f.url ?? '') ? 'URL path /Streaming/Channels/ (Hikvision stream URL)' : undefined) },
  { profile: 'hikvision', test: (f) => (/^s=Media Presentation\s*$/m.test(f.sdpText ?? '') && /^a=x-dimensions:/m.test(f.sdpText ?? '') ? 'SDP "s=Media Presentation" with a=x-dimensions' : undefined) },
  { profile: 'axis', test: (f) => (/axis/i.test(f.server ?? '') ? `Server header "${f.server}"` : undefined) },
  { profile: 'axis', test: (f) => (/\/axis-media\/media\.amp/i.test(f.url ?? '') ? 'URL path /axis-media/media.amp (Axis stream URL)' : undefined) },
  { profile: 'reolink', test: (f) => (/reolink/i.test(f.server ?? '') ? `Server header "${f.server}"` : undefined) },
  { profile: 'reolink', test: (f) => (/^s=Session streamed by "preview"/m.test(f.sdpText ?? '') ? 'SDP session name "Session streamed by "preview"" (Reolink)' : undefined) },
  { profile: 'reolink', test: (f) => (/\/h264Preview_\d+_(main|sub)/i.test(f.url ?? '') ? 'URL path h264Preview_NN_main|sub (Reolink stream URL)' : undefined) },
];

/** The profile the facts point at most, with the reasons; 'generic' when nothing matches. */
export function fingerprint(f: CameraFacts): ProfileSuggestion {
  const hits = new Map<ProfileName, string[]>();
  for (const r of RULES) {
    const why = r.test(f);
    if (why) hits.set(r.profile, [...(hits.get(r.profile) ?? []), why]);
  }
  let best: ProfileSuggestion = { profile: 'generic', reasons: ['no vendor-specific Server header, URL path or SDP shape'] };
  for (const [profile, reasons] of hits) if (best.profile === 'generic' || reasons.length > best.reasons.length) best = { profile, reasons };
  if (best.profile === 'generic' && f.methods && !f.methods.includes('GET_PARAMETER')) best.reasons.push('Public lacks GET_PARAMETER: keepalive "auto" uses OPTIONS');
  return best;
}
