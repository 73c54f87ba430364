/**
 * `camstream demux <file|-> [--json] [--video OUT] [--audio OUT] [--format auto|dh|dhav]`
 * (issue 2 §5): frames of a DH/DHAV stream or .dav file as JSON lines or a per-stream summary, the
 * video elementary stream and raw audio to files, and a final summary on stderr.
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createDemuxer } from '../../dh/sniff.js';
import type { DhEvent, DhFrame, DhStats } from '../../dh/types.js';
import { write, type CliIo } from '../io.js';

export const summary = 'demux a DH / DHAV stream or .dav file (- for stdin) into frames, JSON, elementary streams';

const HELP = `usage: camstream demux <file|-> [--json] [--video OUT] [--audio OUT] [--format auto|dh|dhav]

  --json          one JSON object per frame per line on stdout (events as {"event": ...} lines)
  --video OUT     write the video elementary stream (Annex B for H.264/H.265) of the first video channel
  --audio OUT     write the raw audio of the first audio channel
  --format F      skip detection (default auto)
A summary (frames by kind, bytes, resyncs, skipped bytes, checksum mismatches) always ends on stderr.
`;

interface Args {
  input: string;
  json: boolean;
  video?: string;
  audio?: string;
  format: 'auto' | 'dh' | 'dhav';
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  let input: string | undefined;
  const a: Partial<Args> = { json: false, format: 'auto' };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${x} needs a value`);
      return v;
    };
    if (x === '--help' || x === '-h') return 'help';
    else if (x === '--json') a.json = true;
    else if (x === '--video') a.video = value();
    else if (x === '--audio') a.audio = value();
    else if (x === '--format') {
      const f = value();
      if (f !== 'auto' && f !== 'dh' && f !== 'dhav') throw new UsageError(`--format must be auto, dh or dhav, not '${f}'`);
      a.format = f;
    } else if (x.startsWith('-') && x !== '-') throw new UsageError(`unknown option ${x}`);
    else if (input === undefined) input = x;
    else throw new UsageError(`unexpected argument '${x}'`);
  }
  if (input === undefined) throw new UsageError('missing input (a file, or - for stdin)');
  return { ...a, input } as Args;
}

interface StreamSummary {
  kind: string;
  channel: number;
  codec: string;
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
  frames: number;
  keyframes: number;
  bytes: number;
  first: number;
  last: number;
}

function isoTime(f: DhFrame): string {
  const d = new Date(f.time);
  if (Number.isNaN(d.getTime())) return '';
  const s = d.toISOString();
  // DHAV dates are the camera's local time without a zone: no 'Z'.
  return f.format === 'dhav' ? s.slice(0, -1) : s;
}

function frameJson(f: DhFrame): string {
  return JSON.stringify({
    format: f.format,
    kind: f.kind,
    codec: f.codec,
    channel: f.channel,
    sequence: f.sequence,
    time: isoTime(f),
    timestamp: f.timestamp,
    keyframe: f.keyframe,
    width: f.width,
    height: f.height,
    ...(f.kind === 'audio' ? { sampleRate: f.sampleRate, channels: f.channels } : {}),
    size: f.payload.length,
    checksumOk: f.checksumOk,
    offset: f.offset,
    pieces: f.pieces,
    meta: f.meta,
  });
}

function eventJson(e: DhEvent): string {
  if ('error' in e) return JSON.stringify({ event: e.type, ...(e.type === 'resync' ? { skipped: e.skipped } : {}), code: e.error.code, offset: e.error.offset, message: e.error.message });
  const { type, ...rest } = e;
  return JSON.stringify({ event: type, ...rest });
}

function eventLine(e: DhEvent): string {
  if ('error' in e) return e.error.message;
  if (e.type === 'preamble') return `preamble streamId=${e.streamId} at byte ${e.offset}`;
  if (e.type === 'file-header') return `DAHUA file header (${e.length} bytes) at byte ${e.offset}`;
  return `${e.length} bytes of 0xFF padding at byte ${e.offset}`;
}

function statsLine(s: DhStats): string {
  return (
    `frames: video ${s.frames.video}, audio ${s.frames.audio}, aux ${s.frames.aux}; bytes ${s.bytes} (payload ${s.payloadBytes}); ` +
    `resyncs ${s.resyncs}; skipped bytes ${s.skippedBytes}; padding ${s.paddingBytes}; checksum mismatches ${s.checksumMismatches}; errors ${s.errors}`
  );
}

const MAX_EVENT_LINES = 20;

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`camstream demux: ${e.message} (try camstream demux --help)\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  const { json } = args;
  let out = '';
  let eventLines = 0;
  const streams = new Map<string, StreamSummary>();
  let videoFd = -1;
  let audioFd = -1;
  let videoChannel = -1;
  let audioChannel = -1;
  try {
    if (args.video !== undefined) videoFd = openSync(args.video, 'w');
    if (args.audio !== undefined) audioFd = openSync(args.audio, 'w');
  } catch (e) {
    io.stderr.write(`camstream demux: cannot open output: ${(e as Error).message}\n`);
    if (videoFd >= 0) closeSync(videoFd);
    return 1;
  }
  const sink = {
    frame(f: DhFrame): void {
      if (json) out += frameJson(f) + '\n';
      const key = `${f.kind}/${f.channel}`;
      let s = streams.get(key);
      if (!s) {
        s = { kind: f.kind, channel: f.channel, codec: f.codec, width: 0, height: 0, fps: 0, sampleRate: 0, frames: 0, keyframes: 0, bytes: 0, first: f.timestamp, last: f.timestamp };
        streams.set(key, s);
      }
      s.codec = f.codec;
      s.width = f.width;
      s.height = f.height;
      s.fps = f.fps;
      s.sampleRate = f.sampleRate;
      s.frames++;
      if (f.keyframe) s.keyframes++;
      s.bytes += f.payload.length;
      s.last = f.timestamp;
      if (f.kind === 'video' && videoFd >= 0) {
        if (videoChannel < 0) videoChannel = f.channel;
        if (f.channel === videoChannel) writeSync(videoFd, f.payload);
      } else if (f.kind === 'audio' && audioFd >= 0) {
        if (audioChannel < 0) audioChannel = f.channel;
        if (f.channel === audioChannel) writeSync(audioFd, f.payload);
      }
    },
    event(e: DhEvent): void {
      if (json) out += eventJson(e) + '\n';
      else if (eventLines++ < MAX_EVENT_LINES) io.stderr.write(`camstream demux: ${eventLine(e)}\n`);
    },
  };
  // Payloads are written or measured inside frame(): the reused-buffer mode is safe here.
  const demuxer = createDemuxer(sink, { transientPayload: true }, args.format);
  let input: Readable;
  if (args.input === '-') input = io.stdin;
  else input = createReadStream(args.input, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
      demuxer.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
      if (out.length > 0) {
        const text = out;
        out = '';
        await write(io.stdout, text);
      }
    }
    demuxer.end();
  } catch (e) {
    io.stderr.write(`camstream demux: cannot read ${args.input === '-' ? 'stdin' : args.input}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (videoFd >= 0) closeSync(videoFd);
    if (audioFd >= 0) closeSync(audioFd);
  }
  if (!json) {
    for (const s of streams.values()) {
      const what =
        s.kind === 'video'
          ? `${s.codec} ${s.width}x${s.height} ${s.fps} fps`
          : s.kind === 'audio'
            ? `${s.codec} ${s.sampleRate} Hz`
            : s.codec;
      out += `${s.kind} channel ${s.channel}: ${what}; ${s.frames} frames (${s.keyframes} key), ${s.bytes} bytes, ${s.last - s.first} ms\n`;
    }
  }
  if (out.length > 0) await write(io.stdout, out);
  const st = demuxer.stats;
  const fmt = 'detected' in demuxer ? (demuxer.detected ?? 'unknown') : demuxer.format;
  io.stderr.write(`camstream demux: ${fmt}: ${statsLine(st)}\n`);
  if (st.frames.video + st.frames.audio + st.frames.aux === 0) {
    io.stderr.write(`camstream demux: no DH/DHAV frames found in ${args.input === '-' ? 'stdin' : args.input}\n`);
    return 1;
  }
  return 0;
}
