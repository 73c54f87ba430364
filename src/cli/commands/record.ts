/**
 * `camstream record <url> [--duration S] [--frames N] -o out.h264` (http(s):// DH streams
 * via record-http). RTSP over TCP interleaved; the first video track's access units are
 * written as an Annex-B elementary stream. A live progress line on a TTY, a summary at the end.
 * Ctrl-C (SIGINT) ends the recording cleanly (TEARDOWN, file closed).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { RtspClient } from '../../client/rtsp-client.js';
import { ProtocolError } from '../../errors.js';
import { redactUrl } from '../../rtsp/url.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { ProgressLine } from '../progress.js';
import { captureForUrl } from '../../capture/file.js';

export const summary = 'record the video of an RTSP camera (or a DH stream over HTTP) to a file';

const HELP = `usage: camstream record <url> -o OUT [--duration S] [--frames N] [--segment S] [--no-audio] [--no-reconnect] [--faststart] [--transport tcp] [--json]

  <url>           rtsp://[user:pass@]host[:port]/path  or an http(s):// DH stream (realmonitor.cgi ...)
  -o, --out OUT   output file, the writer picked by extension:
                    .mp4  fragmented MP4: H.264/H.265 video + AAC audio
                    .mov  QuickTime: also G.711 A-law/µ-law audio
                    .h264/.h265  Annex-B video elementary stream;  .aac  the AAC track as ADTS
                    .dav  (http DH streams) the raw bytes as received
  --duration S    stop after S seconds
  --frames N      stop after N video frames
  --segment S     .mp4/.mov: a new file every S seconds of wall clock (aligned), each starting at a
                  keyframe; name OUT with %Y %m %d %H %M %S (local time) or %i (segment number),
                  e.g. -o 'cam1-%Y%m%d-%H%M%S.mp4' (without them, -000, -001 ... is added)
  --no-audio      .mp4/.mov: video only
  --no-reconnect  .mp4/.mov: stop at the first connection loss (default: reconnect with backoff)
  --faststart     .mp4/.mov: rewrite each file on close as a plain MP4 with the index first
  --transport T   tcp (default; RTP over the RTSP connection, RFC 2326 §10.12)
  --json          print the final summary as JSON on stdout
  --capture FILE  .h264/.h265: also write a pcapng capture of the RTSP session (passwords removed; see \`camstream replay\`)
Without --duration or --frames, records until Ctrl-C.
`;

export interface RecordResult {
  frames: number;
  keyframes: number;
  bytes: number;
  lost: number;
  droppedUnits: number;
  seconds: number;
  codec: string;
  width?: number;
  height?: number;
}

function writeAsync(out: WriteStream, data: Uint8Array): Promise<void> | undefined {
  if (out.write(data)) return undefined;
  return new Promise((resolve) => out.once('drain', resolve));
}

export async function recordRtsp(url: string, o: { out: string; durationS?: number; frames?: number; signal?: AbortSignal; capture?: string }, io: CliIo): Promise<RecordResult> {
  const cap = captureForUrl(o.capture, url);
  const client = new RtspClient(url, { media: ['video'], signal: o.signal, tap: cap?.tap });
  const file = createWriteStream(o.out);
  const progress = new ProgressLine(io.stderr, `recording ${redactUrl(url)}`);
  const res: RecordResult = { frames: 0, keyframes: 0, bytes: 0, lost: 0, droppedUnits: 0, seconds: 0, codec: '' };
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await client.start();
    const track = client.tracks.find((t) => t.rtpChannel !== undefined);
    res.codec = track?.codec ?? '';
    if (o.durationS) timer = setTimeout(() => void client.close(), o.durationS * 1000);
    let started = false;
    for await (const f of client.frames()) {
      // A recording starts at a keyframe: frames before the first IDR cannot be decoded.
      if (!started && !f.keyframe) continue;
      started = true;
      res.frames++;
      if (f.keyframe) res.keyframes++;
      res.bytes += f.data.length;
      const w = writeAsync(file, f.data);
      if (w) await w;
      res.lost = client.stats.lostPackets;
      progress.update({ frames: res.frames, bytes: res.bytes, losses: client.stats.droppedUnits, keyframes: res.keyframes });
      if (o.frames && res.frames >= o.frames) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    await client.close();
    cap?.close();
    await new Promise<void>((resolve, reject) => file.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  const t = client.tracks.find((x) => x.rtpChannel !== undefined);
  if (t?.width) res.width = t.width;
  if (t?.height) res.height = t.height;
  res.lost = client.stats.lostPackets;
  res.droppedUnits = client.stats.droppedUnits;
  res.seconds = (Date.now() - t0) / 1000;
  progress.finish({ frames: res.frames, bytes: res.bytes, losses: res.droppedUnits, keyframes: res.keyframes }, `-> ${o.out}`);
  return res;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--json', '--no-audio', '--no-reconnect', '--reconnect', '--faststart'], options: ['--out', '--duration', '--frames', '--transport', '--segment', '--capture'], aliases: { '-o': '--out' } });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const url = a.positionals[0];
  const out = a.options.get('--out');
  if (!url || a.positionals.length > 1) throw new UsageError('record takes one URL (see --help)');
  if (!out) throw new UsageError('record needs -o OUT');
  const transport = a.options.get('--transport') ?? 'tcp';
  if (transport !== 'tcp') throw new UsageError(`--transport ${transport}: only tcp is supported (RTP interleaved on the RTSP connection)`);
  const durationS = numberOption(a, '--duration');
  const frames = numberOption(a, '--frames');
  const segmentS = numberOption(a, '--segment');
  const mp4 = /\.(mp4|mov)$/i.test(out);
  if (segmentS !== undefined && !(mp4 && segmentS > 0)) throw new UsageError('--segment S needs S > 0 and an .mp4 or .mov output');
  if (/^https?:\/\//i.test(url)) {
    const { recordHttp } = await import('./record-http.js');
    return recordHttp(url, { out, durationS, frames }, io);
  }
  if (!/^rtsps?:\/\//i.test(url)) throw new UsageError(`unsupported URL scheme: ${redactUrl(url)}`);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    let r: unknown;
    const capture = a.options.get('--capture');
    if (capture !== undefined && (mp4 || /\.aac$/i.test(out))) throw new UsageError('--capture works with .h264/.h265 outputs (not yet .mp4/.mov/.aac)');
    if (mp4) {
      const { recordRtspMp4 } = await import('./record-mp4.js');
      r = await recordRtspMp4(url, { out, durationS, frames, signal: ac.signal, audio: !a.flags.has('--no-audio'), reconnect: !a.flags.has('--no-reconnect'), segmentS, faststart: a.flags.has('--faststart') }, io);
    } else if (/\.aac$/i.test(out)) {
      const { recordRtspAac } = await import('./record-mp4.js');
      r = await recordRtspAac(url, { out, durationS, frames, signal: ac.signal }, io);
    } else {
      r = await recordRtsp(url, { out, durationS, frames, signal: ac.signal, capture }, io);
    }
    if (a.flags.has('--json')) await write(io.stdout, JSON.stringify(r) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof ProtocolError && e.code === 'ABORTED') return 0; // Ctrl-C: file already closed
    io.stderr.write(`camstream record: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
