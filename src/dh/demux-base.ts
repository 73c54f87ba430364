/**
 * The framing engine shared by `DhDemuxer` and `DhavDemuxer`: a sans-IO push parser over a
 * `ByteQueue` that finds packets, decides when a packet can be trusted, resynchronises after
 * garbage, and hands each accepted packet to the format's `accept()`.
 *
 * Trust rules:
 * - In sync (right after a good packet, or at the start), a packet whose magic, type, length bounds
 *   and checksum (and DHAV trailer) agree is accepted at once — no added latency on live streams.
 * - A packet with a bad checksum or trailer while in sync is accepted only when the bytes after it
 *   start the next packet (the "following magic"); it is then reported, not dropped.
 * - After garbage (hunting), a candidate found with native `indexOf` is accepted when type, length
 *   bounds, checksum and trailer agree: the checksum proves the packet, whatever follows it. Only
 *   where the checksum cannot vouch (the device's packets mostly fail it) must the following magic
 *   agree too, or the data end exactly there.
 * - Anything else: report (when it was in sync), skip one byte, hunt. Skipped bytes are counted and
 *   reported once per resync with the offset where the garbage began.
 *
 * Two paths, one set of rules:
 * - Hot path (`scan`, one per format): while in sync, packets lying wholly inside the first held
 *   chunk (the queue's, which may be a block of coalesced small chunks) are parsed in place — header and extensions
 *   read from the chunk, payload emitted as a view — as long as everything agrees (magic, type,
 *   length, checksum, trailer, extensions). It stops at the first packet that straddles the chunk end
 *   or that needs a judgement.
 * - General path (`step`): everything else — packets straddling chunk edges (header/extensions copied
 *   into a small scratch, payload assembled with ONE copy into an exact-size buffer, or the reused
 *   buffer in transient mode), checksum/trailer disagreements, padding, preambles, resync.
 * The any-chunking properties (test/prop/dh.prop.test.ts) hold the two paths to identical output.
 */
import { ByteQueue } from '../bytes/byte-queue.js';
import { ProtocolError, type ErrorCode, type ErrorContext } from '../errors.js';
import type { DhCodec, DhEvent, DhFormat, DhFrame, DhMeta, DhSink, DhStats, DhDemuxerOptions, FrameKind } from './types.js';
import { DEFAULT_MAX_PACKET_SIZE } from './types.js';

export const HEADER_SIZE = 24;
/** Longest `streamId=<id>\r\n` line accepted (the WV-V series HTTP API V2.40 §4.2.3 shows short numeric ids). */
const MAX_PREAMBLE = 256;
const STREAM_ID = Buffer.from('streamId=', 'latin1');
const EMPTY_BUF = Buffer.alloc(0);

export const enum Step {
  NeedMore,
  Consumed,
  Reject,
}

/** Result of a format's header check. */
export const enum HeaderCheck {
  Ok,
  BadType,
  BadLength,
}

export const enum Follow {
  Agrees,
  Disagrees,
  NeedMore,
}

interface ClockState {
  last: number;
  shift: number;
}

/**
 * A device time that goes back by more than this (ms) within a stream is a clock step (the DVR's time
 * was changed, NTP corrected it, the device restarted), not jitter: reported as a `discontinuity` and
 * the timestamps go on from there. Smaller steps back are held at the last value.
 */
export const CLOCK_STEP_MS = 1000;

export abstract class DemuxBase {
  abstract readonly format: DhFormat;
  protected readonly q = new ByteQueue();
  protected readonly sink: DhSink;
  protected readonly maxPacketSize: number;
  protected readonly magic: Buffer;
  /** Bytes after the payload (the DHAV trailer). */
  protected readonly trailerSize: number;
  /** Packet and extension lengths of the header last passed by `checkHeader`. */
  protected len = 0;
  protected extLen = 0;
  /** Header + extensions of a packet that straddles chunks (grows to the largest seen). */
  private scratch: Buffer = EMPTY_BUF;
  private hunting = false;
  private garbage = 0;
  private garbageStart = 0;
  private ended = false;
  /**
   * Quirk (docs/dh-format.md: the DH checksum rule is unverified on real devices): when accepted
   * packets mostly fail the checksum, the device uses another rule, so the checksum stops being a
   * resync criterion (the following magic and length still are).
   */
  protected goodSums = 0;
  private badSums = 0;
  /** Last timestamp per stream key (channel * 4 + kind) for channels < 64; NaN = none yet. */
  private readonly lastTs = new Float64Array(256).fill(NaN);
  /** Added to the device time per stream key: grows at each clock step back. */
  private readonly shiftTs = new Float64Array(256);
  /** Set by `monotonic` when the frame it timed follows a clock step (read by the caller). */
  protected stepped = false;
  private readonly clocks = new Map<number, ClockState>();
  private readonly transient: boolean;
  private reuse: Buffer = EMPTY_BUF;
  protected readonly channels = new ChannelTable();

  readonly stats: DhStats = newStats();

  constructor(sink: DhSink, options: DhDemuxerOptions, magic: Buffer, trailerSize: number) {
    this.sink = sink;
    const cap = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    if (!(cap >= 64) || !Number.isFinite(cap)) {
      throw new ProtocolError('INVALID_ARGUMENT', `maxPacketSize must be a finite number >= 64, got ${cap}`);
    }
    this.maxPacketSize = cap;
    this.transient = options.transientPayload === true;
    this.magic = magic;
    this.trailerSize = trailerSize;
  }

  /**
   * Stream offset of the oldest pushed byte the demuxer may still read or hand out: chunks whose
   * bytes all lie before it are no longer referenced, and a reader may reuse their memory for the
   * next read — provided the frames' payloads do not outlive `frame()` (e.g. `transientPayload`
   * and writing them at once): payloads are views of the chunks.
   */
  get heldFrom(): number {
    return this.q.offset;
  }

  /** Feeds bytes. The demuxer keeps references to `chunk`: do not modify it afterwards (but see `heldFrom`). */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new ProtocolError('INVALID_ARGUMENT', 'push() after end()');
    if (chunk.length === 0) return;
    this.stats.bytes += chunk.length;
    this.q.push(chunk);
    this.run(false);
  }

  /** No more bytes: accepts a last packet that ends exactly at the end, reports a truncated tail. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.run(true);
    const q = this.q;
    if (q.length > 0) {
      const have = q.length;
      if (!this.hunting && have >= 2 && q.byteAt(0) === this.magic[0] && q.byteAt(1) === this.magic[1]) {
        const ctx: ErrorContext = { have };
        if (have >= HEADER_SIZE) ctx['length'] = this.declaredLength();
        this.report('DH_TRUNCATED', `stream ended inside a packet (${have} bytes of it)`, q.offset, ctx);
        this.stats.skippedBytes += have;
        q.skip(have);
      } else {
        this.discardGarbage(have);
      }
    }
    this.flushGarbage(true);
    this.finish();
  }

  /** Format hook: packet length from a buffered header (for truncation reports). */
  protected abstract declaredLength(): number;
  /** Format hook: handles non-packet runs at a packet boundary (DHAV padding / file header). */
  protected special(_b0: number, _ending: boolean): Step | -1 {
    return -1;
  }
  /** Format hook: validates the header at h[hp..hp+24), sets `len` and `extLen` (through `lengths`). */
  protected abstract checkHeader(h: Uint8Array, hp: number): HeaderCheck;

  /** For `checkHeader`: bounds a header's packet and extension lengths and keeps them. */
  protected lengths(len: number, ext: number): HeaderCheck {
    if (len < HEADER_SIZE + ext + this.trailerSize || len > this.maxPacketSize) return HeaderCheck.BadLength;
    this.len = len;
    this.extLen = ext;
    return HeaderCheck.Ok;
  }
  /** Format hook: trailer check once the whole packet is buffered at queue index 0 (DH: always true). */
  protected tailOk(): boolean {
    return true;
  }
  /** Format hook: do the bytes at index i (just past a packet) start another packet? */
  protected abstract followsAt(i: number, ending: boolean): Follow;
  /** Format hook: are the extensions at h[hp + 24, hp + 24 + extLen) well formed? No side effects. */
  protected abstract extOk(h: Uint8Array, hp: number): boolean;
  /** Format hook: must this packet's payload outlive `frame()` (DHAV pieces of a split frame)? */
  protected abstract retains(h: Uint8Array, hp: number): boolean;
  /**
   * Format hook: decode the header and extensions at h[hp..] (`extOk` passed) and hand the packet
   * out with `payload`. The packet has been consumed.
   */
  protected abstract accept(h: Uint8Array, hp: number, payload: Uint8Array, offset: number, checksumOk: boolean): void;
  /**
   * Format hook, the hot path: parses the packets lying wholly in b[p..] that need no judgement
   * (see the file comment) and returns where it stopped. `base` is the stream offset of b[0].
   */
  protected abstract scan(b: Uint8Array, p: number, base: number): number;
  /** Format hook at end(): report anything half-assembled. */
  protected finish(): void {}

  private run(ending: boolean): void {
    const q = this.q;
    const magic = this.magic;
    for (;;) {
      const avail = q.length;
      if (avail === 0) return;
      if (!this.hunting) {
        const head = q.headChunk;
        const p0 = q.headPos;
        const stop = this.scan(head, p0, q.offset - p0);
        if (stop !== p0) {
          q.skip(stop - p0);
          continue;
        }
        if (q.chunkCount >= 2 && this.bridge(head, p0, q.chunkAt(1))) continue;
      }
      if (this.hunting) {
        const i = q.indexOf(magic);
        if (i < 0) {
          // Keep a possible partial magic at the end for the next push.
          let keep = 0;
          if (!ending) {
            for (let k = Math.min(avail, magic.length - 1); k > 0; k--) {
              if (q.matchesAt(magic.subarray(0, k), avail - k)) {
                keep = k;
                break;
              }
            }
          }
          if (avail - keep > 0) this.discardGarbage(avail - keep);
          return;
        }
        if (i > 0) this.discardGarbage(i);
      }
      const r = this.step(ending);
      if (r === Step.NeedMore) return;
      if (r === Step.Reject) {
        this.hunting = true;
        this.discardGarbage(1);
      }
    }
  }

  private step(ending: boolean): Step {
    const q = this.q;
    const avail = q.length;
    const b0 = q.byteAt(0);
    if (!this.hunting) {
      // `special` first: it also closes a DHAV padding run at the first byte that is not padding,
      // so the padding event comes before whatever that byte leads to, however the bytes were cut.
      const s = this.special(b0, ending);
      if (s !== -1) return s;
      if (b0 === 0x73 /* 's' */) return this.preamble(ending);
    }
    if (avail < HEADER_SIZE) return Step.NeedMore;
    let h: Uint8Array = q.contiguousAt(0, HEADER_SIZE);
    if (h.length < HEADER_SIZE) {
      if (this.scratch.length < HEADER_SIZE) this.scratch = Buffer.allocUnsafe(256);
      q.copyTo(this.scratch, 0, 0, HEADER_SIZE);
      h = this.scratch;
    }
    const magic = this.magic;
    for (let k = 0; k < magic.length; k++) if (h[k] !== magic[k]) return Step.Reject;
    const hc = this.checkHeader(h, 0);
    if (hc !== HeaderCheck.Ok) {
      // An unknown type is just garbage (reported by the resync that follows); a bad length is its own error.
      if (!this.hunting && hc === HeaderCheck.BadLength) {
        this.report('DH_BAD_LENGTH', `impossible packet length ${this.declaredLength()}`, q.offset, { length: this.declaredLength(), max: this.maxPacketSize });
      }
      return Step.Reject;
    }
    const sum = checksumAt(h, 0);
    const checksumOk = sum === h[23];
    const checksumTrusted = this.badSums <= this.goodSums + 3;
    if (this.hunting && !checksumOk && checksumTrusted) return Step.Reject;
    const len = this.len;
    if (avail < len) return Step.NeedMore;
    const tailOk = this.tailOk();
    if (this.hunting && !tailOk) return Step.Reject;
    // A packet proves itself by its checksum (and DHAV trailer), in sync or after garbage: what
    // follows it does not matter. The following magic is asked for only where the checksum cannot
    // vouch: a mismatch, or a device whose packets mostly fail the documented rule (`checksumTrusted`).
    if (!checksumOk || !tailOk || (this.hunting && !checksumTrusted)) {
      const f = this.followsAt(len, ending);
      if (f === Follow.NeedMore) return Step.NeedMore;
      if (f === Follow.Disagrees) {
        if (!this.hunting) {
          if (!tailOk) this.report('DH_BAD_TRAILER', 'trailer disagrees with the header and no packet follows', q.offset, { length: len });
          else this.report('DH_CHECKSUM', 'header checksum mismatch and no packet follows', q.offset, { expected: sum, actual: h[23]! });
        }
        return Step.Reject;
      }
    }
    const offset = q.offset;
    const hdrLen = HEADER_SIZE + this.extLen;
    let hb: Uint8Array = q.contiguousAt(0, hdrLen);
    if (hb.length < hdrLen) {
      if (this.scratch.length < hdrLen) this.scratch = Buffer.allocUnsafe(Math.max(hdrLen, 256));
      q.copyTo(this.scratch, 0, 0, hdrLen);
      hb = this.scratch;
    }
    if (!this.extOk(hb, 0)) {
      if (!this.hunting) this.report('DH_BAD_EXTEND', 'malformed extend header', offset);
      return Step.Reject;
    }
    const payload = this.payloadAt(hdrLen, len - hdrLen - this.trailerSize, this.retains(hb, 0));
    q.skip(len);
    this.accept(hb, 0, payload, offset, checksumOk);
    if (this.hunting) {
      this.hunting = false;
      this.flushGarbage(false);
    }
    if (checksumOk) this.goodSums++;
    else {
      this.badSums++;
      this.stats.checksumMismatches++;
      this.report('DH_CHECKSUM', 'header checksum mismatch (packet kept: the next packet follows it)', offset, { expected: sum, actual: h[23]! });
    }
    if (!tailOk) this.report('DH_BAD_TRAILER', 'trailer disagrees with the header (packet kept: the next packet follows it)', offset, { length: len });
    return Step.Consumed;
  }

  /**
   * The hot path's partner for the packet that straddles the first two held chunks (one per chunk
   * edge): when its header and extensions lie in `prev` (the first chunk, live from `hp`), the rest
   * (payload end and trailer) in `cur` (the second), and everything agrees, the payload is assembled with one copy of each part and the packet
   * accepted. Anything else (header straddling, a third chunk, any doubt) is left to `step`.
   */
  private bridge(prev: Uint8Array, hp: number, cur: Uint8Array): boolean {
    const q = this.q;
    const have = prev.length - hp;
    if (have < HEADER_SIZE) return false;
    const magic = this.magic;
    for (let k = 0; k < magic.length; k++) if (prev[hp + k] !== magic[k]) return false;
    if (this.checkHeader(prev, hp) !== HeaderCheck.Ok || checksumAt(prev, hp) !== prev[hp + 23]) return false;
    const len = this.len;
    const hdrLen = HEADER_SIZE + this.extLen;
    const tail = len - this.trailerSize - have; // payload bytes in `cur`; the trailer follows them
    if (hdrLen > have || tail < 0 || len - have > cur.length) return false;
    if (!this.trailerOk(cur, tail, len) || !this.extOk(prev, hp)) return false;
    const head = have - hdrLen; // payload bytes in `prev`
    let payload: Uint8Array;
    if (head === 0) payload = viewOf(cur, 0, tail);
    else if (tail === 0) payload = viewOf(prev, hp + hdrLen, head);
    else {
      const n = head + tail;
      let out: Uint8Array;
      if (!this.transient || this.retains(prev, hp)) out = Buffer.allocUnsafe(n);
      else {
        if (this.reuse.length < n) this.reuse = Buffer.allocUnsafeSlow(Math.min(this.maxPacketSize, Math.max(n, this.reuse.length * 2, 256 * 1024)));
        out = viewOf(this.reuse, 0, n);
      }
      out.set(viewOf(prev, hp + hdrLen, head), 0);
      out.set(viewOf(cur, 0, tail), head);
      payload = out;
    }
    const offset = q.offset;
    q.skip(len);
    this.goodSums++;
    this.atPacket();
    this.accept(prev, hp, payload, offset, true);
    return true;
  }

  /** Format hook: is the trailer at b[t..] right for a packet of `len` bytes (DH: no trailer)? */
  protected trailerOk(_b: Uint8Array, _t: number, _len: number): boolean {
    return true;
  }

  /** Format hook: called by `bridge` before it accepts a packet (DHAV: ends a padding run). */
  protected atPacket(): void {}

  /** `streamId=<id>\r\n` before the binary data of playBack.cgi bodies (the WV-V series HTTP API V2.40 §4.2.3). */
  private preamble(ending: boolean): Step {
    const q = this.q;
    const avail = q.length;
    const n = Math.min(avail, STREAM_ID.length);
    if (!q.matchesAt(STREAM_ID.subarray(0, n), 0)) return Step.Reject;
    const nl = q.indexOf(0x0a /* '\n' */);
    if (nl < 0 || nl > MAX_PREAMBLE) {
      if (avail > MAX_PREAMBLE || ending) return Step.Reject;
      return Step.NeedMore;
    }
    const line = q.contiguousAt(0, nl);
    const text = line.length === nl ? line.toString('latin1') : copyText(q, nl);
    let id = text.slice(STREAM_ID.length);
    if (id.endsWith('\r')) id = id.slice(0, -1);
    const offset = q.offset;
    q.skip(nl + 1);
    this.emit({ type: 'preamble', offset, streamId: id });
    return Step.Consumed;
  }

  /**
   * The n bytes at queue index i as a payload, not consumed: a view when they lie in one chunk; else
   * ONE copy into an exact-size buffer (owned), or with `transientPayload` (and `owned` false) into
   * the reused buffer.
   */
  private payloadAt(i: number, n: number, owned: boolean): Uint8Array {
    const q = this.q;
    if (n === 0) return EMPTY_BUF;
    const v = q.contiguousAt(i, n);
    if (v.length === n) return v;
    let out: Buffer;
    if (owned || !this.transient) out = Buffer.allocUnsafe(n);
    else {
      if (this.reuse.length < n) this.reuse = Buffer.allocUnsafeSlow(Math.min(this.maxPacketSize, Math.max(n, this.reuse.length * 2, 256 * 1024)));
      out = this.reuse.subarray(0, n);
    }
    q.copyTo(out, 0, i, n);
    return out;
  }

  protected discardGarbage(n: number): void {
    if (this.garbage === 0) this.garbageStart = this.q.offset;
    this.garbage += n;
    this.q.skip(n);
  }

  private flushGarbage(atEnd: boolean): void {
    const n = this.garbage;
    if (n === 0) return;
    this.garbage = 0;
    this.stats.resyncs++;
    this.stats.skippedBytes += n;
    const error = new ProtocolError(
      'DH_RESYNC',
      atEnd ? `${n} bytes of garbage before the end of the stream` : `skipped ${n} bytes to the next packet`,
      { offset: this.garbageStart, context: { skipped: n } },
    );
    this.emit({ type: 'resync', offset: this.garbageStart, skipped: n, error });
  }

  protected report(code: ErrorCode, message: string, offset: number, context?: ErrorContext): void {
    this.stats.errors++;
    if (this.sink.event === undefined) return;
    this.sink.event({ type: 'error', error: new ProtocolError(code, message, { offset, context: { format: this.format, ...context } }) });
  }

  protected emit(e: DhEvent): void {
    this.sink.event?.(e);
  }

  protected deliver(f: DhFrame): void {
    const st = this.stats;
    if (f.kind === 'video') st.frames.video++;
    else if (f.kind === 'audio') st.frames.audio++;
    else st.frames.aux++;
    st.payloadBytes += f.payload.length;
    this.sink.frame(f);
  }

  /**
   * Never-backwards per stream (channel + kind): device time `t` plus the stream's shift. A step
   * back of at most CLOCK_STEP_MS is held at the last value (jitter); a larger one is a clock step:
   * reported as a `discontinuity` event and the stream goes on from its last timestamp at the new
   * device time (the shift absorbs the step). Sets `stepped` for the frame.
   */
  protected monotonic(channel: number, kind: FrameKind, t: number, offset: number): number {
    const key = channel * 4 + (kind === 'video' ? 0 : kind === 'audio' ? 1 : 2);
    let last: number;
    let shift: number;
    let c: ClockState | undefined;
    if (key < 256) {
      last = this.lastTs[key]!;
      shift = this.shiftTs[key]!;
    } else {
      c = this.clocks.get(key);
      if (c === undefined) this.clocks.set(key, (c = { last: NaN, shift: 0 }));
      last = c.last;
      shift = c.shift;
    }
    let out = t + shift;
    this.stepped = false;
    if (out < last) {
      if (last - out <= CLOCK_STEP_MS) return last;
      shift = last - t;
      this.stepped = true;
      this.emit({ type: 'discontinuity', offset, channel, kind, from: last - this.lastShift(key, c), to: t });
      out = last;
      if (c === undefined) this.shiftTs[key] = shift;
      else c.shift = shift;
    }
    if (c === undefined) this.lastTs[key] = out;
    else c.last = out;
    return out;
  }

  private lastShift(key: number, c: ClockState | undefined): number {
    return c === undefined ? this.shiftTs[key]! : c.shift;
  }
}

function copyText(q: ByteQueue, n: number): string {
  const b = Buffer.allocUnsafe(n);
  q.copyTo(b, 0, 0, n);
  return b.toString('latin1');
}

/** What a channel last said about its streams: later packets without extensions inherit it. */
export interface ChannelState {
  videoCodecId: number;
  width: number;
  height: number;
  fps: number;
  iFrameInterval: number;
  audioCodecId: number;
  sampleRate: number;
  channels: number;
}

export function newChannelState(): ChannelState {
  return { videoCodecId: -1, width: 0, height: 0, fps: 0, iFrameInterval: 0, audioCodecId: -1, sampleRate: 0, channels: 0 };
}

/** Channel states by channel number, the last one cached (saves a map lookup per frame). */
export class ChannelTable {
  private readonly byChannel = new Map<number, ChannelState>();
  private lastChannel = -1;
  private lastState: ChannelState = newChannelState();

  /** What `channel` last said about its streams, created on first sight. */
  get(channel: number): ChannelState {
    if (channel === this.lastChannel) return this.lastState;
    let s = this.byChannel.get(channel);
    if (s === undefined) {
      s = newChannelState();
      this.byChannel.set(channel, s);
    }
    this.lastChannel = channel;
    return (this.lastState = s);
  }
}

/** A whole frame (one piece): the video fields of `st` for video only, the audio fields for audio only. */
export function frameOf(
  format: DhFormat,
  kind: FrameKind,
  codec: DhCodec,
  keyframe: boolean,
  st: ChannelState,
  channel: number,
  sequence: number,
  timestamp: number,
  time: number,
  checksumOk: boolean,
  offset: number,
  meta: DhMeta,
  payload: Uint8Array,
): DhFrame {
  const video = kind === 'video';
  const audio = kind === 'audio';
  return {
    format,
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
    timestamp,
    time,
    checksumOk,
    offset,
    pieces: 1,
    meta,
    payload,
  };
}

export const EMPTY = Buffer.alloc(0);

export function newStats(): DhStats {
  return {
    frames: { video: 0, audio: 0, aux: 0 },
    bytes: 0,
    payloadBytes: 0,
    resyncs: 0,
    skippedBytes: 0,
    paddingBytes: 0,
    checksumMismatches: 0,
    errors: 0,
  };
}

/** A frame's own metadata object, for packets that carry more than type, codec and I-frame interval. */
export function ownMeta(packetType: number, iFrameInterval: number): DhMeta {
  const m: DhMeta = { packetType, codecId: -1 };
  if (iFrameInterval >= 0) m.iFrameInterval = iFrameInterval;
  return m;
}

/**
 * Shared, frozen metadata objects for the common packets (type, codec, I-frame interval and the DHAV
 * subtype only): one per packet type, replaced when one of those changes. Saves an object per frame.
 */
export class MetaCache {
  /** By packet type & 0x3f: distinct for the DH (0x10, 0x20, 0x21) and DHAV (0xF0..0xFF) types. */
  private readonly byType: (DhMeta | undefined)[] = new Array<DhMeta | undefined>(64).fill(undefined);
  /** DHAV metadata carries `subtype`. */
  private readonly withSubtype: boolean;

  constructor(withSubtype: boolean) {
    this.withSubtype = withSubtype;
  }

  get(packetType: number, subtype: number, codecId: number, iFrameInterval: number): DhMeta {
    const m = this.byType[packetType & 0x3f];
    if (m !== undefined && m.packetType === packetType && m.codecId === codecId && (m.iFrameInterval ?? -1) === iFrameInterval && (!this.withSubtype || m.subtype === subtype)) return m;
    // Key order as the frames always had it (JSON output): packetType, codecId, subtype, iFrameInterval.
    const n: DhMeta = this.withSubtype ? { packetType, codecId, subtype } : { packetType, codecId };
    if (iFrameInterval >= 0) n.iFrameInterval = iFrameInterval;
    Object.freeze(n);
    this.byType[packetType & 0x3f] = n;
    return n;
  }
}

/** Header checksum (the WV-V series HTTP API V2.40 §7.1): bytes 0..22 of the header at b[p] mod 256. */
export function checksumAt(b: Uint8Array, p: number): number {
  // Unrolled: 14 ns against 20 ns for the loop on this machine.
  return (
    b[p]! + b[p + 1]! + b[p + 2]! + b[p + 3]! + b[p + 4]! + b[p + 5]! + b[p + 6]! + b[p + 7]! +
    b[p + 8]! + b[p + 9]! + b[p + 10]! + b[p + 11]! + b[p + 12]! + b[p + 13]! + b[p + 14]! + b[p + 15]! +
    b[p + 16]! + b[p + 17]! + b[p + 18]! + b[p + 19]! + b[p + 20]! + b[p + 21]! + b[p + 22]!
  ) & 0xff;
}

/**
 * A payload view of b[at, at + n) sharing b's memory: a plain Uint8Array (cheaper to make than a
 * Buffer view; the frame type promises a Uint8Array).
 */
export function viewOf(b: Uint8Array, at: number, n: number): Uint8Array {
  return n === 0 ? EMPTY : new Uint8Array(b.buffer, b.byteOffset + at, n);
}

export function u16(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

export function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000;
}
