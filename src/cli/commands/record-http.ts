/**
 * `camstream record <http url> -o out.h264|out.dav`, called by commands/record.ts for
 * http(s):// URLs: a DH stream over HTTP (the WV-V series HTTP API V2.40 §4.2.2 realmonitor.cgi, §4.2.3 playBack.cgi,
 * §4.11.6 loadfile.cgi). `raw` (.dav/.dh) keeps the bytes as received; `annexb` gets the first video
 * channel's elementary stream through the DH/DHAV demuxer. Ends and reports like the RTSP recorder
 * (record-summary.ts); the URL is shown without credentials.
 *
 * An answer that is not DH/DHAV (the camera's `Error ... Invalid Request!`, a JPEG, an MJPEG stream)
 * or that ends without one video frame is an error: a message, no output file left behind, exit 1.
 * A playback or download URL with `startTime=` and `endTime=` has a known length: the progress line
 * and the summary then show how much of it was recorded, from the frames' own clock.
 */
import { CameraHttp } from '../../client/camera-http.js';
import { ProtocolError } from '../../errors.js';
import { redactUrl } from '../../rtsp/url.js';
import type { CliIo } from '../io.js';
import type { OutputKind, RecordOutput } from '../output.js';
import { ProgressLine } from '../progress.js';
import { finishSummary, newSummary, summaryLine, type RecordEnd, type RecordSummary } from '../record-summary.js';
import { httpHeadTap } from '../verbose.js';

export interface RecordHttpOptions {
  out: RecordOutput;
  format: OutputKind;
  durationS?: number;
  /** Stop after this many video frames. */
  frames?: number;
  timeoutS?: number;
  verbose?: boolean;
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

function endOf(e: unknown): RecordEnd {
  if (e instanceof ProtocolError) {
    if (e.code === 'TIMEOUT') return 'timeout';
    if (e.code === 'CONNECTION_CLOSED') return 'server-closed';
  }
  return 'error';
}

/** Records; never throws for what the camera or network does: the summary says how it ended. */
export async function recordHttp(url: string, opts: RecordHttpOptions, io: CliIo): Promise<RecordSummary> {
  const raw = opts.format === 'raw';
  const s = newSummary(redactUrl(url), opts.out.path, opts.format, new Date());
  const total = knownDurationS(url);
  const progress = new ProgressLine(io.stderr, `recording ${s.url}`);
  const ac = new AbortController();
  let end: RecordEnd | undefined;
  let error: unknown;
  let close: (() => void) | undefined;
  const stop = (why: RecordEnd): void => {
    end ??= why;
    close?.();
    ac.abort();
  };
  const onAbort = (): void => stop(io.signal?.reason === 'output-closed' ? 'output-closed' : 'signal');
  if (io.signal?.aborted) onAbort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  let videoChannel: number | undefined;
  let firstTime: number | undefined;
  let covered = 0;
  let timer: NodeJS.Timeout | undefined;
  let wait: Promise<void> | undefined;
  const t = opts.timeoutS !== undefined ? opts.timeoutS * 1000 : undefined;
  const cam = new CameraHttp(url, {
    signal: ac.signal,
    ...(t !== undefined ? { connectTimeoutMs: t, idleTimeoutMs: t, headTimeoutMs: t } : {}),
    ...(opts.verbose ? { tap: httpHeadTap(io.stderr) } : {}),
  });
  try {
    const stream = await cam.dh(url, {
      onEvent: (e) => (e.type === 'resync' || e.type === 'error' ? s.losses.resyncs++ : undefined),
      onBody: raw ? (chunk) => void (wait = opts.out.write(chunk) ?? wait) : undefined,
    });
    close = () => stream.close();
    if (end !== undefined) stream.close();
    if (opts.durationS !== undefined) timer = setTimeout(() => stop('duration'), opts.durationS * 1000);
    for await (const f of stream) {
      if (f.kind === 'video') {
        videoChannel ??= f.channel;
        if (f.channel === videoChannel && (raw || s.frames > 0 || f.keyframe)) {
          if (opts.frames !== undefined && s.frames >= opts.frames) {
            end ??= 'frames';
            break;
          }
          if (s.codec === '') s.codec = f.codec;
          if (f.width) {
            s.width = f.width;
            s.height = f.height;
          }
          s.frames++;
          if (f.keyframe) s.keyframes++;
          firstTime ??= f.time;
          covered = (f.time - firstTime) / 1000;
          if (!raw) wait = opts.out.write(f.payload) ?? wait;
        }
      }
      if (wait) {
        await wait;
        wait = undefined;
      }
      s.bytes = opts.out.bytes;
      const note = total !== undefined ? `${Math.min(100, (covered / total) * 100).toFixed(0)}%` : '';
      progress.update({ frames: s.frames, bytes: s.bytes, losses: s.losses.resyncs, keyframes: s.keyframes }, note);
    }
    stream.close();
    if (s.frames === 0 && end === undefined) {
      throw new ProtocolError('HTTP_BAD_RESPONSE', raw ? 'the answer held no video frame' : 'the answer held no decodable video frame (no keyframe)', { context: { url: s.url } });
    }
    end ??= 'end-of-stream';
  } catch (e) {
    if (end === undefined) {
      end = endOf(e);
      error = e;
    }
  } finally {
    if (timer) clearTimeout(timer);
    io.signal?.removeEventListener('abort', onAbort);
    await opts.out.close();
  }
  s.bytes = opts.out.bytes;
  if (total !== undefined && s.frames > 0) s.recording = { coveredS: Math.round(covered * 10) / 10, totalS: total };
  finishSummary(s, new Date(), end, error);
  progress.finish({ frames: s.frames, bytes: s.bytes, losses: s.losses.resyncs }, '', false);
  io.stderr.write(summaryLine(s));
  return s;
}
