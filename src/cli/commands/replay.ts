/**
 * `camstream replay <capture.pcapng> [-o OUT] [--json] [--frames N]`: the captured server side fed
 * through the same RtspSession, parser and depacketizers as a live session, on the captured clock, with
 * no network (src/capture/replay.ts). Prints the frames, warnings and the end of the session; `-o` writes
 * what `camstream record -o` wrote live (the first video track from its first keyframe, Annex B).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { captureEvents } from '../../capture/read.js';
import { replayCapture } from '../../capture/replay.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';

export const summary = 'replay a pcapng capture of an RTSP session through the client code, offline: same frames and warnings';

const HELP = `usage: camstream replay <capture.pcapng> [-o OUT] [--json] [--frames N]

  -o, --out OUT   write the first video track from its first keyframe (Annex B), as \`record -o\` did live
  --frames N      stop delivering after N frames (as \`record --frames N\` did)
  --json          one JSON object per line: frames (with sha256), warnings, the end
Captures come from \`--capture FILE\` on record/probe/dump, or tcpdump/Wireshark (RTP over TCP).
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--json'], options: ['--out', '--frames'], aliases: { '-o': '--out' } });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const file = a.positionals[0];
  if (!file || a.positionals.length > 1) throw new UsageError('replay takes one capture file (see --help)');
  const json = a.flags.has('--json');
  const outPath = a.options.get('--out');
  const maxFrames = numberOption(a, '--frames');
  const lines: string[] = [];
  const fd = outPath ? openSync(outPath, 'w') : undefined;
  let videoTrack: number | undefined;
  let started = false;
  let recorded = 0;
  try {
    const r = await replayCapture(captureEvents(readFileSync(file)), {
      maxFrames,
      onFrame: (f) => {
        const sha256 = createHash('sha256').update(f.data).digest('hex');
        lines.push(
          json
            ? JSON.stringify({ type: 'frame', track: f.track, codec: f.codec, ts: f.timestamp, size: f.data.length, keyframe: f.keyframe, discontinuity: f.discontinuity ?? false, sha256 })
            : `frame track${f.track} ${f.codec} ts=${f.timestamp} size=${f.data.length}${f.keyframe ? ' key' : ''}${f.discontinuity ? ' discontinuity' : ''} sha256=${sha256.slice(0, 16)}`,
        );
        if (fd === undefined || f.mediaType !== 'video') return;
        videoTrack ??= f.track;
        if (f.track !== videoTrack) return;
        // As record does: a recording starts at a keyframe.
        if (!started && !f.keyframe) return;
        started = true;
        recorded++;
        for (let at = 0; at < f.data.length; ) at += writeSync(fd, f.data, at, f.data.length - at);
      },
      onWarning: (w) => lines.push(json ? JSON.stringify({ type: 'warning', code: w.code, message: w.message, offset: w.offset }) : `warning ${w.code}: ${w.message}`),
    });
    lines.push(
      json
        ? JSON.stringify({ type: 'end', url: r.url, tracks: r.tracks, frames: r.frames, warnings: r.warnings.length, reason: r.endReason, error: r.error ? { code: r.error.code, message: r.error.message } : null, ...(outPath ? { recorded } : {}) })
        : `end: ${r.endReason}${r.error ? ` (${r.error.message})` : ''}; ${r.frames} frames, ${r.warnings.length} warnings from ${r.url}${outPath ? `; ${recorded} frames -> ${outPath}` : ''}`,
    );
    await write(io.stdout, lines.join('\n') + '\n');
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
