/**
 * `camstream record <http url> -o out.h264|out.dav`, called by commands/record.ts for
 * http(s):// URLs: a DH stream over HTTP (the WV-V series HTTP API V2.40 §4.2.2 realmonitor.cgi, §4.2.3 playBack.cgi,
 * §4.11.6 loadfile.cgi). `.dav` (or `.dh`) keeps the raw bytes as received; anything else gets the
 * first video channel's elementary stream (Annex B) through the DH/DHAV demuxer. Progress on a TTY,
 * a summary on stderr; the URL is shown without credentials.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { httpRequest, expectOk } from '../../client/http-client.js';
import { parseHttpUrl } from '../../http/url.js';
import { createDemuxer } from '../../dh/sniff.js';
import type { DhFrame } from '../../dh/types.js';
import { ProtocolError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { ProgressLine } from '../progress.js';

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

/** Records; resolves with the exit code (0, or 1 after printing the error). */
export async function recordHttp(url: string, opts: RecordHttpOptions, io: CliIo): Promise<number> {
  if (/\.(mp4|mov)$/i.test(opts.out)) {
    const { recordHttpMp4 } = await import('./record-mp4.js');
    return recordHttpMp4(url, opts, io);
  }
  const safe = parseHttpUrl(url).safe;
  const raw = /\.(dav|dh)$/i.test(opts.out);
  const progress = new ProgressLine(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }, `record ${safe}`);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  opts.signal?.addEventListener('abort', onSigint, { once: true });
  const ws = createWriteStream(opts.out);
  const stats = { frames: 0, bytes: 0, losses: 0, keyframes: 0 };
  let videoChannel: number | undefined;
  let stop = false;
  const pending: DhFrame[] = [];
  const demux = createDemuxer({ frame: (f) => pending.push(f), event: (e) => (e.type === 'resync' || e.type === 'error' ? stats.losses++ : undefined) });
  let timer: NodeJS.Timeout | undefined;
  try {
    const res = await expectOk(await httpRequest(url, { signal: ac.signal }));
    if (opts.durationS !== undefined) timer = setTimeout(() => res.close(), opts.durationS * 1000);
    for await (const chunk of res.body) {
      demux.push(chunk);
      let wait: Promise<void> | undefined;
      if (raw) {
        stats.bytes += chunk.length;
        wait = writeAll(ws, chunk);
      }
      for (const f of pending) {
        if (f.kind !== 'video') continue;
        videoChannel ??= f.channel;
        if (f.channel !== videoChannel) continue;
        if (!raw && stats.frames === 0 && !f.keyframe) continue; // start decodable
        if (opts.frames !== undefined && stats.frames >= opts.frames) {
          stop = true;
          break;
        }
        stats.frames++;
        if (f.keyframe) stats.keyframes++;
        if (!raw) {
          stats.bytes += f.payload.length;
          wait = writeAll(ws, f.payload) ?? wait;
        }
      }
      pending.length = 0;
      if (wait) await wait;
      progress.update(stats);
      if (stop) break;
    }
    res.close();
  } catch (e) {
    if (!(e instanceof ProtocolError && e.code === 'ABORTED')) {
      io.stderr.write(`camstream record: ${e instanceof Error ? e.message : String(e)}\n`);
      await new Promise<void>((r) => ws.end(r));
      return 1;
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSigint);
    opts.signal?.removeEventListener('abort', onSigint);
  }
  await new Promise<void>((r) => ws.end(r));
  progress.finish(stats, `-> ${opts.out}`);
  return 0;
}
