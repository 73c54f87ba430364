/**
 * Sans-IO fragmented MP4 / QuickTime writer (ISO/IEC 14496-12, "ISO base media file format").
 *
 * Input: access units per track with decode times in the track's timescale (the RTP clock rate;
 * `src/timeline/` makes them monotonic and starting at 0). Output: chunks handed to a sink, each
 * "yours to keep", with the file offset where it belongs:
 *
 * ```
 * init     ftyp | moov (mvhd, trak per track, mvex: mehd + trex)
 * media    [prft] | moof (mfhd, traf per track: tfhd, tfdt, trun) | mdat (track runs, in moof order)
 *          ... one per GOP (cut at a keyframe once `fragmentDurationMs` passed) or per
 *          `maxFragmentDurationMs` / `maxFragmentBytes`
 * index    mfra (tfra per track, mfro), on close
 * patch    8 bytes to write over mehd's fragment_duration at `offset`, on close (seekable sinks)
 * ```
 *
 * The init chunk alone plus the media chunks are what a browser's MediaSource takes (`mimeType`).
 * A file cut anywhere stays readable up to its last complete fragment, because every fragment is
 * self-contained (default-base-is-moof, tfdt). With `sampleTables: true`, `faststart()` after
 * `close()` describes a plain MP4 (moov before mdat, ISO/IEC 14496-12 §8.1.1 progressive download)
 * whose media bytes are byte ranges of the fragmented file, so a driver copies them without the
 * writer keeping any media.
 *
 * Lifetimes: the writer keeps references to each sample's `data` / `nalus` until its fragment is
 * emitted (at most one fragment): do not modify them. Each fragment is built in one exact-size
 * buffer (or, with `transientChunks`, in one reused buffer valid during `onChunk`): the sample
 * bytes are copied once, there.
 *
 * B-frames: samples must come in decode order with strictly increasing times; a time that does not
 * increase is reported (`MP4_NON_MONOTONIC`) and the sample dropped. The writer writes no
 * composition offsets; `Timeline` refuses streams whose presentation order differs from decode order
 * with `MP4_B_FRAMES`.
 */
import { splitAnnexB } from '../codec/annex-b.js';
import { ProtocolError } from '../errors.js';
import { BoxWriter } from './box-writer.js';
import { GrowArray } from './grow.js';
import { aacEntry, g711Entry, h264Entry, h265Entry } from './sample-entry.js';

export type Mp4Container = 'mp4' | 'mov';

/**
 * How parameter sets travel: 'sample-entry' (`avc1`/`hvc1`, the default: taken from the config or
 * the first keyframe; a keyframe whose parameter sets differ keeps them in the sample, and
 * `stats.parameterSetChanges` counts it) or 'in-band' (`avc3`/`hev1`: parameter sets stay in
 * every sample that carries them, ISO/IEC 14496-15 §5.4.2.1.2).
 */
export type ParameterSetMode = 'sample-entry' | 'in-band';

export type Mp4TrackConfig =
  | { codec: 'h264'; sps?: Uint8Array; pps?: Uint8Array[]; timescale?: number; parameterSets?: ParameterSetMode }
  | { codec: 'h265'; vps?: Uint8Array[]; sps?: Uint8Array[]; pps?: Uint8Array[]; timescale?: number; parameterSets?: ParameterSetMode }
  /** `config` is the AudioSpecificConfig (the SDP fmtp `config` of RFC 3640 §4.1). Timescale: the sample rate. */
  | { codec: 'aac'; config: Uint8Array; timescale?: number }
  /** G.711: `.mov` only. Timescale: the sample rate (8000). */
  | { codec: 'pcma' | 'pcmu'; sampleRate?: number; channels?: number };

export interface Mp4WriterOptions {
  tracks: readonly Mp4TrackConfig[];
  /** 'mp4' (ISO brands) or 'mov' (QuickTime brand; needed for G.711). Default 'mp4'. */
  container?: Mp4Container;
  /** A video keyframe starts a new fragment once the current one is this long (default 0: every keyframe). */
  fragmentDurationMs?: number;
  /** A fragment is cut at this duration even without a keyframe (default 4000; also the audio-only fragment length). */
  maxFragmentDurationMs?: number;
  /** A fragment is cut before it exceeds this many media bytes (default 64 MiB). */
  maxFragmentBytes?: number;
  /** Larger samples are reported (`MP4_BAD_SAMPLE`) and dropped (default 16 MiB). */
  maxSampleSize?: number;
  /** Keep per-sample tables (8-9 bytes per sample) so `faststart()` can describe a plain MP4. */
  sampleTables?: boolean;
  /** Write `mfra` on close (default true). */
  mfra?: boolean;
  /** Recording start (ms since the Unix epoch) for mvhd's creation_time; default: the first sample's `wallClockMs`. */
  creationTimeMs?: number;
  /**
   * 'media' chunks are views into one reused buffer, valid only until `onChunk` returns (for sinks
   * that write synchronously): no fresh memory per fragment. Default false (each chunk yours to keep).
   */
  transientChunks?: boolean;
}

export interface Mp4Sample {
  /** The sample's bytes: H.26x Annex B or length-prefixed (then `nalus` is required), audio raw. */
  data: Uint8Array;
  /** H.26x NAL units (views, no start codes); when absent `data` is split as Annex B. */
  nalus?: readonly Uint8Array[];
  keyframe: boolean;
  /** Decode (= presentation) time in the track's timescale; strictly increasing per track. */
  time: number;
  /** Duration in timescale ticks; used for the last sample of a track (audio: the sample count). */
  duration?: number;
  /** Wall clock of the sample (ms since the Unix epoch), for `prft`. */
  wallClockMs?: number;
}

export type Mp4ChunkKind = 'init' | 'media' | 'index' | 'patch';

export interface Mp4Chunk {
  kind: Mp4ChunkKind;
  /** Exact-size bytes, yours to keep. */
  data: Uint8Array;
  /** Where in the file the bytes go (for 'patch': the bytes to overwrite). */
  offset: number;
  /** 'media': the fragment's start time in seconds (primary track), its sequence number. */
  time?: number;
  sequence?: number;
}

export interface Mp4Sink {
  onChunk(chunk: Mp4Chunk): void;
  /** A sample reported and dropped; the recording goes on. */
  onError?(error: ProtocolError): void;
}

export interface Mp4WriterStats {
  samples: number;
  fragments: number;
  bytes: number;
  /** Video units before the first keyframe (a recording starts at a keyframe). */
  droppedBeforeKeyframe: number;
  /** Samples dropped: before the recording's start, non-monotonic, empty or oversize. */
  droppedSamples: number;
  /** Keyframes whose parameter sets differed from the sample entry's (kept in band). */
  parameterSetChanges: number;
}

/** What `faststart()` returns: the plain file is `head` then the listed byte ranges of the fragmented file. */
export interface Mp4FaststartPlan {
  head: Uint8Array;
  ranges: { offset: number; length: number }[];
}

const SYNC_FLAGS = 0x02000000; // sample_depends_on = 2 (ISO/IEC 14496-12 §8.8.3.1)
const NON_SYNC_FLAGS = 0x01010000; // sample_depends_on = 1, sample_is_non_sync_sample = 1
const MOVIE_TIMESCALE = 1000;
const SECONDS_1904_TO_1970 = 2082844800;
const SECONDS_1900_TO_1970 = 2208988800;
const PREROLL_CAP = 512;

interface Pending {
  nalus: readonly Uint8Array[] | null;
  data: Uint8Array;
  size: number;
  time: number;
  /** -1 until the next sample (or close) says. */
  duration: number;
  sync: boolean;
  wall: number | undefined;
  hint: number | undefined;
}

interface Tables {
  sizes: GrowArray;
  durations: GrowArray;
  syncs: GrowArray;
  /** Per fragment run: source offset, sample count, byte length. */
  chunkOffsets: GrowArray;
  chunkCounts: GrowArray;
  chunkLengths: GrowArray;
}

class Track {
  readonly id: number;
  readonly kind: 'video' | 'audio';
  readonly timescale: number;
  readonly inBand: boolean;
  entry: Uint8Array | undefined;
  width = 0;
  height = 0;
  codecString = '';
  sampleRate = 0;
  channels = 0;
  /** Parameter sets in the sample entry (H.26x), to recognise repeats in band. */
  paramSets: Uint8Array[] = [];
  base = 0;
  pending: Pending[] = [];
  lastTime = -1;
  lastDuration = 0;
  /** Time after the last emitted sample (the next fragment's tfdt if nothing is missing). */
  endTime = 0;
  firstTime = -1;
  sampleCount = 0;
  disabled = false;
  tables: Tables | undefined;
  /** tfra entries: time, moof offset, traf number. */
  tfra: number[] = [];

  constructor(
    readonly cfg: Mp4TrackConfig,
    index: number,
  ) {
    this.id = index + 1;
    this.kind = cfg.codec === 'h264' || cfg.codec === 'h265' ? 'video' : 'audio';
    this.inBand = (cfg.codec === 'h264' || cfg.codec === 'h265') && cfg.parameterSets === 'in-band';
    switch (cfg.codec) {
      case 'h264':
      case 'h265':
        this.timescale = cfg.timescale ?? 90000;
        break;
      case 'aac': {
        const a = aacEntry(cfg.config);
        this.setAudio(a.entry, a.sampleRate, a.channels, a.codecString);
        this.timescale = cfg.timescale ?? a.sampleRate;
        break;
      }
      default: {
        const rate = cfg.sampleRate ?? 8000;
        const a = g711Entry(cfg.codec, rate, cfg.channels ?? 1);
        this.setAudio(a.entry, a.sampleRate, a.channels, a.codecString);
        this.timescale = rate;
      }
    }
  }

  private setAudio(entry: Uint8Array, rate: number, channels: number, codecString: string): void {
    this.entry = entry;
    this.sampleRate = rate;
    this.channels = channels;
    this.codecString = codecString;
  }

  /** Builds the video sample entry from parameter sets; false when some are missing. */
  configure(nalus: readonly Uint8Array[] | null): boolean {
    const cfg = this.cfg;
    if (cfg.codec === 'h264') {
      let sps = cfg.sps;
      let pps = cfg.pps ?? [];
      if (nalus) {
        const s = nalus.find((n) => (n[0]! & 0x1f) === 7);
        const p = nalus.filter((n) => (n[0]! & 0x1f) === 8);
        if (s && p.length > 0) {
          sps = s;
          pps = p;
        }
      }
      if (!sps || pps.length === 0) return false;
      const v = h264Entry(sps, pps, this.inBand);
      this.setVideo(v.entry, v.width, v.height, v.codecString, [sps, ...pps]);
      return true;
    }
    if (cfg.codec === 'h265') {
      let vps = cfg.vps ?? [];
      let sps = cfg.sps ?? [];
      let pps = cfg.pps ?? [];
      if (nalus) {
        const type = (n: Uint8Array): number => (n[0]! >> 1) & 0x3f;
        const v = nalus.filter((n) => type(n) === 32);
        const s = nalus.filter((n) => type(n) === 33);
        const p = nalus.filter((n) => type(n) === 34);
        if (v.length > 0 && s.length > 0 && p.length > 0) {
          vps = v;
          sps = s;
          pps = p;
        }
      }
      if (vps.length === 0 || sps.length === 0 || pps.length === 0) return false;
      const e = h265Entry(vps, sps, pps, this.inBand);
      this.setVideo(e.entry, e.width, e.height, e.codecString, [...vps, ...sps, ...pps]);
      return true;
    }
    return true;
  }

  private setVideo(entry: Uint8Array, width: number, height: number, codecString: string, sets: Uint8Array[]): void {
    this.entry = entry;
    this.width = width;
    this.height = height;
    this.codecString = codecString;
    this.paramSets = sets;
  }

  isParamSet(n: Uint8Array): boolean {
    if (this.cfg.codec === 'h264') {
      const t = n[0]! & 0x1f;
      return t === 7 || t === 8;
    }
    const t = (n[0]! >> 1) & 0x3f;
    return t >= 32 && t <= 34;
  }

  /** Access unit delimiters are dropped (ISO/IEC 14496-15 §5.3.2: they should not be stored). */
  isDelimiter(n: Uint8Array): boolean {
    return this.cfg.codec === 'h264' ? (n[0]! & 0x1f) === 9 : ((n[0]! >> 1) & 0x3f) === 35;
  }

  knownParamSet(n: Uint8Array): boolean {
    for (const p of this.paramSets) {
      if (p.length === n.length && Buffer.compare(p, n) === 0) return true;
    }
    return false;
  }
}

export class Mp4Writer {
  readonly container: Mp4Container;
  readonly stats: Mp4WriterStats = { samples: 0, fragments: 0, bytes: 0, droppedBeforeKeyframe: 0, droppedSamples: 0, parameterSetChanges: 0 };
  private readonly tracks: Track[];
  private readonly primary: number;
  private readonly fragmentTicks: number;
  private readonly maxFragmentTicks: number;
  private readonly maxFragmentBytes: number;
  private readonly maxSampleSize: number;
  private readonly withMfra: boolean;
  private readonly keepTables: boolean;
  private readonly transient: boolean;
  private scratch = new Uint8Array(0);
  private readonly w = new BoxWriter(4096);
  private started = false;
  private closed = false;
  private offset = 0;
  private sequence = 0;
  private pendingBytes = 0;
  private fragStart = 0;
  private creationMs: number | undefined;
  private mehdAt = -1;
  private preroll: { index: number; s: Mp4Sample }[] = [];
  private warned = new Set<number>();
  private wallAnchor: { wall: number; time: number } | undefined;

  constructor(
    opts: Mp4WriterOptions,
    private readonly sink: Mp4Sink,
  ) {
    this.container = opts.container ?? 'mp4';
    if (opts.tracks.length === 0) throw new ProtocolError('INVALID_ARGUMENT', 'an MP4 needs at least one track');
    this.tracks = opts.tracks.map((c, i) => {
      if ((c.codec === 'pcma' || c.codec === 'pcmu') && this.container !== 'mov') {
        throw new ProtocolError('MP4_UNSUPPORTED', `${c.codec === 'pcma' ? 'G.711 A-law' : 'G.711 µ-law'} cannot be carried in .mp4 (no sample entry FFmpeg reads): record to .mov`);
      }
      const codec: string = c.codec;
      if (codec !== 'h264' && codec !== 'h265' && codec !== 'aac' && codec !== 'pcma' && codec !== 'pcmu') {
        throw new ProtocolError('MP4_UNSUPPORTED', `codec ${codec} is not recorded to MP4`);
      }
      return new Track(c, i);
    });
    this.primary = this.tracks.findIndex((t) => t.kind === 'video');
    const p = this.tracks[Math.max(0, this.primary)]!;
    this.fragmentTicks = ((opts.fragmentDurationMs ?? 0) * p.timescale) / 1000;
    this.maxFragmentTicks = ((opts.maxFragmentDurationMs ?? 4000) * p.timescale) / 1000;
    this.maxFragmentBytes = opts.maxFragmentBytes ?? 64 * 1024 * 1024;
    this.maxSampleSize = opts.maxSampleSize ?? 16 * 1024 * 1024;
    this.withMfra = opts.mfra ?? true;
    this.keepTables = opts.sampleTables ?? false;
    this.transient = opts.transientChunks ?? false;
    this.creationMs = opts.creationTimeMs;
    if (this.keepTables) {
      for (const t of this.tracks) {
        t.tables = { sizes: new GrowArray(), durations: new GrowArray(), syncs: new GrowArray(), chunkOffsets: new GrowArray(64), chunkCounts: new GrowArray(64), chunkLengths: new GrowArray(64) };
      }
    }
  }

  /** `video/mp4; codecs="avc1.42c01e, mp4a.40.2"` once the init segment was written, else undefined. */
  get mimeType(): string | undefined {
    if (!this.started) return undefined;
    const codecs = this.tracks.filter((t) => !t.disabled && t.entry).map((t) => t.codecString);
    const base = this.container === 'mov' ? 'video/quicktime' : this.primary >= 0 ? 'video/mp4' : 'audio/mp4';
    return `${base}; codecs="${codecs.join(', ')}"`;
  }

  /** Bytes handed to the sink so far (the file size, patches aside). */
  get size(): number {
    return this.offset;
  }

  /** Feeds one sample of track `index` (its position in `options.tracks`). */
  push(index: number, s: Mp4Sample): void {
    if (this.closed) throw new ProtocolError('INVALID_ARGUMENT', 'push after close');
    const t = this.tracks[index];
    if (!t) throw new ProtocolError('INVALID_ARGUMENT', `no track ${index}`);
    if (t.disabled) return;
    if (s.data.length === 0 || s.data.length > this.maxSampleSize) {
      this.drop(new ProtocolError('MP4_BAD_SAMPLE', `track ${index}: sample of ${s.data.length} bytes (cap ${this.maxSampleSize})`, { context: { track: index, time: s.time } }));
      return;
    }
    if (!this.started && !this.start(index, t, s)) return;
    this.add(index, t, s);
  }

  /** Emits the samples buffered so far as a fragment (their durations must be known: all but each track's last). */
  flush(): void {
    if (this.started && !this.closed) this.cut(Number.POSITIVE_INFINITY, false);
  }

  /**
   * Ends the file: the buffered samples as a last fragment (each track's last sample gets its
   * `duration`, or the previous one), then `mfra`, then the mehd patch.
   */
  close(): void {
    if (this.closed) return;
    if (this.started) {
      for (const t of this.tracks) {
        const last = t.pending[t.pending.length - 1];
        if (last && last.duration < 0) last.duration = last.hint ?? (t.lastDuration || Math.round(t.timescale / 25));
      }
      this.cut(Number.POSITIVE_INFINITY, true);
      if (this.withMfra) this.emit('index', this.buildMfra());
      if (this.mehdAt >= 0) {
        const w = new BoxWriter(8);
        w.u64(this.movieDuration());
        this.sink.onChunk({ kind: 'patch', data: w.toBytes(), offset: this.mehdAt });
      }
    }
    this.closed = true;
  }

  /** After `close()` with `sampleTables`: a plain MP4 (moov first) made of `head` and ranges of the fragmented file. */
  faststart(): Mp4FaststartPlan {
    if (!this.closed || !this.keepTables) throw new ProtocolError('INVALID_ARGUMENT', 'faststart() needs sampleTables: true and close() first');
    const ranges: { offset: number; length: number }[] = [];
    let total = 0;
    // Coalesce the track runs: within a fragment they are adjacent.
    const runs: { src: number; len: number; track: Track; idx: number }[] = [];
    for (const t of this.tracks) {
      const tb = t.tables!;
      for (let i = 0; i < tb.chunkOffsets.length; i++) runs.push({ src: tb.chunkOffsets.get(i), len: tb.chunkLengths.get(i), track: t, idx: i });
    }
    runs.sort((a, b) => a.src - b.src);
    const dst = new Map<Track, number[]>();
    for (const t of this.tracks) dst.set(t, []);
    for (const r of runs) {
      dst.get(r.track)![r.idx] = total;
      const last = ranges[ranges.length - 1];
      if (last && last.offset + last.length === r.src) last.length += r.len;
      else ranges.push({ offset: r.src, length: r.len });
      total += r.len;
    }
    const large = total + 16 > 0xffffffff;
    const build = (base: number): Uint8Array => {
      const w = new BoxWriter(65536);
      this.writeFtyp(w);
      this.writeMoov(w, (t) => dst.get(t)!.map((o) => o + base));
      if (large) {
        w.u32(1).fourcc('mdat').u64(total + 16);
      } else {
        w.u32(total + 8).fourcc('mdat');
      }
      return w.toBytes();
    };
    const probe = build(0);
    const head = build(probe.length);
    return { head, ranges };
  }

  // ---- internals ----

  private drop(e: ProtocolError): void {
    this.stats.droppedSamples++;
    this.sink.onError?.(e);
  }

  private nalusOf(s: Mp4Sample): readonly Uint8Array[] {
    return s.nalus ?? splitAnnexB(s.data);
  }

  /** Before the first keyframe: audio waits in a bounded preroll, video waits for a keyframe with parameter sets. */
  private start(index: number, t: Track, s: Mp4Sample): boolean {
    if (t.kind === 'audio' && this.primary >= 0) {
      this.preroll.push({ index, s });
      if (this.preroll.length > PREROLL_CAP) {
        this.preroll.shift();
        this.stats.droppedSamples++;
      }
      return false;
    }
    if (t.kind === 'video') {
      if (index !== this.primary || !s.keyframe) {
        this.stats.droppedBeforeKeyframe++;
        return false;
      }
      if (!t.configure(this.nalusOf(s))) {
        this.stats.droppedBeforeKeyframe++;
        if (!this.warned.has(index)) {
          this.warned.add(index);
          this.sink.onError?.(new ProtocolError('MP4_UNSUPPORTED', `track ${index}: keyframe without parameter sets and none configured; waiting for one that has them`, { context: { track: index } }));
        }
        return false;
      }
      // Other video tracks: from their configuration, else left out.
      for (const o of this.tracks) {
        if (o !== t && o.kind === 'video' && !o.configure(null)) {
          o.disabled = true;
          this.sink.onError?.(new ProtocolError('MP4_UNSUPPORTED', `track ${o.id - 1}: no parameter sets when the recording started; track left out`, { context: { track: o.id - 1 } }));
        }
      }
    }
    const seconds = s.time / t.timescale;
    for (const o of this.tracks) o.base = Math.round(seconds * o.timescale);
    if (this.creationMs === undefined) this.creationMs = s.wallClockMs;
    this.started = true;
    this.emit('init', this.buildInit());
    const pre = this.preroll;
    this.preroll = [];
    for (const p of pre) {
      const pt = this.tracks[p.index]!;
      if (p.s.time >= pt.base) this.add(p.index, pt, p.s);
      else this.stats.droppedSamples++;
    }
    return true;
  }

  private add(index: number, t: Track, s: Mp4Sample): void {
    const time = s.time - t.base;
    if (time < 0 || time <= t.lastTime) {
      this.drop(
        new ProtocolError(
          'MP4_NON_MONOTONIC',
          time < 0 ? `track ${index}: sample before the recording's start` : `track ${index}: decode time ${time} after ${t.lastTime} does not increase (B-frames or an unrepaired clock)`,
          { context: { track: index, time: s.time } },
        ),
      );
      return;
    }
    let nalus: readonly Uint8Array[] | null = null;
    let size = s.data.length;
    if (t.kind === 'video') {
      const all = this.nalusOf(s);
      const kept: Uint8Array[] = [];
      let changed = false;
      size = 0;
      for (const n of all) {
        if (n.length === 0 || t.isDelimiter(n)) continue;
        if (t.isParamSet(n) && !t.inBand) {
          if (t.knownParamSet(n)) continue;
          changed = true;
        }
        kept.push(n);
        size += 4 + n.length;
      }
      if (changed) this.stats.parameterSetChanges++;
      if (kept.length === 0) {
        this.drop(new ProtocolError('MP4_BAD_SAMPLE', `track ${index}: access unit without NAL units to store`, { context: { track: index, time: s.time } }));
        return;
      }
      nalus = kept;
    }
    const prev = t.pending[t.pending.length - 1];
    // A sample's duration is known when the next one arrives. (When the previous one already left
    // with an estimated duration, this fragment's tfdt carries the true time.)
    if (prev) prev.duration = time - prev.time;
    if (t.kind === 'video' && index === this.primary) {
      const dur = time - this.fragStart;
      if (t.pending.length > 0 && ((s.keyframe && dur >= this.fragmentTicks) || dur >= this.maxFragmentTicks)) this.cut(time / t.timescale, false);
    } else if (this.primary < 0 && index === 0) {
      if (t.pending.length > 0 && time - this.fragStart >= this.maxFragmentTicks) this.cut(time / t.timescale, false);
    }
    if (this.pendingBytes + size > this.maxFragmentBytes) this.cut(Number.POSITIVE_INFINITY, false);
    if (t.firstTime < 0) t.firstTime = time;
    t.pending.push({ nalus, data: s.data, size, time, duration: -1, sync: t.kind === 'audio' || s.keyframe, wall: s.wallClockMs, hint: s.duration });
    t.lastTime = time;
    this.pendingBytes += size;
    if (s.wallClockMs !== undefined && (this.primary < 0 ? index === 0 : index === this.primary)) this.wallAnchor = { wall: s.wallClockMs, time: time / t.timescale };
  }

  private emit(kind: Mp4ChunkKind, data: Uint8Array, time?: number): void {
    const chunk: Mp4Chunk = { kind, data, offset: this.offset };
    if (kind === 'media') {
      chunk.time = time;
      chunk.sequence = this.sequence;
    }
    this.offset += data.length;
    this.stats.bytes = this.offset;
    this.sink.onChunk(chunk);
  }

  /** Emits the complete samples with time < `until` seconds; `all` takes every pending sample (close). */
  private cut(until: number, all: boolean): void {
    const counts: number[] = [];
    let any = false;
    for (const t of this.tracks) {
      let n = 0;
      const limit = until * t.timescale;
      for (const p of t.pending) {
        if ((p.duration < 0 && !all) || p.time >= limit) break;
        n++;
      }
      counts.push(n);
      if (n > 0) any = true;
    }
    if (!any) return;
    this.sequence++;
    const p = this.tracks[Math.max(0, this.primary)]!;
    const primaryFirst = p.pending[0];
    const fragTime = primaryFirst && counts[Math.max(0, this.primary)]! > 0 ? primaryFirst.time / p.timescale : undefined;

    // Header: [prft] moof, then the mdat header; data offsets patched once sizes are known.
    const w = this.w.reset();
    const wall = this.fragmentWallClock(p, counts[Math.max(0, this.primary)]!);
    if (wall !== undefined) {
      const prft = w.beginFull('prft', 1, 0);
      w.u32(p.id);
      const ntp = wall.wall / 1000 + SECONDS_1900_TO_1970;
      const sec = Math.floor(ntp);
      w.u32(sec).u32(Math.floor((ntp - sec) * 0x100000000));
      w.u64(wall.time);
      w.end(prft);
    }
    const moofStart = w.pos;
    const moof = w.begin('moof');
    const mfhd = w.beginFull('mfhd', 0, 0);
    w.u32(this.sequence);
    w.end(mfhd);
    const dataOffsetAt: number[] = [];
    let traf = 0;
    for (let i = 0; i < this.tracks.length; i++) {
      const t = this.tracks[i]!;
      const n = counts[i]!;
      if (n === 0) continue;
      traf++;
      const tf = w.begin('traf');
      // tfhd: default-base-is-moof (0x020000); audio: default-sample-flags (0x20) = sync.
      const audio = t.kind === 'audio';
      const th = w.beginFull('tfhd', 0, 0x020000 | (audio ? 0x20 : 0));
      w.u32(t.id);
      if (audio) w.u32(SYNC_FLAGS);
      w.end(th);
      const td = w.beginFull('tfdt', 1, 0);
      w.u64(t.pending[0]!.time);
      w.end(td);
      // trun: data-offset (0x1), duration (0x100), size (0x200), video: flags (0x400).
      const tr = w.beginFull('trun', 0, 0x000301 | (audio ? 0 : 0x400));
      w.u32(n);
      dataOffsetAt.push(w.pos);
      w.u32(0);
      for (let k = 0; k < n; k++) {
        const s = t.pending[k]!;
        w.u32(s.duration).u32(s.size);
        if (!audio) w.u32(s.sync ? SYNC_FLAGS : NON_SYNC_FLAGS);
      }
      w.end(tr);
      w.end(tf);
      // mfra: fragments whose first sample of the track is a sync sample (traf numbers fit 1 byte).
      if (t.pending[0]!.sync && traf < 256) t.tfra.push(t.pending[0]!.time, this.offset + moofStart, traf);
    }
    w.end(moof);
    // mdat header
    let dataBytes = 0;
    for (let i = 0; i < this.tracks.length; i++) {
      const t = this.tracks[i]!;
      for (let k = 0; k < counts[i]!; k++) dataBytes += t.pending[k]!.size;
    }
    w.u32(dataBytes + 8).fourcc('mdat');
    const headerLen = w.pos;
    let out: Uint8Array;
    if (this.transient) {
      if (this.scratch.length < headerLen + dataBytes) this.scratch = new Uint8Array(Math.max(headerLen + dataBytes, this.scratch.length * 2));
      out = this.scratch.subarray(0, headerLen + dataBytes);
    } else {
      out = new Uint8Array(headerLen + dataBytes);
    }
    // data_offset is relative to the moof's first byte (default-base-is-moof).
    let pos = headerLen;
    let j = 0;
    for (let i = 0; i < this.tracks.length; i++) {
      if (counts[i]! === 0) continue;
      w.setU32(dataOffsetAt[j++]!, pos - moofStart);
      const t = this.tracks[i]!;
      let runLen = 0;
      for (let k = 0; k < counts[i]!; k++) runLen += t.pending[k]!.size;
      if (t.tables) {
        t.tables.chunkOffsets.push(this.offset + pos);
        t.tables.chunkCounts.push(counts[i]!);
        t.tables.chunkLengths.push(runLen);
      }
      pos += runLen;
    }
    out.set(w.buf.subarray(0, headerLen));
    pos = headerLen;
    for (let i = 0; i < this.tracks.length; i++) {
      const t = this.tracks[i]!;
      const n = counts[i]!;
      for (let k = 0; k < n; k++) {
        const s = t.pending[k]!;
        if (s.nalus) {
          for (const nal of s.nalus) {
            const len = nal.length;
            out[pos] = len >>> 24;
            out[pos + 1] = (len >>> 16) & 0xff;
            out[pos + 2] = (len >>> 8) & 0xff;
            out[pos + 3] = len & 0xff;
            out.set(nal, pos + 4);
            pos += 4 + len;
          }
        } else {
          out.set(s.data, pos);
          pos += s.size;
        }
        if (t.tables) {
          t.tables.sizes.push(s.size);
          t.tables.durations.push(s.duration);
          if (s.sync) t.tables.syncs.push(t.sampleCount + k + 1);
        }
        this.pendingBytes -= s.size;
      }
      if (n > 0) {
        const last = t.pending[n - 1]!;
        t.lastDuration = last.duration;
        t.endTime = last.time + last.duration;
        t.sampleCount += n;
        this.stats.samples += n;
        t.pending.splice(0, n);
      }
    }
    this.stats.fragments++;
    const next = p.pending[0];
    this.fragStart = next ? next.time : p.endTime;
    this.emit('media', out, fragTime);
  }

  private fragmentWallClock(p: Track, n: number): { wall: number; time: number } | undefined {
    const first = n > 0 ? p.pending[0] : undefined;
    if (!first) return undefined;
    if (first.wall !== undefined) return { wall: first.wall, time: first.time };
    const a = this.wallAnchor;
    if (!a) return undefined;
    return { wall: a.wall + (first.time / p.timescale - a.time) * 1000, time: first.time };
  }

  private movieDuration(): number {
    let d = 0;
    for (const t of this.tracks) d = Math.max(d, (t.endTime / t.timescale) * MOVIE_TIMESCALE);
    return Math.round(d);
  }

  private writeFtyp(w: BoxWriter): void {
    const f = w.begin('ftyp');
    if (this.container === 'mov') {
      w.fourcc('qt  ').u32(0x200).fourcc('qt  ');
    } else {
      w.fourcc('isom').u32(0x200).fourcc('isom').fourcc('iso6').fourcc('mp41');
    }
    w.end(f);
  }

  private buildInit(): Uint8Array {
    const w = new BoxWriter(4096);
    this.writeFtyp(w);
    this.writeMoov(w, undefined);
    return w.toBytes();
  }

  private creationTime(): number {
    return this.creationMs === undefined ? 0 : Math.floor(this.creationMs / 1000) + SECONDS_1904_TO_1970;
  }

  /** moov; `chunkOffsets` given = plain MP4 with full sample tables, else fragmented (empty tables, mvex). */
  private writeMoov(w: BoxWriter, chunkOffsets: ((t: Track) => number[]) | undefined): void {
    const plain = chunkOffsets !== undefined;
    const ct = this.creationTime();
    const tracks = this.tracks.filter((t) => !t.disabled && t.entry);
    const moov = w.begin('moov');
    const mvhd = w.beginFull('mvhd', 1, 0);
    w.u64(ct).u64(ct).u32(MOVIE_TIMESCALE).u64(plain ? this.movieDuration() : 0);
    w.u32(0x00010000).u16(0x0100).zeros(10);
    writeMatrix(w);
    w.zeros(24).u32(this.tracks.length + 1);
    w.end(mvhd);
    for (const t of tracks) {
      const trakDuration = plain ? Math.round((t.endTime / t.timescale) * MOVIE_TIMESCALE) : 0;
      const trak = w.begin('trak');
      const tkhd = w.beginFull('tkhd', 1, 3);
      w.u64(ct).u64(ct).u32(t.id).u32(0).u64(trakDuration);
      w.zeros(8).u16(0).u16(t.kind === 'audio' ? 1 : 0).u16(t.kind === 'audio' ? 0x0100 : 0).u16(0);
      writeMatrix(w);
      w.u32(t.width * 0x10000).u32(t.height * 0x10000);
      w.end(tkhd);
      if (plain && t.firstTime > 0) {
        // An edit list places a track that starts after the movie's start (ISO/IEC 14496-12 §8.6.6).
        const edts = w.begin('edts');
        const elst = w.beginFull('elst', 1, 0);
        w.u32(2);
        // segment_duration, media_time = -1 (an empty edit), media_rate 1.0
        w.u64(Math.round((t.firstTime / t.timescale) * MOVIE_TIMESCALE)).u32(0xffffffff).u32(0xffffffff).u32(0x00010000);
        w.u64(Math.round(((t.endTime - t.firstTime) / t.timescale) * MOVIE_TIMESCALE)).u64(t.firstTime).u32(0x00010000);
        w.end(elst);
        w.end(edts);
      }
      const mdia = w.begin('mdia');
      const mdhd = w.beginFull('mdhd', 1, 0);
      w.u64(ct).u64(ct).u32(t.timescale).u64(plain ? t.endTime : 0).u16(0x55c4).u16(0); // 'und'
      w.end(mdhd);
      const hdlr = w.beginFull('hdlr', 0, 0);
      w.u32(0).fourcc(t.kind === 'video' ? 'vide' : 'soun').zeros(12);
      w.bytes(new TextEncoder().encode(t.kind === 'video' ? 'VideoHandler\0' : 'SoundHandler\0'));
      w.end(hdlr);
      const minf = w.begin('minf');
      if (t.kind === 'video') {
        const v = w.beginFull('vmhd', 0, 1);
        w.zeros(8);
        w.end(v);
      } else {
        const s = w.beginFull('smhd', 0, 0);
        w.zeros(4);
        w.end(s);
      }
      const dinf = w.begin('dinf');
      const dref = w.beginFull('dref', 0, 0);
      w.u32(1);
      const url = w.beginFull('url ', 0, 1);
      w.end(url);
      w.end(dref);
      w.end(dinf);
      const stbl = w.begin('stbl');
      const stsd = w.beginFull('stsd', 0, 0);
      w.u32(1).bytes(t.entry!);
      w.end(stsd);
      if (plain) this.writeTables(w, t, chunkOffsets(t));
      else {
        for (const type of ['stts', 'stsc', 'stsz', 'stco']) {
          const b = w.beginFull(type, 0, 0);
          if (type === 'stsz') w.u32(0);
          w.u32(0);
          w.end(b);
        }
      }
      w.end(stbl);
      w.end(minf);
      w.end(mdia);
      w.end(trak);
    }
    if (!plain) {
      const mvex = w.begin('mvex');
      const mehd = w.beginFull('mehd', 1, 0);
      this.mehdAt = this.offset + w.pos;
      w.u64(0);
      w.end(mehd);
      for (const t of tracks) {
        const trex = w.beginFull('trex', 0, 0);
        w.u32(t.id).u32(1).u32(0).u32(0).u32(0);
        w.end(trex);
      }
      w.end(mvex);
    }
    w.end(moov);
  }

  private writeTables(w: BoxWriter, t: Track, offsets: number[]): void {
    const tb = t.tables!;
    const n = tb.sizes.length;
    // stts: run-length durations.
    const stts = w.beginFull('stts', 0, 0);
    const countAt = w.pos;
    w.u32(0);
    let entries = 0;
    for (let i = 0; i < n; ) {
      const d = tb.durations.get(i);
      let j = i + 1;
      while (j < n && tb.durations.get(j) === d) j++;
      w.u32(j - i).u32(d);
      entries++;
      i = j;
    }
    w.setU32(countAt, entries);
    w.end(stts);
    if (t.kind === 'video' && tb.syncs.length < n) {
      const stss = w.beginFull('stss', 0, 0);
      w.u32(tb.syncs.length);
      for (let i = 0; i < tb.syncs.length; i++) w.u32(tb.syncs.get(i));
      w.end(stss);
    }
    // stsc: one entry per change of samples-per-chunk.
    const stsc = w.beginFull('stsc', 0, 0);
    const scAt = w.pos;
    w.u32(0);
    let sc = 0;
    let prev = -1;
    for (let i = 0; i < tb.chunkCounts.length; i++) {
      const c = tb.chunkCounts.get(i);
      if (c !== prev) {
        w.u32(i + 1).u32(c).u32(1);
        sc++;
        prev = c;
      }
    }
    w.setU32(scAt, sc);
    w.end(stsc);
    const stsz = w.beginFull('stsz', 0, 0);
    let same = n > 0;
    for (let i = 1; i < n && same; i++) same = tb.sizes.get(i) === tb.sizes.get(0);
    if (same) {
      w.u32(tb.sizes.get(0)).u32(n);
    } else {
      w.u32(0).u32(n);
      for (let i = 0; i < n; i++) w.u32(tb.sizes.get(i));
    }
    w.end(stsz);
    const large = offsets.some((o) => o > 0xffffffff);
    const co = w.beginFull(large ? 'co64' : 'stco', 0, 0);
    w.u32(offsets.length);
    for (const o of offsets) {
      if (large) w.u64(o);
      else w.u32(o);
    }
    w.end(co);
  }

  private buildMfra(): Uint8Array {
    const w = new BoxWriter(1024);
    const mfra = w.begin('mfra');
    for (const t of this.tracks) {
      if (t.disabled || !t.entry) continue;
      const tfra = w.beginFull('tfra', 1, 0);
      w.u32(t.id).u32(0); // 1-byte traf/trun/sample numbers
      w.u32(t.tfra.length / 3);
      for (let i = 0; i < t.tfra.length; i += 3) {
        w.u64(t.tfra[i]!).u64(t.tfra[i + 1]!).u8(t.tfra[i + 2]!).u8(1).u8(1);
      }
      w.end(tfra);
    }
    const mfro = w.beginFull('mfro', 0, 0);
    w.u32(w.pos + 4);
    w.end(mfro);
    w.end(mfra);
    return w.toBytes();
  }
}

function writeMatrix(w: BoxWriter): void {
  w.u32(0x00010000).u32(0).u32(0).u32(0).u32(0x00010000).u32(0).u32(0).u32(0).u32(0x40000000);
}
