/**
 * A recorder for NVR-style files: frames of several tracks -> `Timeline` (monotonic, repaired,
 * wall-clock anchored) -> `Mp4FileWriter`, optionally cut into wall-clock aligned segments that each
 * start at a video keyframe, named from a strftime-like pattern (`cam1-%Y%m%d-%H%M%S.mp4`; local
 * time, like FFmpeg's segment muxer with `-strftime 1`).
 *
 * Segments: with `segmentSeconds` S, a new file begins at the first video keyframe whose wall clock
 * is at or past the next multiple of S seconds since the Unix epoch (so `--segment 60` gives files
 * that start at each minute). Without video, at the first frame past the boundary.
 */
import { Mp4FileWriter, type Mp4FileResult } from './file.js';
import type { Mp4Container, Mp4TrackConfig } from './writer.js';
import { Timeline, type TimelineOptions } from '../timeline/timeline.js';
import { ProtocolError } from '../errors.js';

export interface RecorderTrack {
  /** The writer's track configuration (codec, parameter sets, AAC config). */
  config: Mp4TrackConfig;
  clockRate: number;
}

export interface RecorderOptions {
  /** Output path, or a pattern with %Y %m %d %H %M %S %% (and %i: the segment number) when segmenting. */
  path: string;
  tracks: RecorderTrack[];
  container?: Mp4Container;
  /** Cut a new file every S seconds of wall clock (aligned), each starting at a keyframe. */
  segmentSeconds?: number;
  faststart?: boolean;
  timeline?: TimelineOptions;
  /** Samples the writer reported and dropped, repairs. */
  onWarning?: (e: ProtocolError) => void;
  /** A segment file was completed. */
  onFile?: (r: Mp4FileResult) => void;
}

export interface RecorderFrame {
  data: Uint8Array;
  nalus?: readonly Uint8Array[];
  keyframe: boolean;
  /** 32-bit RTP timestamp. */
  timestamp: number;
  wallClockMs?: number;
  sampleCount?: number;
}

export interface RecorderSummary {
  files: Mp4FileResult[];
  frames: number;
  /** Frames re-stamped by the timeline (clock jumps, steps back, outliers). */
  repairs: number;
  /** Gaps (reconnects) the timeline was told about. */
  gaps: number;
  /** Frames dropped by the writers (before the first keyframe, non-monotonic, oversize). */
  dropped: number;
  seconds: number;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Expands %Y %m %d %H %M %S %i %% with the local time of `ms` and the segment number. */
export function formatSegmentName(pattern: string, ms: number, index: number): string {
  const d = new Date(ms);
  return pattern.replace(/%([YmdHMSi%])/g, (_, c: string) => {
    switch (c) {
      case 'Y':
        return String(d.getFullYear());
      case 'm':
        return pad(d.getMonth() + 1);
      case 'd':
        return pad(d.getDate());
      case 'H':
        return pad(d.getHours());
      case 'M':
        return pad(d.getMinutes());
      case 'S':
        return pad(d.getSeconds());
      case 'i':
        return pad(index, 3);
      default:
        return '%';
    }
  });
}

export class Mp4Recorder {
  private readonly timeline: Timeline;
  private readonly video: number;
  private current: Mp4FileWriter | undefined;
  private opening: Promise<void> | undefined;
  private boundaryMs = Number.POSITIVE_INFINITY;
  private index = 0;
  private readonly closing: Promise<Mp4FileResult | undefined>[] = [];
  private frames = 0;
  private dropped = 0;
  private firstSec: number | undefined;
  private lastSec = 0;
  private readonly pattern: string;

  constructor(private readonly opts: RecorderOptions) {
    this.timeline = new Timeline(
      opts.tracks.map((t) => ({ clockRate: t.clockRate, kind: t.config.codec === 'h264' || t.config.codec === 'h265' ? ('video' as const) : ('audio' as const) })),
      opts.timeline,
    );
    this.video = opts.tracks.findIndex((t) => t.config.codec === 'h264' || t.config.codec === 'h265');
    let p = opts.path;
    if (opts.segmentSeconds && !/%[YmdHMSi]/.test(p)) {
      const dot = p.lastIndexOf('.');
      p = dot > 0 ? `${p.slice(0, dot)}-%i${p.slice(dot)}` : `${p}-%i`;
    }
    this.pattern = p;
  }

  /** A reconnect happened: the next frames are placed by the wall clock, flagged. */
  gap(): void {
    this.timeline.gap();
  }

  get repairs(): number {
    return this.timeline.stats.repairs;
  }

  /** Feeds one frame; resolves once a segment switch (if any) has its new file open. */
  async push(track: number, f: RecorderFrame, arrivalMs: number): Promise<void> {
    const t = this.opts.tracks[track];
    if (!t) throw new ProtocolError('INVALID_ARGUMENT', `no track ${track}`);
    const out = this.timeline.push(track, { timestamp: f.timestamp, arrivalMs, wallClockMs: f.wallClockMs, sampleCount: f.sampleCount });
    const startsFile = (this.video < 0 || (track === this.video && f.keyframe)) && (!this.current || out.wallClockMs >= this.boundaryMs);
    if (startsFile) await this.rotate(out.wallClockMs);
    if (!this.current) return;
    this.current.push(track, { data: f.data, nalus: f.nalus, keyframe: f.keyframe, time: out.time, duration: f.sampleCount, wallClockMs: out.wallClockMs });
    this.frames++;
    this.firstSec ??= out.seconds;
    this.lastSec = Math.max(this.lastSec, out.seconds);
  }

  private async rotate(wallMs: number): Promise<void> {
    const old = this.current;
    this.current = undefined;
    if (old) this.retire(old);
    const name = this.opts.segmentSeconds ? formatSegmentName(this.pattern, wallMs, this.index) : this.opts.path;
    this.index++;
    const seg = this.opts.segmentSeconds;
    this.boundaryMs = seg ? (Math.floor(wallMs / (seg * 1000)) + 1) * seg * 1000 : Number.POSITIVE_INFINITY;
    this.current = await Mp4FileWriter.create(name, {
      tracks: this.opts.tracks.map((t) => t.config),
      container: this.opts.container,
      faststart: this.opts.faststart,
      creationTimeMs: wallMs,
      onError: (e) => this.opts.onWarning?.(e),
    });
  }

  private retire(w: Mp4FileWriter): void {
    const p = w.close().then(
      (r) => {
        this.dropped += r.stats.droppedSamples + r.stats.droppedBeforeKeyframe;
        this.opts.onFile?.(r);
        return r;
      },
      (e: unknown) => {
        this.opts.onWarning?.(e instanceof ProtocolError ? e : new ProtocolError('INVALID_ARGUMENT', `closing a segment failed: ${(e as Error).message}`, { cause: e }));
        return undefined;
      },
    );
    this.closing.push(p);
  }

  /** Bytes waiting for the disk in the current file (back-pressure for the caller). */
  drain(): Promise<void> {
    return this.current?.drain() ?? Promise.resolve();
  }

  async close(): Promise<RecorderSummary> {
    if (this.current) this.retire(this.current);
    this.current = undefined;
    const files = (await Promise.all(this.closing)).filter((r): r is Mp4FileResult => r !== undefined);
    return { files, frames: this.frames, repairs: this.timeline.stats.repairs, gaps: this.timeline.stats.gaps, dropped: this.dropped, seconds: this.lastSec - (this.firstSec ?? 0) };
  }
}
