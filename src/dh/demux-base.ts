/**
 * The framing engine shared by `DhDemuxer` and `DhavDemuxer`: a sans-IO push parser over a
 * `ByteQueue` that finds packets, decides when a packet can be trusted, resynchronises after
 * garbage, and hands each accepted packet to the format's `accept()`.
 *
 * Trust rules (issue 2 §2):
 * - In sync (right after a good packet, or at the start), a packet whose magic, type, length bounds
 *   and checksum (and DHAV trailer) agree is accepted at once — no added latency on live streams.
 * - A packet with a bad checksum or trailer while in sync is accepted only when the bytes after it
 *   start the next packet (the "following magic"); it is then reported, not dropped.
 * - After garbage (hunting), a candidate found with native `indexOf` is accepted only when type,
 *   length bounds, checksum, trailer AND the following magic agree, or the data ends exactly there.
 * - Anything else: report (when it was in sync), skip one byte, hunt. Skipped bytes are counted and
 *   reported once per resync with the offset where the garbage began.
 */
import { ByteQueue } from '../bytes/byte-queue.js';
import { ProtocolError, type ErrorCode, type ErrorContext } from '../errors.js';
import type { DhEvent, DhFormat, DhFrame, DhSink, DhStats, DhDemuxerOptions, FrameKind } from './types.js';
import { DEFAULT_MAX_PACKET_SIZE } from './types.js';

export const HEADER_SIZE = 24;
/** Longest `streamId=<id>\r\n` line accepted (seed 003 §4.2.3 shows short numeric ids). */
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
}

export abstract class DemuxBase {
  abstract readonly format: DhFormat;
  protected readonly q = new ByteQueue();
  protected readonly sink: DhSink;
  protected readonly maxPacketSize: number;
  protected readonly magic: Buffer;
  private readonly scratch = Buffer.alloc(HEADER_SIZE);
  private hunting = false;
  private garbage = 0;
  private garbageStart = 0;
  private ended = false;
  /**
   * Quirk (notes/dh-format.md: the DH checksum rule is unverified on real devices): when accepted
   * packets mostly fail the checksum, the device uses another rule, so the checksum stops being a
   * resync criterion (the following magic and length still are).
   */
  private goodSums = 0;
  private badSums = 0;
  private readonly clocks = new Map<number, ClockState>();
  private readonly transient: boolean;
  private reuse: Buffer = EMPTY_BUF;

  readonly stats: DhStats = {
    frames: { video: 0, audio: 0, aux: 0 },
    bytes: 0,
    payloadBytes: 0,
    resyncs: 0,
    skippedBytes: 0,
    paddingBytes: 0,
    checksumMismatches: 0,
    errors: 0,
  };

  constructor(sink: DhSink, options: DhDemuxerOptions, magic: string) {
    this.sink = sink;
    const cap = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    if (!(cap >= 64) || !Number.isFinite(cap)) {
      throw new ProtocolError('INVALID_ARGUMENT', `maxPacketSize must be a finite number >= 64, got ${cap}`);
    }
    this.maxPacketSize = cap;
    this.transient = options.transientPayload === true;
    this.magic = Buffer.from(magic, 'latin1');
  }

  /** Feeds bytes. The demuxer keeps references to `chunk`: do not modify it afterwards. */
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
  /** Format hook: validates the header, sets the packet length/extension length fields. */
  protected abstract checkHeader(h: Uint8Array): HeaderCheck;
  protected abstract packetLength(): number;
  /** Format hook: trailer check once the whole packet is buffered (DH: always true). */
  protected tailOk(): boolean {
    return true;
  }
  /** Format hook: do the bytes at index i (just past a packet) start another packet? */
  protected abstract followsAt(i: number, ending: boolean): Follow;
  /**
   * Format hook: decode extensions and hand the packet out; the packet is buffered whole at index 0.
   * Returns false when the extend headers are malformed (nothing consumed).
   */
  protected abstract accept(h: Uint8Array, offset: number, checksumOk: boolean, tailOk: boolean): boolean;
  /** Format hook at end(): report anything half-assembled. */
  protected finish(): void {}

  private run(ending: boolean): void {
    const q = this.q;
    const magic = this.magic;
    for (;;) {
      const avail = q.length;
      if (avail === 0) return;
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
    if (b0 === 0x73 /* 's' */ && !this.hunting) return this.preamble(ending);
    if (!this.hunting) {
      const s = this.special(b0, ending);
      if (s !== -1) return s;
    }
    if (avail < HEADER_SIZE) return Step.NeedMore;
    let h: Uint8Array = q.contiguousAt(0, HEADER_SIZE);
    if (h.length < HEADER_SIZE) {
      q.copyTo(this.scratch, 0, 0, HEADER_SIZE);
      h = this.scratch;
    }
    const magic = this.magic;
    for (let k = 0; k < magic.length; k++) if (h[k] !== magic[k]) return Step.Reject;
    const hc = this.checkHeader(h);
    if (hc !== HeaderCheck.Ok) {
      // An unknown type is just garbage (reported by the resync that follows); a bad length is its own error.
      if (!this.hunting && hc === HeaderCheck.BadLength) {
        this.report('DH_BAD_LENGTH', `impossible packet length ${this.declaredLength()}`, q.offset, { length: this.declaredLength(), max: this.maxPacketSize });
      }
      return Step.Reject;
    }
    let sum = 0;
    for (let k = 0; k < 23; k++) sum += h[k]!;
    const checksumOk = (sum & 0xff) === h[23];
    const checksumTrusted = this.badSums <= this.goodSums + 3;
    if (this.hunting && !checksumOk && checksumTrusted) return Step.Reject;
    const len = this.packetLength();
    if (avail < len) return Step.NeedMore;
    const tailOk = this.tailOk();
    if (this.hunting && !tailOk) return Step.Reject;
    if (this.hunting || !checksumOk || !tailOk) {
      const f = this.followsAt(len, ending);
      if (f === Follow.NeedMore) return Step.NeedMore;
      if (f === Follow.Disagrees) {
        if (!this.hunting) {
          if (!tailOk) this.report('DH_BAD_TRAILER', 'trailer disagrees with the header and no packet follows', q.offset, { length: len });
          else this.report('DH_CHECKSUM', 'header checksum mismatch and no packet follows', q.offset, { expected: sum & 0xff, actual: h[23]! });
        }
        return Step.Reject;
      }
    }
    const offset = q.offset;
    // `h` may be a view into a chunk the queue is about to release; accept() reads it first.
    if (!this.accept(h, offset, checksumOk, tailOk)) {
      if (!this.hunting) this.report('DH_BAD_EXTEND', 'malformed extend header', offset);
      return Step.Reject;
    }
    if (this.hunting) {
      this.hunting = false;
      this.flushGarbage(false);
    }
    if (checksumOk) this.goodSums++;
    else {
      this.badSums++;
      this.stats.checksumMismatches++;
      this.report('DH_CHECKSUM', 'header checksum mismatch (packet kept: the next packet follows it)', offset, { expected: sum & 0xff, actual: h[23]! });
    }
    if (!tailOk) this.report('DH_BAD_TRAILER', 'trailer disagrees with the header (packet kept: the next packet follows it)', offset, { length: len });
    return Step.Consumed;
  }

  /** `streamId=<id>\r\n` before the binary data of playBack.cgi bodies (seed 003 §4.2.3). */
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
   * Removes and returns the next n bytes as a payload: a view when they lie in one chunk; else one
   * exact copy (owned), or with `transientPayload` (and `owned` false) a view of a reused buffer.
   */
  protected takePayload(n: number, owned: boolean): Uint8Array {
    const q = this.q;
    if (n === 0) return EMPTY_BUF;
    if (owned || !this.transient) return q.take(n);
    const v = q.contiguousAt(0, n);
    if (v.length === n) {
      q.skip(n);
      return v;
    }
    if (this.reuse.length < n) this.reuse = Buffer.allocUnsafeSlow(Math.min(this.maxPacketSize, Math.max(n, this.reuse.length * 2, 256 * 1024)));
    const out = this.reuse.subarray(0, n);
    q.copyTo(out, 0, 0, n);
    q.skip(n);
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

  /** Never-backwards per stream (channel + kind): holds a step back at the last value. */
  protected monotonic(channel: number, kind: FrameKind, t: number): number {
    const key = channel * 4 + (kind === 'video' ? 0 : kind === 'audio' ? 1 : 2);
    let c = this.clocks.get(key);
    if (c === undefined) {
      c = { last: t };
      this.clocks.set(key, c);
      return t;
    }
    if (t < c.last) return c.last;
    c.last = t;
    return t;
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

export const EMPTY = Buffer.alloc(0);

/** Extension area at [24, 24 + n) of the buffered packet: a view, or a copy when it spans chunks. */
export function extensionView(q: ByteQueue, n: number): Uint8Array {
  if (n === 0) return EMPTY;
  const v = q.contiguousAt(HEADER_SIZE, n);
  if (v.length === n) return v;
  const b = Buffer.allocUnsafe(n);
  q.copyTo(b, 0, HEADER_SIZE, n);
  return b;
}

export function u16(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8);
}

export function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000;
}
