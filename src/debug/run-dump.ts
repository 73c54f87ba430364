/**
 * The driver behind `camstream dump`: connects a DumpTap (and optionally a capture file) to a live RTSP
 * or HTTP session, or plays a capture file into it, and stops on `--duration` / `--count` / abort. The
 * printing is the caller's (`onRecord`).
 */
import { readFileSync } from 'node:fs';
import { RtspClient } from '../client/rtsp-client.js';
import { httpRequest } from '../client/http-client.js';
import { parseRtspUrl } from '../rtsp/url.js';
import { parseHttpUrl } from '../http/url.js';
import { openCaptureFile, type CaptureFile } from '../capture/file.js';
import { teeTap } from '../capture/tee.js';
import { captureEvents } from '../capture/read.js';
import { DumpTap, type DumpOptions } from './dump-tap.js';
import type { DumpRecord } from './records.js';
import type { TransportMode } from '../client/transport-select.js';

export interface RunDumpOptions extends DumpOptions {
  /** Stop after this long (ms): wall clock live, capture clock for files. */
  durationMs?: number;
  /** Stop after this many media records (RTP packets, multipart parts, DH frames). */
  count?: number;
  /** Also write a pcapng capture here (live only). */
  capture?: string;
  signal?: AbortSignal;
  requestTimeoutMs?: number;
  /** Live RTSP: how media travels (default 'tcp': every RTP/RTCP byte on the control connection). */
  transport?: TransportMode;
  /** Output backpressure: a promise to wait on before reading more (live sessions pause their socket meanwhile). */
  waitWritable?: () => Promise<void> | undefined;
}

const MEDIA = new Set<DumpRecord['type']>(['rtp', 'part', 'dh']);
const MEDIA_OR_FRAME = new Set<DumpRecord['type']>(['rtp', 'rtcp', 'part', 'dh', 'frame', 'loss', 'reorder', 'duplicate']);

/** Resolves when the session (or file) is done; rejects with the session's error. */
export async function runDump(source: string, onRecord: (r: DumpRecord) => void, o: RunDumpOptions = {}): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let media = 0;
  let first: number | undefined;
  const sink = (r: DumpRecord): void => {
    // Once stopped, media lines end; the TEARDOWN exchange and the close are still shown.
    if (stop.signal.aborted && (MEDIA_OR_FRAME.has(r.type) || o.signal?.aborted)) return;
    first ??= r.t;
    if (o.durationMs !== undefined && r.t - first > o.durationMs && MEDIA_OR_FRAME.has(r.type)) {
      stop.abort();
      return;
    }
    onRecord(r);
    if (MEDIA.has(r.type) && o.count !== undefined && ++media >= o.count) stop.abort();
  };
  const dump = new DumpTap(sink, o);
  try {
    if (/^rtsps?:\/\//i.test(source)) await live(source, dump, o, stop, 'rtsp');
    else if (/^https?:\/\//i.test(source)) await live(source, dump, o, stop, 'http');
    else {
      const events = captureEvents(readFileSync(source));
      for (const e of events) {
        if (stop.signal.aborted) break;
        if (e.type === 'open') dump.open(e.connection, e.timeMs);
        else if (e.type === 'data') dump.data(e.id, e.direction, e.bytes, e.timeMs);
        else if (e.type === 'close') dump.close(e.id, e.timeMs);
        else if (e.type === 'gap') sink({ type: 'warning', t: e.timeMs, conn: e.id, dir: e.direction, code: 'CAPTURE_GAP', message: `${e.bytes} bytes missing from the capture`, offset: 0 });
      }
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

async function live(url: string, dump: DumpTap, o: RunDumpOptions, stop: AbortController, kind: 'rtsp' | 'http'): Promise<void> {
  let cap: CaptureFile | undefined;
  if (o.capture) {
    const u = kind === 'rtsp' ? parseRtspUrl(url) : parseHttpUrl(url);
    cap = openCaptureFile(o.capture, { username: u.username, password: u.password });
  }
  const tap = teeTap(dump, cap?.tap)!;
  const timer = o.durationMs !== undefined ? setTimeout(() => stop.abort(), o.durationMs) : undefined;
  try {
    if (kind === 'rtsp') {
      // TCP interleaved by default: every RTP/RTCP byte on the control connection. Over UDP the tap
      // shows each socket's datagrams as connections of their own.
      const client = new RtspClient(url, { tap, requestTimeoutMs: o.requestTimeoutMs, transport: o.transport ?? 'tcp' });
      const onStop = (): void => void client.close();
      stop.signal.addEventListener('abort', onStop, { once: true });
      try {
        await client.start();
        // Frames are decoded by the session; dump shows the wire (and --frames re-derives them from it).
        for await (const _ of client.frames()) {
          if (stop.signal.aborted) break;
          const w = o.waitWritable?.();
          if (w) await w;
        }
      } finally {
        stop.signal.removeEventListener('abort', onStop);
        await client.close();
      }
    } else {
      const res = await httpRequest(url, { tap, signal: stop.signal, connectTimeoutMs: o.requestTimeoutMs }).catch((e: unknown) => {
        if (stop.signal.aborted) return undefined;
        throw e;
      });
      if (res) {
        try {
          for await (const _ of res.body) {
            if (stop.signal.aborted) break;
            const w = o.waitWritable?.();
            if (w) await w;
          }
        } catch (e) {
          if (!stop.signal.aborted) throw e;
        }
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    cap?.close();
  }
}
