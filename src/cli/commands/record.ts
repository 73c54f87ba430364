/**
 * `camstream record <url> -o OUT [--duration S] [--frames N] [--timeout S] [--json] [-v]` (http(s)://
 * DH streams via record-http). RTSP over TCP interleaved; the first video track's access units are
 * written as an Annex B elementary stream, from the first keyframe. A live progress line on a TTY,
 * and one summary (stderr, or `--json` on stdout) however the recording ends: --duration, --frames,
 * Ctrl-C/SIGTERM, the reader of stdout leaving, the server ending the stream, a timeout, an error.
 */
import { RtspClient } from '../../client/rtsp-client.js';
import type { TransportMode } from '../../client/transport-select.js';
import { ProtocolError } from '../../errors.js';
import { redactUrl } from '../../rtsp/url.js';
import { numberOption, parseArgs, transportOption, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { chooseOutput, RecordOutput } from '../output.js';
import { ProgressLine } from '../progress.js';
import { finishSummary, newSummary, NORMAL_ENDS, summaryLine, type RecordEnd, type RecordSummary } from '../record-summary.js';
import { verboseRtsp } from '../verbose.js';
import { captureForUrl } from '../../capture/file.js';

export const summary = 'record the video of an RTSP camera (or a DH stream over HTTP) to a file';
export const handlesSignals = true;

const HELP = `usage: camstream record <url> -o OUT [--duration S] [--frames N] [--timeout S] [--json] [-v]
                       [--segment S] [--no-audio] [--no-reconnect] [--faststart]

  <url>           rtsp://[user:pass@]host[:port]/path  or an http(s):// DH stream (realmonitor.cgi ...)
  -o, --out OUT   the extension picks the writer:
                    .h264 .264 .h265 .265 .hevc  Annex B video elementary stream (- = on stdout)
                    .mp4  fragmented MP4: H.264/H.265 video + AAC audio
                    .mov  QuickTime: also G.711 A-law/µ-law audio
                    .aac  the AAC track as ADTS (rtsp)
                    .dav .dh  the DH bytes as received (http)
                  Other extensions are refused. No file is left when nothing was recorded.
  --duration S    stop after S seconds
  --frames N      stop after N video frames
  --segment S     .mp4/.mov: a new file every S seconds of wall clock (aligned), each starting at a
                  keyframe; name OUT with %Y %m %d %H %M %S (local time) or %i (segment number),
                  e.g. -o 'cam1-%Y%m%d-%H%M%S.mp4' (without them, -000, -001 ... is added)
  --no-audio      .mp4/.mov: video only
  --no-reconnect  .mp4/.mov: stop at the first connection loss (default: reconnect with backoff)
  --faststart     .mp4/.mov: rewrite each file on close as a plain MP4 with the index first
  --timeout S     give up when connecting, a request, or the stream is silent for S seconds (default 10/10/30)
  --transport T   .h264/.h265 from RTSP: auto (default: UDP, TCP when refused or silent), tcp (RTP on
                  the RTSP connection, RFC 2326 §10.12), udp, multicast, http (RTSP over an HTTP
                  tunnel; https for rtsps://). A --capture holds the UDP datagrams too.
  --json          the summary as one JSON object on stdout (also on failure)
  -v, --verbose   print the RTSP/HTTP dialogue on stderr (credentials redacted)
  --capture FILE  .h264/.h265 from RTSP: also write a pcapng capture of the session (passwords removed; see \`camstream replay\`)
Without --duration or --frames, records until Ctrl-C. Exit status: 0 when ended by --duration,
--frames, Ctrl-C/SIGTERM or a closed stdout; 1 when the server ended the stream, a timeout or an error.
`;

export interface RecordOptions {
  out: RecordOutput;
  durationS?: number;
  frames?: number;
  timeoutS?: number;
  verbose?: boolean;
  /** Print the summary line on stderr (default true; the demo prints its own). */
  summaryLine?: boolean;
  /** Also write a pcapng capture of the session here (passwords removed). */
  capture?: string;
  /** How media travels (default 'auto'; a capture holds UDP datagrams as well as the control connection). */
  transport?: TransportMode;
}

function endOf(e: unknown): RecordEnd {
  if (e instanceof ProtocolError) {
    if (e.code === 'TIMEOUT') return 'timeout';
    if (e.code === 'CONNECTION_CLOSED') return 'server-closed';
  }
  return 'error';
}

/** Records; never throws for what the camera or network does: the summary says how it ended. */
export async function recordRtsp(url: string, o: RecordOptions, io: CliIo): Promise<RecordSummary> {
  const t = o.timeoutS !== undefined ? o.timeoutS * 1000 : undefined;
  const cap = captureForUrl(o.capture, url);
  const client = new RtspClient(url, {
    media: ['video'],
    tap: cap?.tap,
    transport: o.transport ?? 'auto',
    ...(t !== undefined ? { connectTimeoutMs: t, requestTimeoutMs: t, idleTimeoutMs: t } : {}),
  });
  if (o.verbose) verboseRtsp(client, io.stderr);
  const s = newSummary(redactUrl(url), o.out.path, 'annexb', new Date());
  const progress = new ProgressLine(io.stderr, `recording ${s.url}`);
  let end: RecordEnd | undefined;
  let error: unknown;
  const stop = (why: RecordEnd): void => {
    end ??= why;
    void client.close();
  };
  const onAbort = (): void => stop(io.signal?.reason === 'output-closed' ? 'output-closed' : 'signal');
  if (io.signal?.aborted) onAbort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await client.start();
    const track = client.rtsp.setupTracks[0];
    s.codec = track?.codec ?? '';
    if (o.durationS) timer = setTimeout(() => stop('duration'), o.durationS * 1000);
    let started = false;
    for await (const f of client.frames()) {
      // A recording starts at a keyframe: frames before the first IDR cannot be decoded.
      if (!started && !f.keyframe) continue;
      started = true;
      s.frames++;
      if (f.keyframe) s.keyframes++;
      const w = o.out.write(f.data);
      if (w) await w;
      s.bytes = o.out.bytes;
      progress.update({ frames: s.frames, bytes: s.bytes, losses: client.stats.droppedUnits, keyframes: s.keyframes });
      if (o.frames && s.frames >= o.frames) {
        end ??= 'frames';
        break;
      }
    }
    // The iteration ended without us asking and without an error: the stream finished.
    end ??= 'end-of-stream';
  } catch (e) {
    if (end === undefined) {
      end = endOf(e);
      error = e;
    }
  } finally {
    if (timer) clearTimeout(timer);
    io.signal?.removeEventListener('abort', onAbort);
    await client.close();
    cap?.close();
    await o.out.close();
  }
  const track = client.rtsp.setupTracks[0];
  if (track?.width) s.width = track.width;
  if (track?.height) s.height = track.height;
  s.bytes = o.out.bytes;
  s.losses.lostPackets = client.stats.lostPackets;
  s.losses.droppedUnits = client.stats.droppedUnits;
  finishSummary(s, new Date(), end, error);
  progress.finish({ frames: s.frames, bytes: s.bytes, losses: s.losses.droppedUnits }, '', false);
  if (o.summaryLine !== false) io.stderr.write(summaryLine(s));
  return s;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, {
    flags: ['--json', '--verbose', '--no-audio', '--no-reconnect', '--reconnect', '--faststart'],
    options: ['--out', '--duration', '--frames', '--transport', '--timeout', '--segment', '--capture'],
    aliases: { '-o': '--out', '-v': '--verbose' },
  });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const url = a.positionals[0];
  const out = a.options.get('--out');
  if (!url || a.positionals.length > 1) throw new UsageError('record takes one URL');
  if (!out) throw new UsageError('record needs -o OUT (a file, or - for stdout)');
  const transport = transportOption(a);
  const durationS = numberOption(a, '--duration');
  const frames = numberOption(a, '--frames');
  const timeoutS = numberOption(a, '--timeout');
  const json = a.flags.has('--json');
  const verbose = a.flags.has('--verbose');
  const http = /^\s*https?:\/\//i.test(url);
  if (!http && !/^\s*rtsps?:\/\//i.test(url)) throw new UsageError(`unsupported URL scheme: ${redactUrl(url)} (rtsp://, rtsps://, http://, https://)`);
  const format = chooseOutput(out, http ? 'http' : 'rtsp');
  if (json && out === '-') throw new UsageError('--json and -o - both want stdout: write the recording to a file');
  const segmentS = numberOption(a, '--segment');
  if (segmentS !== undefined && format.kind !== 'mp4') throw new UsageError('--segment S needs an .mp4 or .mov output');
  const capture = a.options.get('--capture');
  if (capture !== undefined && (format.kind !== 'annexb' || http)) throw new UsageError('--capture works with .h264/.h265 outputs from RTSP (not yet .mp4/.mov/.aac or HTTP)');
  if (format.kind === 'mp4' || format.kind === 'adts') {
    // The container writers (src/cli/commands/record-mp4.ts) report for themselves.
    const m = await import('./record-mp4.js');
    const base = { out, durationS, frames, signal: io.signal };
    if (http) return m.recordHttpMp4(url.trim(), base, io);
    const r =
      format.kind === 'adts'
        ? await m.recordRtspAac(url.trim(), base, io)
        : await m.recordRtspMp4(url.trim(), { ...base, audio: !a.flags.has('--no-audio'), reconnect: !a.flags.has('--no-reconnect'), segmentS, faststart: a.flags.has('--faststart') }, io);
    if (json) await write(io.stdout, JSON.stringify(r) + '\n');
    return 0;
  }
  const output = new RecordOutput(out, io.stdout);
  let s: RecordSummary;
  if (http) {
    const { recordHttp } = await import('./record-http.js');
    s = await recordHttp(url.trim(), { out: output, format: format.kind, durationS, frames, timeoutS, verbose }, io);
  } else {
    s = await recordRtsp(url.trim(), { out: output, durationS, frames, timeoutS, verbose, ...(capture !== undefined ? { capture } : {}), ...(transport !== undefined ? { transport } : {}) }, io);
  }
  if (json) await write(io.stdout, JSON.stringify(s) + '\n');
  return NORMAL_ENDS.includes(s.endReason) ? 0 : 1;
}
