/**
 * Tells DH, DHAV, a DAHUA file and a `streamId=` playback preamble apart from the first bytes, and an
 * auto demuxer that sniffs, then delegates to `DhDemuxer` or `DhavDemuxer`.
 */
import { ByteQueue } from '../bytes/byte-queue.js';
import { DhDemuxer } from './dh-demuxer.js';
import { DhavDemuxer } from './dhav-demuxer.js';
import { newStats } from './demux-base.js';
import type { DhDemuxerOptions, DhFormat, DhSink, DhStats } from './types.js';

export type SniffResult = 'dh' | 'dhav' | 'dahua-file' | 'streamid-preamble' | 'unknown';

function startsWith(b: Uint8Array, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

function isDhType(t: number | undefined): boolean {
  return t === 0x10 || t === 0x20 || t === 0x21;
}

/** Looks only at the start of `bytes`; 'unknown' also when too few bytes are given to tell. */
export function sniff(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, 0, 'DAHUA')) return 'dahua-file';
  if (startsWith(bytes, 0, 'streamId=')) return 'streamid-preamble';
  if (startsWith(bytes, 0, 'DHAV')) return 'dhav';
  if (startsWith(bytes, 0, 'DH') && isDhType(bytes[2])) return 'dh';
  return 'unknown';
}

function sniffHead(q: ByteQueue): SniffResult {
  const b = Buffer.allocUnsafe(Math.min(q.length, 16));
  q.copyTo(b, 0, 0, b.length);
  return sniff(b);
}

/** How many bytes the auto demuxer holds while looking for the format before settling on DH. */
const SNIFF_LIMIT = 1024 * 1024;
const DH = Buffer.from('DH', 'latin1');

/**
 * Sniffs the stream (skipping a `streamId=` preamble, a DAHUA header and garbage), then replays the
 * held bytes into the right demuxer. Holds at most `SNIFF_LIMIT` bytes meanwhile (by reference, small
 * chunks coalesced), and the search resumes where it stopped: linear in bytes whatever the chunking.
 */
export class AutoDemuxer {
  readonly format = 'auto' as const;
  private readonly q = new ByteQueue();
  private searchFrom = 0;
  private inner: DhDemuxer | DhavDemuxer | undefined;
  private readonly sink: DhSink;
  private readonly options: DhDemuxerOptions;
  private readonly pendingStats: DhStats = newStats();

  constructor(sink: DhSink, options: DhDemuxerOptions = {}) {
    this.sink = sink;
    this.options = options;
  }

  /** The detected format, undefined until decided. */
  get detected(): DhFormat | undefined {
    return this.inner?.format;
  }

  /** See `DhDemuxer.heldFrom`; 0 while sniffing (every chunk is held for the replay). */
  get heldFrom(): number {
    return this.inner ? this.inner.heldFrom : 0;
  }

  get stats(): DhStats {
    return this.inner ? this.inner.stats : this.pendingStats;
  }

  push(chunk: Uint8Array): void {
    if (this.inner) return this.inner.push(chunk);
    if (chunk.length === 0) return;
    this.q.push(chunk);
    this.pendingStats.bytes += chunk.length;
    const f = this.decide(false);
    if (f) this.start(f);
  }

  end(): void {
    if (!this.inner) this.start(this.decide(true) ?? 'dh');
    this.inner!.end();
  }

  private start(f: DhFormat): void {
    const d = f === 'dh' ? new DhDemuxer(this.sink, this.options) : new DhavDemuxer(this.sink, this.options);
    this.inner = d;
    // Replay what the queue holds (the pushed chunks, small ones coalesced into blocks).
    const q = this.q;
    for (let k = 0, n = q.chunkCount; k < n; k++) d.push(q.chunkAt(k));
    q.clear();
  }

  private decide(ending: boolean): DhFormat | undefined {
    const q = this.q;
    const n = q.length;
    // "DAHUA" files carry DHAV (the header is skipped by the DHAV demuxer).
    const head = q.contiguousAt(0, 5);
    if (head.length === 5 ? startsWith(head, 0, 'DAHUA') : n >= 5 && sniffHead(q) === 'dahua-file') return 'dhav';
    for (;;) {
      const i = q.indexOf(DH, this.searchFrom);
      if (i < 0) break;
      if (i + 4 > n) return ending ? 'dh' : undefined;
      if (q.byteAt(i + 2) === 0x41 /* 'A' */ && q.byteAt(i + 3) === 0x56 /* 'V' */) return 'dhav';
      if (isDhType(q.byteAt(i + 2))) {
        if (i + 24 > n) return ending ? 'dh' : undefined;
        // A DH candidate needs a sane length too: packet length >= 24 + extend length.
        if (q.u32le(i + 4) >= 24 + q.u16le(i + 10)) return 'dh';
      }
      this.searchFrom = i + 1;
    }
    this.searchFrom = Math.max(this.searchFrom, n - 3, 0);
    if (ending || n >= SNIFF_LIMIT) return 'dh';
    return undefined;
  }
}

/** Auto-detecting demuxer (DH or DHAV, with or without preamble / file header). */
export function createDemuxer(sink: DhSink, options: DhDemuxerOptions = {}, format: DhFormat | 'auto' = 'auto'): DhDemuxer | DhavDemuxer | AutoDemuxer {
  if (format === 'dh') return new DhDemuxer(sink, options);
  if (format === 'dhav') return new DhavDemuxer(sink, options);
  return new AutoDemuxer(sink, options);
}
