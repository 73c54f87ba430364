/**
 * `camstream record <http url> -o out.h264|out.dav`, called by commands/record.ts for
 * http(s):// URLs: a DH stream over HTTP (the WV-V series HTTP API V2.40 §4.2.2 realmonitor.cgi, §4.2.3 playBack.cgi,
 * §4.11.6 loadfile.cgi). `.dav` (or `.dh`) keeps the raw bytes as received; anything else gets the
 * first video channel's elementary stream (Annex B) through the DH/DHAV demuxer. Progress on a TTY,
 * a summary on stderr; the URL is shown without credentials.
 *
 * An answer that is not DH/DHAV (the camera's `Error ... Invalid Request!`, a JPEG, an MJPEG stream)
 * or that ends without one video frame is an error: a message, no output file left behind, exit 1.
 * A playback or download URL with `startTime=` and `endTime=` has a known length: the progress line
 * then shows how much of it was recorded, from the frames' own clock.
 */
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { CameraHttp } from '../../client/camera-http.js';
import { parseHttpUrl } from '../../http/url.js';
import { ProtocolError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { ProgressLine, formatStats } from '../progress.js';

export interface RecordHttpOptions {
  out: string;
  durationS?: number;
  /** Stop after this many video frames. */
  frames?: number;
  signal?: AbortSignal;
}

function writeAll(ws: WriteStream, b: Uint8Array): Promise<void> | undefined {
  if (ws.write(b)) return undefined;
  return new Promise((resolve) => ws.once('drain', resolve));
}

/** The WV-V series HTTP API V2.40 time `yyyy-mm-dd hh:mm:ss` (also `_` or `%20` between date and time) as a clock-free ms count. */
function cameraTimeMs(s: string | null): number | undefined {
  if (s === null) return undefined;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[ _T](\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/**
 * Length in seconds of a recording URL (playBack.cgi §4.2.3, loadfile.cgi §4.11.6: `startTime` and
 * `endTime`), undefined for a live stream or times it cannot read.
 */
export function knownDurationS(url: string): number | undefined {
  let q: URLSearchParams;
  try {
    q = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  const start = cameraTimeMs(q.get('startTime') ?? q.get('starttime'));
  const end = cameraTimeMs(q.get('endTime') ?? q.get('endtime'));
  if (start === undefined || end === undefined || end <= start) return undefined;
  return (end - start) / 1000;
}

/** Records; resolves with the exit code (0, or 1 after printing the error). */
export async function recordHttp(url: string, opts: RecordHttpOptions, io: CliIo): Promise<number> {
  if (/\.(mp4|mov)$/i.test(opts.out)) {
    const { recordHttpMp4 } = await import('./record-mp4.js');
    return recordHttpMp4(url, opts, io);
  }
  const safe = parseHttpUrl(url).safe;
  const raw = /\.(dav|dh)$/i.test(opts.out);
  const err = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const progress = new ProgressLine(err, `record ${safe}`);
  const total = knownDurationS(url);
  const t0 = Date.now();
  let lastDraw = 0;
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  opts.signal?.addEventListener('abort', onSigint, { once: true });
  const stats = { frames: 0, bytes: 0, losses: 0, keyframes: 0 };
  let ws: WriteStream | undefined;
  const out = (): WriteStream => (ws ??= createWriteStream(opts.out));
  let videoChannel: number | undefined;
  let firstTime: number | undefined;
  let covered = 0;
  let timer: NodeJS.Timeout | undefined;
  let wait: Promise<void> | undefined;
  const cam = new CameraHttp(url, { signal: ac.signal });
  const draw = (): void => {
    if (total === undefined) return progress.update(stats);
    const now = Date.now();
    if (!err.isTTY || now - lastDraw < 250) return;
    lastDraw = now;
    const pct = Math.min(100, (covered / total) * 100);
    err.write(`\r\x1b[Krecord ${safe} ${pct.toFixed(0)}% (${covered.toFixed(1)} of ${total.toFixed(1)} s) ${formatStats(stats, (now - t0) / 1000)}`);
  };
  try {
    const s = await cam.dh(url, {
      onEvent: (e) => (e.type === 'resync' || e.type === 'error' ? stats.losses++ : undefined),
      onBody: raw
        ? (chunk) => {
            stats.bytes += chunk.length;
            wait = writeAll(out(), chunk) ?? wait;
          }
        : undefined,
    });
    if (opts.durationS !== undefined) timer = setTimeout(() => s.close(), opts.durationS * 1000);
    for await (const f of s) {
      if (f.kind === 'video') {
        videoChannel ??= f.channel;
        if (f.channel === videoChannel && (raw || stats.frames > 0 || f.keyframe)) {
          if (opts.frames !== undefined && stats.frames >= opts.frames) break;
          stats.frames++;
          if (f.keyframe) stats.keyframes++;
          firstTime ??= f.time;
          covered = (f.time - firstTime) / 1000;
          if (!raw) {
            stats.bytes += f.payload.length;
            wait = writeAll(out(), f.payload) ?? wait;
          }
        }
      }
      if (wait) {
        await wait;
        wait = undefined;
      }
      draw();
    }
    s.close();
    if (stats.frames === 0 && !ac.signal.aborted) {
      throw new ProtocolError('HTTP_BAD_RESPONSE', raw ? 'the answer held no video frame' : 'the answer held no decodable video frame (no keyframe)', { context: { url: safe } });
    }
  } catch (e) {
    if (!(e instanceof ProtocolError && e.code === 'ABORTED')) {
      if (total !== undefined && lastDraw > 0) err.write('\r\x1b[K');
      io.stderr.write(`camstream record: ${e instanceof Error ? e.message : String(e)}\n`);
      if (ws) {
        await new Promise<void>((r) => ws!.end(r));
        if (stats.frames === 0) rmSync(opts.out, { force: true }); // nothing usable: leave no file behind
      }
      return 1;
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSigint);
    opts.signal?.removeEventListener('abort', onSigint);
  }
  if (ws) await new Promise<void>((r) => ws!.end(r));
  if (total !== undefined && lastDraw > 0) err.write('\r\x1b[K');
  const of = total !== undefined ? ` (${covered.toFixed(1)} of ${total.toFixed(1)} s of the recording)` : '';
  progress.finish(stats, `-> ${opts.out}${of}`);
  return 0;
}
