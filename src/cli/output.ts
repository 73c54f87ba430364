/**
 * Where `record` writes, chosen by the output's extension. One table: a container writer (MP4, ...)
 * is one more row. An extension no row claims is refused before anything connects, so `-o x.mp4`
 * never silently gets Annex B bytes. `-` is stdout.
 */
import { accessSync, constants, createWriteStream, rmSync, statSync, type WriteStream } from 'node:fs';
import { dirname, extname } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from './args.js';

/** How the recorded bytes are laid out. */
export type OutputKind =
  /** The video track's access units as an Annex B elementary stream (ITU-T H.264/H.265 Annex B). */
  | 'annexb'
  /** The bytes exactly as received (HTTP DH/DHAV streams only). */
  | 'raw'
  /** Fragmented MP4 / QuickTime through the recording timeline (src/cli/commands/record-mp4.ts). */
  | 'mp4'
  /** The AAC track as ADTS (RTSP). */
  | 'adts';

export interface OutputFormat {
  kind: OutputKind;
  /** Extensions (lower case, with the dot) this row writes. */
  extensions: readonly string[];
  /** Which sources can produce it. */
  sources: readonly ('rtsp' | 'http')[];
  description: string;
}

export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  { kind: 'annexb', extensions: ['.h264', '.264', '.h265', '.265', '.hevc'], sources: ['rtsp', 'http'], description: 'Annex B H.264/H.265 elementary stream' },
  { kind: 'raw', extensions: ['.dav', '.dh'], sources: ['http'], description: 'the DH/DHAV bytes as received' },
  { kind: 'mp4', extensions: ['.mp4', '.mov'], sources: ['rtsp', 'http'], description: 'fragmented MP4 / QuickTime (video, and audio the container carries)' },
  { kind: 'adts', extensions: ['.aac'], sources: ['rtsp'], description: 'the AAC track as ADTS' },
];

/** Picks the row for `out` (`-` = stdout, Annex B); throws a UsageError naming what is supported. */
export function chooseOutput(out: string, source: 'rtsp' | 'http'): OutputFormat {
  const usable = OUTPUT_FORMATS.filter((f) => f.sources.includes(source));
  if (out === '-') return usable.find((f) => f.kind === 'annexb')!;
  const ext = extname(out).toLowerCase();
  const row = usable.find((f) => f.extensions.includes(ext));
  if (row) return row;
  const list = usable.flatMap((f) => f.extensions).join(' ');
  throw new UsageError(`cannot write ${ext ? `'${ext}'` : 'a file without an extension'} from ${source === 'rtsp' ? 'an RTSP' : 'an HTTP'} source: the output extension picks the format (${list}, or - for stdout)`);
}

/**
 * The output file, created only when the first bytes come (a recording that fails before any media
 * leaves no empty file behind), or stdout for `-`. Checked early: the folder must exist and be writable.
 */
export class RecordOutput {
  private stream: Writable | undefined;
  private created = false;
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly stdout: Writable,
  ) {
    if (path === '-') return;
    try {
      accessSync(dirname(path) || '.', constants.W_OK);
      if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error('is a directory');
    } catch (e) {
      throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
    }
  }

  get toStdout(): boolean {
    return this.path === '-';
  }

  /** Writes; resolves when the stream wants more (backpressure), undefined when no wait is needed. */
  write(data: Uint8Array): Promise<void> | undefined {
    if (!this.stream) {
      this.stream = this.path === '-' ? this.stdout : createWriteStream(this.path);
      this.created = this.path !== '-';
    }
    if (this.stream.destroyed) return undefined; // stdout's reader left: the command is stopping
    this.bytes += data.length;
    if (this.stream.write(data)) return undefined;
    const s = this.stream;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        s.off('error', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
      s.on('error', done);
    });
  }

  /** Flushes and closes the file (never stdout). With no bytes written, nothing is left on disk. */
  async close(): Promise<void> {
    const s = this.stream;
    if (s && this.created) {
      await new Promise<void>((resolve, reject) => (s as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    if (this.created && this.bytes === 0) rmSync(this.path, { force: true });
  }
}
