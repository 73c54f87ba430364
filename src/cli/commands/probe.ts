/**
 * `camstream probe <rtsp-url> [--json]`: what a camera offers — server, methods, auth
 * scheme, SDP, tracks and codec parameters — without starting media. Credentials are never printed.
 */
import { RtspClient, type RtspDescription, type RtspTrack } from '../../client/rtsp-client.js';
import { decodeH264Sprop } from '../../codec/h264/sprop.js';
import { parseH264Sps } from '../../codec/h264/sps.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { verboseRtsp } from '../verbose.js';
import { write, type CliIo } from '../io.js';
import { captureForUrl } from '../../capture/file.js';
import { fingerprint } from '../../rtsp/policies.js';

export const summary = 'show what an RTSP camera offers: server, methods, auth, SDP, tracks, codec parameters';

const HELP = `usage: camstream probe <rtsp://[user:pass@]host[:port]/path> [--json] [--timeout S] [-v]

  --json         one JSON object on stdout instead of the readable report (an {"error":...} object on failure)
  --timeout S    connect and per-request timeout in seconds (default 10)
  -v, --verbose  print the RTSP dialogue on stderr (credentials redacted)
  --capture FILE also write a pcapng capture of the exchange (passwords removed)
Credentials in the URL are used, never printed. Exit status: 0 answered, 1 failed, 2 wrong usage.
`;

/** What probe prints of a track: the SDP facts, plus what the sprop SPS tells before any media. */
export interface TrackReport extends Pick<RtspTrack, 'index' | 'type' | 'codec' | 'supported' | 'payloadType' | 'clockRate' | 'control' | 'fmtp' | 'width' | 'height' | 'codecString'> {
  channels?: number;
  profile?: string;
  framerate?: number;
}

export function trackReport(d: RtspDescription): TrackReport[] {
  return d.tracks.map((t) => {
    const r: TrackReport = { index: t.index, type: t.type, codec: t.codec, supported: t.supported, payloadType: t.payloadType, clockRate: t.clockRate, control: t.control, fmtp: t.fmtp };
    if (t.channels !== undefined) r.channels = t.channels;
    if (t.media.framerate !== undefined) r.framerate = t.media.framerate;
    const sprop = t.fmtp['sprop-parameter-sets'];
    if (t.codec === 'h264' && sprop) {
      try {
        const sps = decodeH264Sprop(sprop).sps;
        if (sps) {
          const info = parseH264Sps(sps);
          r.width = info.width;
          r.height = info.height;
          r.codecString = info.codecString;
          r.profile = `profile_idc ${info.profileIdc}, level ${(info.levelIdc / 10).toFixed(1)}`;
        }
      } catch {
        // An unusable sprop is common (retina #42): the in-band SPS decides later.
      }
    }
    return r;
  });
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--json', '--verbose'], options: ['--timeout', '--capture'], aliases: { '-v': '--verbose' } });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const url = a.positionals[0];
  if (!url || a.positionals.length > 1) throw new UsageError('probe takes exactly one rtsp:// URL (see --help)');
  const timeoutMs = (numberOption(a, '--timeout') ?? 10) * 1000;
  const cap = captureForUrl(a.options.get('--capture'), url);
  const client = new RtspClient(url, { connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, keepalive: false, tap: cap?.tap });
  if (a.flags.has('--verbose')) verboseRtsp(client, io.stderr);
  try {
    const d = await client.describe();
    const tracks = trackReport(d);
    // The vendor profile these facts suggest (src/rtsp/policies.ts), and why.
    const profile = fingerprint({ server: d.server, methods: d.methods, sdpText: d.sdpText, contentBase: d.contentBase, url: d.url, authScheme: d.authScheme });
    if (a.flags.has('--json')) {
      const { sdp: _sdp, tracks: _t, ...rest } = d;
      await write(io.stdout, JSON.stringify({ ...rest, tracks, profile }) + '\n');
    } else {
      const lines = [
        `url:       ${d.url}`,
        `server:    ${d.server ?? '(not given)'}`,
        `methods:   ${d.methods.join(', ') || '(OPTIONS gave no Public header)'}`,
        `auth:      ${d.authScheme ? `${d.authScheme}${d.authAlgorithm ? ` (${d.authAlgorithm})` : ''}` : 'none asked'}`,
        `base:      ${d.contentBase}`,
        `profile:   ${profile.profile} (${profile.reasons.join('; ')})`,
        `tracks:    ${tracks.length}`,
      ];
      for (const t of tracks) {
        const dims = t.width ? ` ${t.width}x${t.height}` : '';
        const extra = [t.codecString, t.profile, t.framerate ? `${t.framerate} fps` : undefined, t.channels ? `${t.channels} ch` : undefined].filter(Boolean).join(', ');
        lines.push(`  #${t.index} ${t.type} ${t.codec}${t.supported ? '' : ' (not supported)'} pt ${t.payloadType} @ ${t.clockRate} Hz${dims}${extra ? ` — ${extra}` : ''}`);
        lines.push(`     control ${t.control}`);
        const fmtp = Object.entries(t.fmtp).map(([k, v]) => `${k}=${v}`).join(';');
        if (fmtp) lines.push(`     fmtp ${fmtp}`);
      }
      lines.push('sdp:', ...d.sdpText.trimEnd().split(/\r?\n/).map((l) => `  ${l}`));
      await write(io.stdout, lines.join('\n') + '\n');
    }
    return 0;
  } finally {
    await client.close();
    cap?.close();
  }
}
