/**
 * The recording timeline (sans-IO): turns each track's 32-bit RTP timestamps into decode times that
 * start at 0 for the recording, increase strictly per track, keep the tracks in sync, and survive
 * the clocks cameras really send.
 *
 * - Normal frames: time advances by the RTP timestamp difference (RFC 3550 §5.1: the clock is
 *   linear), 32-bit wraps included (the difference is taken modulo 2^32, signed).
 * - Repair: a step that disagrees with the arrival clock by more than `maxJumpMs` (a camera that
 *   jumps its clock by hours, or restarts it at 0), a step far above the track's median interval
 *   that the arrival clock does not confirm, or a step that does not go forward, is re-stamped: the
 *   frame gets previous time + the median interval (+ the arrival delta instead when that is over
 *   two intervals: a pause came with the fault);
 *   it is flagged `discontinuity` and counted in `stats.repairs`. Later frames follow the RTP clock
 *   again from there.
 * - Sync: the first frame of every track, and the first one after `gap()` (a reconnect), is placed
 *   from its wall clock (the RTCP sender report's, else the local arrival clock) relative to an
 *   anchor shared by all tracks, so audio stays within network jitter of video (within a frame
 *   interval on loopback). After a gap the time jumps by the gap: a gap is a gap.
 * - B-frames: on video, a second small step back (at most `reorderFrames` median intervals) within
 *   50 frames is presentation order differing from decode order, which the MP4 writer does not
 *   write: `push` throws `MP4_B_FRAMES` (a single one is repaired like any step back).
 *
 * Time comes in as arguments (`arrivalMs` = the local clock, ms); nothing here reads a clock.
 */
import { ProtocolError } from '../errors.js';

export interface TimelineTrack {
  clockRate: number;
  kind: 'video' | 'audio';
}

export interface TimelineOptions {
  /** A step whose RTP duration and arrival duration differ by more than this is a clock jump (default 3000 ms). */
  maxJumpMs?: number;
  /** A step above this many median intervals that the arrival clock does not confirm is repaired (default 10). */
  outlierFactor?: number;
  /** Intervals kept for the median (default 31). */
  medianWindow?: number;
  /** Video steps back of at most this many median intervals are B-frame reordering (default 4). */
  reorderFrames?: number;
}

export interface TimelineInput {
  /** The frame's 32-bit RTP timestamp. */
  timestamp: number;
  /** Local clock at arrival, ms since the Unix epoch (`Date.now()`): the wall clock until sender reports come. */
  arrivalMs: number;
  /** Wall clock from RTCP sender reports (ms since the Unix epoch), when known. */
  wallClockMs?: number;
  /** Audio: samples in the frame (the interval before a median exists). */
  sampleCount?: number;
}

export interface TimelineOutput {
  /** Decode time in the track's clock (ticks), from 0 at the recording's start. */
  time: number;
  /** The same, in seconds. */
  seconds: number;
  /** Wall clock of the frame: the sender report's when known, else anchored on the local clock. */
  wallClockMs: number;
  /** The frame was re-stamped or follows a gap. */
  discontinuity: boolean;
}

export interface TimelineStats {
  /** Frames re-stamped (clock jumps, outliers, steps back). */
  repairs: number;
  /** `gap()` calls that were followed by a frame (reconnects). */
  gaps: number;
  /** Per track: repairs. */
  trackRepairs: number[];
}

interface TrackState {
  readonly rate: number;
  readonly video: boolean;
  started: boolean;
  lastTs: number;
  lastTime: number;
  lastArrival: number;
  intervals: number[];
  next: number;
  scratch: number[];
  afterGap: boolean;
  frames: number;
  lastSmallBack: number;
}

export class Timeline {
  readonly stats: TimelineStats;
  private readonly tracks: TrackState[];
  private readonly maxJump: number;
  private readonly outlierFactor: number;
  private readonly window: number;
  private readonly reorderFrames: number;
  /** Shared anchor: recording seconds at a wall-clock instant (set by the first frame after start/gap). */
  private anchor: { seconds: number; wall: number } | undefined;
  /** Local clock at the recording's start, to anchor wall clocks before any sender report. */
  private origin: number | undefined;
  private pendingGap = false;

  constructor(tracks: readonly TimelineTrack[], opts: TimelineOptions = {}) {
    this.maxJump = (opts.maxJumpMs ?? 3000) / 1000;
    this.outlierFactor = opts.outlierFactor ?? 10;
    this.window = Math.max(3, opts.medianWindow ?? 31);
    this.reorderFrames = opts.reorderFrames ?? 4;
    this.tracks = tracks.map((t) => {
      if (!(t.clockRate > 0)) throw new ProtocolError('INVALID_ARGUMENT', `clock rate ${t.clockRate}`);
      return { rate: t.clockRate, video: t.kind === 'video', started: false, lastTs: 0, lastTime: 0, lastArrival: 0, intervals: [], next: 0, scratch: [], afterGap: false, frames: 0, lastSmallBack: -Infinity };
    });
    this.stats = { repairs: 0, gaps: 0, trackRepairs: tracks.map(() => 0) };
  }

  /**
   * A gap in the input (reconnect, new session with new RTP bases): every track's next frame is
   * placed from the wall clock again, flagged `discontinuity`.
   */
  gap(): void {
    let any = false;
    for (const t of this.tracks) {
      if (t.started) {
        t.afterGap = true;
        any = true;
      }
    }
    if (any) {
      this.anchor = undefined;
      this.pendingGap = true;
    }
  }

  /** Maps one frame of `track`. Throws `MP4_B_FRAMES` for video whose presentation order differs from decode order. */
  push(track: number, f: TimelineInput): TimelineOutput {
    const t = this.tracks[track];
    if (!t) throw new ProtocolError('INVALID_ARGUMENT', `no track ${track}`);
    const wall = f.wallClockMs ?? f.arrivalMs;
    let time: number;
    let discontinuity = false;
    if (!t.started || t.afterGap) {
      if (this.pendingGap) {
        this.pendingGap = false;
        this.stats.gaps++;
      }
      const recStart = this.anchor === undefined && !this.anyStarted();
      if (!this.anchor) {
        // The first frame after the start or a gap: after a gap, the recording moves on by the
        // local time that passed since the last frame of any track.
        let seconds = 0;
        if (!recStart) {
          let lastSec = 0;
          let lastArrival = -Infinity;
          for (const o of this.tracks) {
            if (!o.started) continue;
            lastSec = Math.max(lastSec, o.lastTime / o.rate);
            lastArrival = Math.max(lastArrival, o.lastArrival);
          }
          seconds = lastSec + Math.max(0, (f.arrivalMs - lastArrival) / 1000);
        }
        this.anchor = { seconds, wall };
        if (!this.origin) this.origin = wall;
      }
      const sec = this.anchor.seconds + (wall - this.anchor.wall) / 1000;
      time = Math.round(sec * t.rate);
      if (t.started) {
        time = Math.max(time, t.lastTime + 1);
        discontinuity = true;
      } else {
        time = Math.max(0, time);
      }
      t.started = true;
      t.afterGap = false;
    } else {
      const d = ((f.timestamp - t.lastTs) | 0) as number;
      const arrivalTicks = ((f.arrivalMs - t.lastArrival) / 1000) * t.rate;
      const median = this.median(t, f.sampleCount);
      const jump = Math.abs(d - arrivalTicks) > this.maxJump * t.rate;
      const outlier = t.intervals.length >= 8 && d > this.outlierFactor * median && arrivalTicks < d / 2;
      if (d > 0 && !jump && !outlier) {
        time = t.lastTime + d;
        this.remember(t, d);
      } else {
        // Two small steps back within 50 frames: reordering, not a clock fault (one alone is repaired).
        const reorder = t.video && d < 0 && -d <= this.reorderFrames * median;
        if (reorder && t.frames - t.lastSmallBack <= 50) {
          throw new ProtocolError('MP4_B_FRAMES', `track ${track}: timestamp steps back ${-d} ticks (${((-d / t.rate) * 1000).toFixed(1)} ms): the stream has B-frames (presentation order differs from decode order), which camstream does not record`, { context: { track, timestamp: f.timestamp } });
        }
        if (reorder) t.lastSmallBack = t.frames;
        // One median interval, unless the arrival clock says a real pause came with the fault.
        time = t.lastTime + Math.max(1, Math.round(arrivalTicks > 2 * median ? arrivalTicks : median));
        discontinuity = true;
        this.stats.repairs++;
        this.stats.trackRepairs[track]!++;
      }
    }
    t.frames++;
    t.lastTs = f.timestamp >>> 0;
    t.lastTime = time;
    t.lastArrival = f.arrivalMs;
    const seconds = time / t.rate;
    const wallOut = f.wallClockMs ?? (this.origin ?? f.arrivalMs) + seconds * 1000;
    return { time, seconds, wallClockMs: wallOut, discontinuity };
  }

  private anyStarted(): boolean {
    return this.tracks.some((t) => t.started);
  }

  private remember(t: TrackState, d: number): void {
    if (t.intervals.length < this.window) t.intervals.push(d);
    else t.intervals[t.next] = d;
    t.next = (t.next + 1) % this.window;
  }

  private median(t: TrackState, sampleCount: number | undefined): number {
    const n = t.intervals.length;
    if (n === 0) return sampleCount ?? (t.video ? t.rate / 25 : t.rate / 50);
    const s = t.scratch;
    s.length = 0;
    for (let i = 0; i < n; i++) s.push(t.intervals[i]!);
    s.sort((a, b) => a - b);
    return s[n >> 1]!;
  }
}
