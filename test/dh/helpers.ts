import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../../src/dh/dhav-demuxer.js';
import { AutoDemuxer } from '../../src/dh/sniff.js';
import type { DhDemuxerOptions, DhEvent, DhFrame, DhStats } from '../../src/dh/types.js';

export interface Collected {
  frames: DhFrame[];
  events: DhEvent[];
  stats: DhStats;
}

export function demux(kind: 'dh' | 'dhav' | 'auto', chunks: Uint8Array[], options: DhDemuxerOptions = {}): Collected {
  const frames: DhFrame[] = [];
  const events: DhEvent[] = [];
  const sink = { frame: (f: DhFrame) => frames.push(f), event: (e: DhEvent) => events.push(e) };
  const d = kind === 'dh' ? new DhDemuxer(sink, options) : kind === 'dhav' ? new DhavDemuxer(sink, options) : new AutoDemuxer(sink, options);
  for (const c of chunks) d.push(c);
  d.end();
  return { frames, events, stats: d.stats };
}

/** A comparable digest of frames (payload as hex) for chunking-invariance checks. */
export function digest(c: Collected): unknown {
  return {
    frames: c.frames.map((f) => ({ ...f, payload: Buffer.from(f.payload).toString('hex') })),
    events: c.events.map((e) => ('error' in e ? { ...e, error: e.error.code + '@' + e.error.offset } : e)),
    stats: c.stats,
  };
}

export function errorCodes(c: Collected): string[] {
  return c.events.flatMap((e) => ('error' in e ? [e.error.code] : []));
}
