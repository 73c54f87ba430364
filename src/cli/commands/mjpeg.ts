/**
 * `camstream mjpeg <url> [-o DIR] [--frames N]`: reads a multipart JPEG stream (the WV-V series HTTP API V2.40
 * §4.2.1 /cgi-bin/mjpg/video.cgi, the IP Camera Standard API 5.0.0 §5.5.2 :8008) and saves each frame as DIR/frame-000001.jpg.
 * A live progress line on a TTY and a summary on stderr; credentials never printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CameraHttp } from '../../client/camera-http.js';
import { parseHttpUrl, redactHttpUrl } from '../../http/url.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { ProgressLine } from '../progress.js';
import { captureForUrl } from '../../capture/file.js';

export const summary = 'save the JPEG frames of an HTTP MJPEG stream (multipart/x-mixed-replace)';

const HELP = `usage: camstream mjpeg <http url> [-o DIR] [--frames N] [--duration S]

  -o, --out DIR   directory for frame-000001.jpg, ... (default: count frames only)
  --frames N      stop after N frames
  --duration S    stop after S seconds
  -o -            write the JPEGs one after another to stdout (an MJPEG stream ffmpeg/ffplay read with -f mjpeg)
Ctrl-C ends it with the summary. Exit status: 0 done, 1 failed, 2 wrong usage.
  --capture FILE  also write a pcapng capture (passwords removed)
`;

export const handlesSignals = true;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { options: ['--out', '--frames', '--duration', '--capture'], aliases: { '-o': '--out' } });
  if (a.help) return void (await write(io.stdout, HELP)), 0;
  const url = a.positionals[0];
  if (url === undefined || a.positionals.length > 1) throw new UsageError('expected one http(s):// URL');
  const out = a.options.get('--out');
  const maxFrames = numberOption(a, '--frames');
  const durationS = numberOption(a, '--duration');
  const toStdout = out === '-';
  if (out !== undefined && !toStdout) mkdirSync(out, { recursive: true });
  const u = parseHttpUrl(url);
  const cap = captureForUrl(a.options.get('--capture'), url);
  const cam = new CameraHttp(url, { tap: cap?.tap });
  const label = `mjpeg ${redactHttpUrl(url.trim())}`;
  const progress = new ProgressLine(io.stderr, label);
  // The URL's own path is the stream (the IP Camera Standard API 5.0.0's :8008 root, or video.cgi with its query).
  const stream = await cam.mjpeg({ path: u.target });
  const deadline = durationS !== undefined ? Date.now() + durationS * 1000 : Infinity;
  let frames = 0;
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  if (durationS !== undefined) timer = setTimeout(() => stream.close(), durationS * 1000);
  const onStop = (): void => stream.close();
  if (io.signal?.aborted) onStop();
  io.signal?.addEventListener('abort', onStop, { once: true });
  try {
    for await (const f of stream) {
      frames++;
      bytes += f.jpeg.length;
      if (toStdout) await write(io.stdout, f.jpeg);
      else if (out !== undefined) writeFileSync(join(out, `frame-${String(frames).padStart(6, '0')}.jpg`), f.jpeg);
      progress.update({ frames, bytes, losses: stream.stats.dropped });
      if ((maxFrames !== undefined && frames >= maxFrames) || Date.now() >= deadline) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    io.signal?.removeEventListener('abort', onStop);
    stream.close();
    cap?.close();
  }
  progress.finish({ frames, bytes, losses: stream.stats.dropped }, out !== undefined ? `-> ${toStdout ? 'stdout' : out}` : '');
  return 0;
}
