/**
 * DHAV demuxer: what Dahua devices and `.dav` files carry (docs/dh-format.md).
 *
 * ```
 *  0        4     5        6        7          8          12          16           20       22      23
 * +--------+-----+--------+--------+----------+----------+-----------+------------+--------+-------+-----+
 * | "DHAV" |type | subtype| channel| subframe | sequence | length    | local date | ms u16 | extlen| sum |
 * +--------+-----+--------+--------+----------+----------+-----------+------------+--------+-------+-----+
 * | extensions (extlen bytes, size fixed by type) | payload | "dhav" | length u32 (== @12) |
 *   type 0xFD I, 0xFC P, 0xFE B, 0xFB JPEG, 0xF0 audio, 0xF1 auxiliary
 *   length = 24 + extlen + payload + 8;  sum = (bytes 0..22) mod 256
 *   date bits: 0-5 s, 6-11 min, 12-16 h, 17-21 day, 22-25 month, 26-31 year - 2000
 *   subframe: a large frame is split into pieces numbered N..0; the pieces are joined here
 * ```
 *
 * Files exported by Dahua tools may start with a 1024-byte "DAHUA" header and hold runs of 0xFF
 * padding between packets; both are recognised and reported, not counted as garbage.
 */
import { dhavAudioCodec, dhavSampleRate, dhavVideoCodec, sniffVideoCodec } from './codecs.js';
import { CLOCK_STEP_MS, DemuxBase, Follow, HEADER_SIZE, HeaderCheck, Step, MetaCache, checksumAt, frameOf, u16, u32, EMPTY } from './demux-base.js';
import type { DhCodec, DhDemuxerOptions, DhFrame, DhSink, FrameKind } from './types.js';

const TRAILER_SIZE = 8;
const FILE_HEADER_SIZE = 1024;
const TRAILER = Buffer.from('dhav', 'latin1');
const MAGIC = Buffer.from('DHAV', 'latin1');
const DAHUA = Buffer.from('DAHUA', 'latin1');

const enum T {
  Audio = 0xf0,
  Aux = 0xf1,
  Jpeg = 0xfb,
  P = 0xfc,
  I = 0xfd,
  B = 0xfe,
}

/** Extension sizes by type byte (docs/dh-format.md); 0 = unknown, which ends the walk (as FFmpeg). */
const EXT_SIZE = new Uint8Array(256);
EXT_SIZE[0x80] = 4;
EXT_SIZE[0x81] = 4;
EXT_SIZE[0x82] = 8;
EXT_SIZE[0x83] = 4;
EXT_SIZE[0x88] = 8;
EXT_SIZE[0x8c] = 8;
for (const t of [0x91, 0x92, 0x93, 0x95, 0x9a, 0x9b, 0xb3]) EXT_SIZE[t] = 8;
for (const t of [0x84, 0x85, 0x8b, 0x94, 0x96, 0xa0, 0xb2, 0xb4]) EXT_SIZE[t] = 4;

/** Pieces of a split frame waiting for piece 0. */
interface Pending {
  frame: DhFrame;
  type: number;
  next: number;
  size: number;
  parts: Uint8Array[];
}

/** Packed local date -> Date ms, the fields taken as UTC (the format carries no zone). */
export function dhavDateToMs(d: number): number {
  return Date.UTC(2000 + (d >>> 26), ((d >>> 22) & 15) - 1, (d >>> 17) & 31, (d >>> 12) & 31, (d >>> 6) & 63, d & 63);
}

export class DhavDemuxer extends DemuxBase {
  readonly format = 'dhav' as const;
  /** Last packed date and its Date ms (the date changes once a second; Date.UTC is ~50 ns). */
  private lastDate = -1;
  private lastDateMs = 0;
  private readonly metas = new MetaCache(true);
  private readonly pending = new Map<number, Pending>();
  private padStart = 0;
  private pad = 0;
  private rawLast = -1;
  private unwrapped = 0;

  constructor(sink: DhSink, options: DhDemuxerOptions = {}) {
    super(sink, options, MAGIC, TRAILER_SIZE);
  }

  protected declaredLength(): number {
    return this.q.u32le(12);
  }

  /** Pieces of a split frame waiting for piece 0 may be views of older chunks. */
  override get heldFrom(): number {
    let from = this.q.offset;
    if (this.pending.size !== 0) for (const p of this.pending.values()) from = Math.min(from, p.frame.offset);
    return from;
  }

  protected override special(b0: number, ending: boolean): Step | -1 {
    const q = this.q;
    if (b0 === 0xff) {
      // 0xFF padding between packets (docs/dh-format.md; FFmpeg 96fd07351a era fixes).
      if (this.pad === 0) this.padStart = q.offset;
      let n = 0;
      for (;;) {
        const v = q.contiguousAt(n);
        if (v.length === 0) break;
        let k = 0;
        while (k < v.length && v[k] === 0xff) k++;
        n += k;
        if (k < v.length) break;
      }
      this.pad += n;
      this.stats.paddingBytes += n;
      q.skip(n);
      return Step.Consumed;
    }
    this.flushPadding();
    if (b0 === 0x44 /* 'D' */ && q.length >= 2 && q.byteAt(1) === 0x41 /* 'A' */) {
      const n = Math.min(q.length, DAHUA.length);
      if (!q.matchesAt(DAHUA.subarray(0, n), 0)) return Step.Reject;
      if (q.length < FILE_HEADER_SIZE && !ending) return Step.NeedMore;
      const offset = q.offset;
      const length = Math.min(q.length, FILE_HEADER_SIZE);
      q.skip(length);
      this.emit({ type: 'file-header', offset, length });
      if (length < FILE_HEADER_SIZE) this.report('DH_TRUNCATED', 'stream ended inside the DAHUA file header', offset, { have: length });
      return Step.Consumed;
    }
    return -1;
  }

  private flushPadding(): void {
    if (this.pad === 0) return;
    this.emit({ type: 'padding', offset: this.padStart, length: this.pad });
    this.pad = 0;
  }

  protected checkHeader(h: Uint8Array, hp: number): HeaderCheck {
    const t = h[hp + 4]!;
    if (t < T.Audio || (t > T.Aux && t < T.Jpeg) || t === 0xff) return HeaderCheck.BadType;
    return this.lengths(u32(h, hp + 12), h[hp + 22]!);
  }

  protected scan(b: Uint8Array, p: number, base: number): number {
    const n = b.length;
    const ab = b.buffer;
    const bo = b.byteOffset;
    while (n - p >= HEADER_SIZE) {
      if (this.pad !== 0) {
        if (b[p] === 0xff) break;
        this.flushPadding();
      }
      if (b[p] !== 0x44 /* 'D' */ || b[p + 1] !== 0x48 /* 'H' */ || b[p + 2] !== 0x41 /* 'A' */ || b[p + 3] !== 0x56 /* 'V' */) break;
      if (this.checkHeader(b, p) !== HeaderCheck.Ok) break;
      const len = this.len;
      if (len > n - p || checksumAt(b, p) !== b[p + 23]) break;
      const t = p + len - TRAILER_SIZE;
      if (!this.trailerOk(b, t, len)) break;
      const at = p + HEADER_SIZE + this.extLen;
      this.goodSums++;
      this.accept(b, p, at === t ? EMPTY : new Uint8Array(ab, bo + at, t - at), base + p, true);
      p += len;
    }
    return p;
  }

  protected override trailerOk(b: Uint8Array, t: number, len: number): boolean {
    return b[t] === 0x64 /* 'd' */ && b[t + 1] === 0x68 /* 'h' */ && b[t + 2] === 0x61 /* 'a' */ && b[t + 3] === 0x76 /* 'v' */ && u32(b, t + 4) === len;
  }

  protected override atPacket(): void {
    this.flushPadding();
  }

  /** Unknown extension types end the walk (as FFmpeg): never malformed. */
  protected extOk(): boolean {
    return true;
  }

  /** Pieces of a split frame are kept until piece 0, so they are always owned. */
  protected retains(h: Uint8Array, hp: number): boolean {
    return h[hp + 7]! > 0;
  }

  protected override tailOk(): boolean {
    const q = this.q;
    const at = this.len - TRAILER_SIZE;
    return q.matchesAt(TRAILER, at) && q.u32le(at + 4) === this.len;
  }

  protected followsAt(i: number, ending: boolean): Follow {
    const q = this.q;
    const rest = q.length - i;
    if (rest === 0) return ending ? Follow.Agrees : Follow.NeedMore;
    const b = q.byteAt(i);
    if (b === 0xff) return Follow.Agrees;
    if (b !== 0x44 /* 'D' */) return Follow.Disagrees;
    const n = Math.min(rest, 4);
    const m = this.magic;
    if (q.matchesAt(m.subarray(0, n), i) || q.matchesAt(DAHUA.subarray(0, n), i)) {
      return n === 4 || ending ? Follow.Agrees : Follow.NeedMore;
    }
    return Follow.Disagrees;
  }

  protected override finish(): void {
    this.flushPadding();
    for (const p of this.pending.values()) {
      this.report('DH_SUBFRAME', `stream ended inside a split frame (${p.parts.length} pieces, waiting for piece ${p.next})`, p.frame.offset, {
        channel: p.frame.channel,
        sequence: p.frame.sequence,
      });
    }
    this.pending.clear();
  }

  protected accept(h: Uint8Array, hp: number, payload: Uint8Array, offset: number, checksumOk: boolean): void {
    const type = h[hp + 4]!;
    const channel = h[hp + 6]!;
    const piece = h[hp + 7]!;
    const sequence = u32(h, hp + 8);
    const date = u32(h, hp + 16);
    const ms = u16(h, hp + 20);
    const st = this.channels.get(channel);
    let ifi = -1;
    const end = hp + HEADER_SIZE + this.extLen;
    for (let i = hp + HEADER_SIZE; i < end; ) {
      const t = h[i]!;
      const size = EXT_SIZE[t]!;
      if (size === 0 || i + size > end) break;
      switch (t) {
        case 0x80:
          if (h[i + 2]! > 0) st.width = h[i + 2]! * 8;
          if (h[i + 3]! > 0) st.height = h[i + 3]! * 8;
          break;
        case 0x81:
          st.iFrameInterval = h[i + 1]!;
          st.videoCodecId = h[i + 2]!;
          st.fps = h[i + 3]!;
          ifi = st.iFrameInterval;
          break;
        case 0x82:
          st.width = u16(h, i + 4);
          st.height = u16(h, i + 6);
          break;
        case 0x83:
          st.channels = h[i + 1]!;
          st.audioCodecId = h[i + 2]!;
          st.sampleRate = dhavSampleRate(h[i + 3]!);
          break;
        case 0x8c:
          st.channels = h[i + 2]!;
          st.audioCodecId = h[i + 3]!;
          st.sampleRate = dhavSampleRate(h[i + 4]!);
          break;
        default:
          break;
      }
      i += size;
    }

    // Pieces of a split frame: same channel and type, index counting down to 0.
    const p = this.pending.size === 0 ? undefined : this.pending.get(channel);
    if (p !== undefined && p.type === type) {
      this.pending.delete(channel);
      if (piece === p.next) {
        p.parts.push(payload);
        p.size += payload.length;
        if (!checksumOk) p.frame.checksumOk = false;
        if (p.size > this.maxPacketSize) {
          this.report('DH_BAD_LENGTH', `joined frame over ${this.maxPacketSize} bytes`, p.frame.offset, { length: p.size });
          return;
        }
        if (piece > 0) {
          p.next--;
          this.pending.set(channel, p);
          return;
        }
        const joined = Buffer.allocUnsafe(p.size);
        let o = 0;
        for (const part of p.parts) {
          joined.set(part, o);
          o += part.length;
        }
        p.frame.payload = joined;
        p.frame.pieces = p.parts.length;
        this.deliver(p.frame);
        return;
      }
      this.report('DH_SUBFRAME', `split frame lost pieces (expected piece ${p.next}, got ${piece})`, offset, { channel, sequence: p.frame.sequence });
      // A lower index of the same frame continues what we just dropped: drop it too. Anything else
      // (another frame, possibly whole) goes on below.
      if (piece < p.next && sequence === p.frame.sequence) return;
    }

    let kind: FrameKind;
    let codec: DhCodec;
    let keyframe = false;
    let codecId = -1;
    if (type === T.Audio) {
      kind = 'audio';
      codecId = st.audioCodecId;
      codec = dhavAudioCodec(st.audioCodecId);
      keyframe = true;
    } else if (type === T.Aux) {
      kind = 'aux';
      const b = payload[0];
      codec = b === 0x7b /* '{' */ || b === 0x5b /* '[' */ ? 'json' : 'unknown';
    } else {
      kind = 'video';
      codecId = st.videoCodecId;
      keyframe = type === T.I || type === T.Jpeg;
      codec = type === T.Jpeg ? 'mjpeg' : dhavVideoCodec(st.videoCodecId);
      if (codec === 'unknown') codec = sniffVideoCodec(payload);
    }
    // 16-bit ms counter, one per device: unwrap with the signed 16-bit step (so a wrap adds 65536,
    // not 65535 as FFmpeg does, and small backward jitter stays small), then never backwards per stream.
    if (this.rawLast < 0) this.unwrapped = ms;
    else {
      let d = (ms - this.rawLast) & 0xffff;
      if (d >= 0x8000) d -= 0x10000;
      this.unwrapped += d;
    }
    this.rawLast = ms;
    let dateBack = -1;
    if (date !== this.lastDate) {
      const was = this.lastDateMs;
      const seen = this.lastDate !== -1;
      this.lastDate = date;
      this.lastDateMs = dhavDateToMs(date);
      if (seen && was - this.lastDateMs > CLOCK_STEP_MS) dateBack = was;
    }
    const meta = this.metas.get(type, h[hp + 5]!, codecId, ifi);
    const frame = frameOf('dhav', kind, codec, keyframe, st, channel, sequence, this.monotonic(channel, kind, this.unwrapped, offset), this.lastDateMs, checksumOk, offset, meta, payload);
    // The wall clock (packed date) going back is a clock step even when the millisecond counter runs
    // on (timestamps follow the counter): reported once, unless the counter's own step was just reported.
    if (dateBack >= 0 && !this.stepped) {
      this.emit({ type: 'discontinuity', offset, channel, kind, from: dateBack, to: this.lastDateMs });
      this.stepped = true;
    }
    if (this.stepped) frame.discontinuity = true;
    if (piece > 0) {
      if (payload.length > this.maxPacketSize) return;
      this.pending.set(channel, { frame, type, next: piece - 1, size: payload.length, parts: [payload] });
      return;
    }
    this.deliver(frame);
  }
}
