/**
 * The file driver of the sans-IO `Mp4Writer`: writes its chunks to a file in order (positional
 * writes, so the close-time `mehd` patch lands where it belongs), and on close with `faststart`
 * turns the fragmented file into a plain MP4 (moov first) by writing the plan's head and copying
 * its byte ranges with one reused 1 MiB buffer.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Mp4Writer, type Mp4Chunk, type Mp4Sample, type Mp4WriterOptions, type Mp4WriterStats } from './writer.js';
import type { ProtocolError } from '../errors.js';

export interface Mp4FileOptions extends Mp4WriterOptions {
  /** Rewrite the file on close as a plain MP4 with moov at the front (needs one extra pass over the file). */
  faststart?: boolean;
  /** Samples the writer reported and dropped. */
  onError?: (error: ProtocolError) => void;
}

export interface Mp4FileResult {
  path: string;
  bytes: number;
  stats: Mp4WriterStats;
}

export class Mp4FileWriter {
  readonly writer: Mp4Writer;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;
  private queued = 0;

  private constructor(
    readonly path: string,
    private readonly target: string,
    private readonly fh: FileHandle,
    private readonly opts: Mp4FileOptions,
  ) {
    this.writer = new Mp4Writer(opts.faststart ? { ...opts, sampleTables: true } : opts, {
      onChunk: (c) => this.write(c),
      onError: (e) => opts.onError?.(e),
    });
  }

  /** Creates (truncates) `path`; with `faststart` the fragmented file is `path + '.part'` until close. */
  static async create(path: string, opts: Mp4FileOptions): Promise<Mp4FileWriter> {
    const target = opts.faststart ? `${path}.part` : path;
    const fh = await open(target, opts.faststart ? 'w+' : 'w');
    return new Mp4FileWriter(path, target, fh, opts);
  }

  /** Bytes handed to the file system and not yet written (for back-pressure). */
  get pendingBytes(): number {
    return this.queued;
  }

  push(track: number, sample: Mp4Sample): void {
    if (this.failure) throw this.failure;
    this.writer.push(track, sample);
  }

  /** Resolves when every chunk so far is written. */
  drain(): Promise<void> {
    return this.queue.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  private write(c: Mp4Chunk): void {
    this.queued += c.data.length;
    this.queue = this.queue.then(async () => {
      if (this.failure) return;
      try {
        await this.fh.write(c.data, 0, c.data.length, c.offset);
      } catch (e) {
        this.failure = e;
      }
      this.queued -= c.data.length;
    });
  }

  /** Ends the recording: last fragment, mfra, patches; then the faststart rewrite when asked. */
  async close(): Promise<Mp4FileResult> {
    this.writer.close();
    await this.queue;
    if (this.failure) {
      await this.fh.close().catch(() => undefined);
      throw this.failure;
    }
    if (!this.opts.faststart) {
      await this.fh.close();
      return { path: this.path, bytes: this.writer.size, stats: this.writer.stats };
    }
    const plan = this.writer.faststart();
    const tmp = `${this.path}.faststart`;
    const out = await open(tmp, 'w');
    let bytes = 0;
    try {
      await out.write(plan.head, 0, plan.head.length, 0);
      bytes = plan.head.length;
      const buf = new Uint8Array(1 << 20);
      for (const r of plan.ranges) {
        for (let done = 0; done < r.length; ) {
          const n = Math.min(buf.length, r.length - done);
          const { bytesRead } = await this.fh.read(buf, 0, n, r.offset + done);
          if (bytesRead !== n) throw new Error(`${this.target}: short read at ${r.offset + done}`);
          await out.write(buf, 0, n, bytes);
          bytes += n;
          done += n;
        }
      }
    } finally {
      await out.close();
      await this.fh.close();
    }
    await rename(tmp, this.path);
    await unlink(this.target);
    return { path: this.path, bytes, stats: this.writer.stats };
  }
}
