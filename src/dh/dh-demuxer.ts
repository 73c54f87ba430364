/**
 * DH stream demuxer (the WV-V series HTTP API V2.40 §7; layout adopted in docs/dh-format.md).
 *
 * Packet header, 24 bytes, little-endian:
 *
 * ```
 *  0      2      3      4                8         10           12         16     20      22   23
 * +------+------+------+----------------+---------+------------+----------+------+-------+----+-----+
 * | "DH" | type | rsv  | packet length  | channel | ext length | sequence | utc  | utcms | rsv| sum |
 * +------+------+------+----------------+---------+------------+----------+------+-------+----+-----+
 *   type 0x10 audio, 0x20 video, 0x21 auxiliary; length = header + extend headers + media data;
 *   sum = (bytes 0..22) mod 256
 * ```
 *
 * Extend headers (the WV-V series HTTP API V2.40 §7.2) follow the header: records `[type][len][rsv u16][data]`, `len`
 * counting the whole record, a multiple of 4. Unknown types are skipped by length; a record of
 * length 0, not a multiple of 4, or running past the area is DH_BAD_EXTEND (reported, resync).
 */
import { dhAudioCodec, dhSampleRate, dhVideoCodec, sniffVideoCodec } from './codecs.js';
import { DemuxBase, Follow, HEADER_SIZE, HeaderCheck, checksumAt, frameOf, MetaCache, ownMeta, u16, u32, EMPTY } from './demux-base.js';
import type { DhCodec, DhDemuxerOptions, DhMeta, DhSink, FrameKind } from './types.js';

const enum DhType {
  Audio = 0x10,
  Video = 0x20,
  Aux = 0x21,
}

const enum Ext {
  Audio = 0x11,
  Video = 0x21,
  Title = 0x22,
  Event = 0x23,
  Gap = 0x24,
  TimeZone = 0x31,
}

const MAGIC = Buffer.from('DH', 'latin1');

export class DhDemuxer extends DemuxBase {
  readonly format = 'dh' as const;
  private readonly metas = new MetaCache(false);

  constructor(sink: DhSink, options: DhDemuxerOptions = {}) {
    super(sink, options, MAGIC, 0);
  }

  protected declaredLength(): number {
    return this.q.u32le(4);
  }

  protected checkHeader(h: Uint8Array, hp: number): HeaderCheck {
    const t = h[hp + 2];
    if (t !== DhType.Audio && t !== DhType.Video && t !== DhType.Aux) return HeaderCheck.BadType;
    return this.lengths(u32(h, hp + 4), u16(h, hp + 10));
  }

  protected scan(b: Uint8Array, p: number, base: number): number {
    const n = b.length;
    const ab = b.buffer;
    const bo = b.byteOffset;
    while (n - p >= HEADER_SIZE) {
      if (b[p] !== 0x44 /* 'D' */ || b[p + 1] !== 0x48 /* 'H' */) break;
      if (this.checkHeader(b, p) !== HeaderCheck.Ok) break;
      const len = this.len;
      if (len > n - p || checksumAt(b, p) !== b[p + 23] || !this.extOk(b, p)) break;
      const at = p + HEADER_SIZE + this.extLen;
      this.goodSums++;
      this.accept(b, p, at === p + len ? EMPTY : new Uint8Array(ab, bo + at, p + len - at), base + p, true);
      p += len;
    }
    return p;
  }

  protected followsAt(i: number, ending: boolean): Follow {
    const q = this.q;
    const rest = q.length - i;
    if (rest === 0) return ending ? Follow.Agrees : Follow.NeedMore;
    if (q.byteAt(i) !== 0x44 /* 'D' */) return Follow.Disagrees;
    if (rest === 1) return ending ? Follow.Agrees : Follow.NeedMore;
    return q.byteAt(i + 1) === 0x48 /* 'H' */ ? Follow.Agrees : Follow.Disagrees;
  }

  /** The record walk: lengths non-zero, multiples of 4, inside the area. */
  protected extOk(h: Uint8Array, hp: number): boolean {
    const from = hp + HEADER_SIZE;
    const end = from + this.extLen;
    for (let i = from; i < end; ) {
      const l = i + 4 <= end ? h[i + 1]! : 0;
      if (l === 0 || (l & 3) !== 0 || i + l > end) return false;
      i += l;
    }
    return true;
  }

  protected retains(): boolean {
    return false;
  }

  protected accept(h: Uint8Array, hp: number, payload: Uint8Array, offset: number, checksumOk: boolean): void {
    const type = h[hp + 2]!;
    const channel = u16(h, hp + 8);
    const sequence = u32(h, hp + 12);
    const utc = u32(h, hp + 16);
    const utcms = u16(h, hp + 20);
    const st = this.channels.get(channel);
    // Metadata beyond packet type, codec and I-frame interval is rare: only then is a frame given
    // its own meta object; the common ones are shared (see `MetaCache`).
    let meta: DhMeta | undefined;
    let ifi = -1;
    let frameType = 0;
    let hasVideoExt = false;
    const end = hp + HEADER_SIZE + this.extLen;
    for (let i = hp + HEADER_SIZE; i < end; ) {
      const t = h[i]!;
      const l = h[i + 1]!;
      // Fields past the record's end are absent (the WV-V series HTTP API V2.40 §7.2.1 audio record says length 8, draws 16).
      switch (t) {
        case Ext.Audio:
          if (l >= 8) {
            st.audioCodecId = h[i + 4]!;
            st.channels = h[i + 5]!;
            st.sampleRate = dhSampleRate(h[i + 6]!);
          }
          if (l >= 12) (meta ??= ownMeta(type, ifi)).operateId = u32(h, i + 8);
          break;
        case Ext.Video:
          if (l >= 8) {
            st.videoCodecId = h[i + 4]!;
            frameType = h[i + 5]!;
            hasVideoExt = true;
          }
          if (l >= 12) {
            st.width = u16(h, i + 6);
            st.height = u16(h, i + 8);
            st.iFrameInterval = h[i + 10]!;
            st.fps = h[i + 11]!;
            ifi = st.iFrameInterval;
            if (meta !== undefined) meta.iFrameInterval = ifi;
          }
          if (l >= 16) (meta ??= ownMeta(type, ifi)).operateId = u32(h, i + 12);
          break;
        case Ext.Title: {
          let e = i + 4;
          const stop = i + l;
          while (e < stop && h[e] !== 0) e++;
          (meta ??= ownMeta(type, ifi)).title = Buffer.from(h.buffer, h.byteOffset + i + 4, e - i - 4).toString('utf8');
          break;
        }
        case Ext.Event: {
          let raw = 0;
          const n = Math.min(4, l - 4);
          for (let k = n - 1; k >= 0; k--) raw = raw * 256 + h[i + 4 + k]!;
          (meta ??= ownMeta(type, ifi)).events = { raw, alarm: (raw & 1) !== 0, motion: (raw & 2) !== 0, videoLoss: (raw & 4) !== 0 };
          break;
        }
        case Ext.Gap:
          if (l >= 24) {
            const m = (meta ??= ownMeta(type, ifi));
            m.gap = {
              operateId: u32(h, i + 4),
              start: u32(h, i + 8) * 1000 + u16(h, i + 12),
              end: u32(h, i + 16) * 1000 + u16(h, i + 20),
            };
            m.operateId = m.gap.operateId;
          }
          break;
        case Ext.TimeZone:
          (meta ??= ownMeta(type, ifi)).timeZone = { hours: (h[i + 4]! << 24) >> 24, minutes: (h[i + 5]! << 24) >> 24, dst: h[i + 6] === 1 };
          break;
        default:
          break;
      }
      i += l;
    }

    let kind: FrameKind;
    let codec: DhCodec;
    let keyframe: boolean;
    let codecId = -1;
    if (type === DhType.Video) {
      kind = 'video';
      codecId = st.videoCodecId;
      codec = dhVideoCodec(st.videoCodecId);
      if (codec === 'unknown') codec = sniffVideoCodec(payload);
      keyframe = hasVideoExt ? frameType === 1 : false;
    } else if (type === DhType.Audio) {
      kind = 'audio';
      codecId = st.audioCodecId;
      codec = dhAudioCodec(st.audioCodecId);
      keyframe = true;
    } else {
      kind = 'aux';
      codec = 'unknown';
      keyframe = false;
    }
    if (meta === undefined) meta = this.metas.get(type, 0, codecId, ifi);
    else meta.codecId = codecId;
    const time = utc * 1000 + utcms;
    const f = frameOf('dh', kind, codec, keyframe, st, channel, sequence, this.monotonic(channel, kind, time, offset), time, checksumOk, offset, meta, payload);
    if (this.stepped) f.discontinuity = true;
    this.deliver(f);
  }
}
