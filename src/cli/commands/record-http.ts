/**
 * `camstream record <http url> -o out.h264|out.dav`, called by commands/record.ts for
 * http(s):// URLs: a DH stream over HTTP (the WV-V series HTTP API V2.40 §4.2.2 realmonitor.cgi, §4.2.3 playBack.cgi,
 * §4.11.6 loadfile.cgi). `raw` (.dav/.dh) keeps the bytes as received; `annexb` gets the first video
 * channel's elementary stream through the DH/DHAV demuxer. Ends and reports like the RTSP recorder
 * (record-summary.ts); the URL is shown without credentials.
 */
import { httpRequest, expectOk } from '../../client/http-client.js';
import { createDemuxer } from '../../dh/sniff.js';
import type { DhFrame } from '../../dh/types.js';
import { ProtocolError } from '../../errors.js';
import { redactUrl } from '../../rtsp/url.js';
import type { CliIo } from '../io.js';
import type { OutputKind, RecordOutput } from '../output.js';
import { ProgressLine } from '../progress.js';
import { finishSummary, newSummary, summaryLine, type RecordEnd, type RecordSummary } from '../record-summary.js';
import { verboseHttpRequest, verboseHttpResponse } from '../verbose.js';

export interface RecordHttpOptions {
  out: RecordOutput;
  format: OutputKind;
  durationS?: number;
  /** Stop after this many video frames. */
  frames?: number;
  timeoutS?: number;
  verbose?: boolean;
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
  const pending: DhFrame[] = [];
  const demux = createDemuxer({ frame: (f) => pending.push(f), event: (e) => (e.type === 'resync' || e.type === 'error' ? s.losses.resyncs++ : undefined) });
  let timer: NodeJS.Timeout | undefined;
  const t = opts.timeoutS !== undefined ? opts.timeoutS * 1000 : undefined;
  try {
    if (opts.verbose) verboseHttpRequest(io.stderr, 'GET', url);
    const res = await httpRequest(url, { signal: ac.signal, ...(t !== undefined ? { connectTimeoutMs: t, idleTimeoutMs: t } : {}) });
    if (opts.verbose) verboseHttpResponse(io.stderr, res);
    close = () => res.close();
    if (end !== undefined) res.close();
    await expectOk(res);
    if (opts.durationS !== undefined) timer = setTimeout(() => stop('duration'), opts.durationS * 1000);
    outer: for await (const chunk of res.body) {
      demux.push(chunk);
      let wait: Promise<void> | undefined;
      if (raw) wait = opts.out.write(chunk);
      for (const f of pending) {
        if (f.kind !== 'video') continue;
        videoChannel ??= f.channel;
        if (f.channel !== videoChannel) continue;
        if (!raw && s.frames === 0 && !f.keyframe) continue; // start decodable
        if (s.codec === '') s.codec = f.codec;
        if (f.width) {
          s.width = f.width;
          s.height = f.height;
        }
        s.frames++;
        if (f.keyframe) s.keyframes++;
        if (!raw) wait = opts.out.write(f.payload) ?? wait;
        if (opts.frames !== undefined && s.frames >= opts.frames) {
          pending.length = 0;
          if (wait) await wait;
          end ??= 'frames';
          break outer;
        }
      }
      pending.length = 0;
      if (wait) await wait;
      s.bytes = opts.out.bytes;
      progress.update({ frames: s.frames, bytes: s.bytes, losses: s.losses.resyncs, keyframes: s.keyframes });
    }
    end ??= 'end-of-stream';
    res.close();
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
  finishSummary(s, new Date(), end, error);
  progress.finish({ frames: s.frames, bytes: s.bytes, losses: s.losses.resyncs }, '', false);
  io.stderr.write(summaryLine(s));
  return s;
}
