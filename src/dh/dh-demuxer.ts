/**
 * DH stream demuxer (seed 003 §7; layout adopted in notes/dh-format.md).
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
 * Extend headers (seed 003 §7.2) follow the header: records `[type][len][rsv u16][data]`, `len`
 * counting the whole record, a multiple of 4. Unknown types are skipped by length; a record of
 * length 0, not a multiple of 4, or running past the area is DH_BAD_EXTEND (reported, resync).
 */
import { dhAudioCodec, dhSampleRate, dhVideoCodec, sniffVideoCodec } from './codecs.js';
import {
  DemuxBase,
  Follow,
  HEADER_SIZE,
  HeaderCheck,
  extensionView,
  newChannelState,
  u16,
  u32,
  type ChannelState,
} from './demux-base.js';
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

export class DhDemuxer extends DemuxBase {
  readonly format = 'dh' as const;
  private len = 0;
  private extLen = 0;
  private readonly channels = new Map<number, ChannelState>();

  constructor(sink: DhSink, options: DhDemuxerOptions = {}) {
    super(sink, options, 'DH');
  }

  protected declaredLength(): number {
    return this.q.u32le(4);
  }

  protected checkHeader(h: Uint8Array): HeaderCheck {
    const t = h[2];
    if (t !== DhType.Audio && t !== DhType.Video && t !== DhType.Aux) return HeaderCheck.BadType;
    const len = u32(h, 4);
    const ext = u16(h, 10);
    if (len < HEADER_SIZE + ext || len > this.maxPacketSize) return HeaderCheck.BadLength;
    this.len = len;
    this.extLen = ext;
    return HeaderCheck.Ok;
  }

  protected packetLength(): number {
    return this.len;
  }

  protected followsAt(i: number, ending: boolean): Follow {
    const q = this.q;
    const rest = q.length - i;
    if (rest === 0) return ending ? Follow.Agrees : Follow.NeedMore;
    if (q.byteAt(i) !== 0x44 /* 'D' */) return Follow.Disagrees;
    if (rest === 1) return ending ? Follow.Agrees : Follow.NeedMore;
    return q.byteAt(i + 1) === 0x48 /* 'H' */ ? Follow.Agrees : Follow.Disagrees;
  }

  protected accept(h: Uint8Array, offset: number, checksumOk: boolean): boolean {
    const q = this.q;
    const type = h[2]!;
    const channel = u16(h, 8);
    const sequence = u32(h, 12);
    const utc = u32(h, 16);
    const utcms = u16(h, 20);
    const extLen = this.extLen;
    const len = this.len;
    let st = this.channels.get(channel);
    if (st === undefined) {
      st = newChannelState();
      this.channels.set(channel, st);
    }
    const meta: DhMeta = { packetType: type, codecId: -1 };
    const ext = extensionView(q, extLen);
    // Validate the record walk before touching any state.
    for (let i = 0; i < extLen; ) {
      const l = i + 4 <= extLen ? ext[i + 1]! : 0;
      if (l === 0 || (l & 3) !== 0 || i + l > extLen) return false;
      i += l;
    }
    let frameType = 0;
    let hasVideoExt = false;
    for (let i = 0; i < extLen; ) {
      const t = ext[i]!;
      const l = ext[i + 1]!;
      // Fields past the record's end are absent (the seed's audio record says length 8, draws 16).
      switch (t) {
        case Ext.Audio:
          if (l >= 8) {
            st.audioCodecId = ext[i + 4]!;
            st.channels = ext[i + 5]!;
            st.sampleRate = dhSampleRate(ext[i + 6]!);
          }
          if (l >= 12) meta.operateId = u32(ext, i + 8);
          break;
        case Ext.Video:
          if (l >= 8) {
            st.videoCodecId = ext[i + 4]!;
            frameType = ext[i + 5]!;
            hasVideoExt = true;
          }
          if (l >= 12) {
            st.width = u16(ext, i + 6);
            st.height = u16(ext, i + 8);
            st.iFrameInterval = ext[i + 10]!;
            st.fps = ext[i + 11]!;
            meta.iFrameInterval = st.iFrameInterval;
          }
          if (l >= 16) meta.operateId = u32(ext, i + 12);
          break;
        case Ext.Title: {
          let e = i + 4;
          const end = i + l;
          while (e < end && ext[e] !== 0) e++;
          meta.title = Buffer.from(ext.buffer, ext.byteOffset + i + 4, e - i - 4).toString('utf8');
          break;
        }
        case Ext.Event: {
          let raw = 0;
          const n = Math.min(4, l - 4);
          for (let k = n - 1; k >= 0; k--) raw = raw * 256 + ext[i + 4 + k]!;
          meta.events = { raw, alarm: (raw & 1) !== 0, motion: (raw & 2) !== 0, videoLoss: (raw & 4) !== 0 };
          break;
        }
        case Ext.Gap:
          if (l >= 24) {
            meta.gap = {
              operateId: u32(ext, i + 4),
              start: u32(ext, i + 8) * 1000 + u16(ext, i + 12),
              end: u32(ext, i + 16) * 1000 + u16(ext, i + 20),
            };
            meta.operateId = meta.gap.operateId;
          }
          break;
        case Ext.TimeZone:
          meta.timeZone = { hours: (ext[i + 4]! << 24) >> 24, minutes: (ext[i + 5]! << 24) >> 24, dst: ext[i + 6] === 1 };
          break;
        default:
          break;
      }
      i += l;
    }
    q.skip(HEADER_SIZE + extLen);
    const payloadLen = len - HEADER_SIZE - extLen;
    const payload = this.takePayload(payloadLen, false);

    let kind: FrameKind;
    let codec: DhCodec;
    let keyframe: boolean;
    if (type === DhType.Video) {
      kind = 'video';
      meta.codecId = st.videoCodecId;
      codec = dhVideoCodec(st.videoCodecId);
      if (codec === 'unknown') codec = sniffVideoCodec(payload);
      keyframe = hasVideoExt ? frameType === 1 : false;
    } else if (type === DhType.Audio) {
      kind = 'audio';
      meta.codecId = st.audioCodecId;
      codec = dhAudioCodec(st.audioCodecId);
      keyframe = true;
    } else {
      kind = 'aux';
      codec = 'unknown';
      keyframe = false;
    }
    const time = utc * 1000 + utcms;
    const video = kind === 'video';
    const audio = kind === 'audio';
    this.deliver({
      format: 'dh',
      kind,
      codec,
      keyframe,
      width: video ? st.width : 0,
      height: video ? st.height : 0,
      fps: video ? st.fps : 0,
      sampleRate: audio ? st.sampleRate : 0,
      channels: audio ? st.channels : 0,
      channel,
      sequence,
      timestamp: this.monotonic(channel, kind, time),
      time,
      checksumOk,
      offset,
      pieces: 1,
      meta,
      payload,
    });
    return true;
  }
}
