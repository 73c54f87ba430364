/**
 * Motion JPEG RTP depacketizer (RFC 2435): payloads in, complete JPEG images out (one per frame).
 *
 * Payload headers (§3.1):
 * ```
 * main JPEG header, 8 bytes
 * | type-specific 8 | fragment offset 24 (scan byte offset of this packet's data) |
 * | Type 8 | Q 8 | Width/8 8 | Height/8 8 |
 * restart marker header, 4 bytes, Type 64-127 only (§3.1.7)
 * | Restart Interval 16 | F 1 | L 1 | Restart Count 14 |
 * quantization table header, Q 128-255 and fragment offset 0 only (§3.1.8)
 * | MBZ 8 | Precision 8 (bit i: table i is 16-bit) | Length 16 | tables ... |
 * then scan data
 * ```
 * Types 0 (4:2:2) and 1 (4:2:0) and their restart-marker variants 64/65 are supported (§4.1); other
 * types are JPEG_UNSUPPORTED. Q 1-99: tables computed (RFC §4.2); Q 100-127 reserved; Q 128-255:
 * tables in band, cached per Q, a later Length 0 reuses the cache (§3.1.8).
 *
 * The frame is rebuilt as SOI, DQT, SOF0, DHT, [DRI], SOS (see header.ts), the scan bytes (copied
 * once, as they arrive, into slab-carved output like the H.264 depacketizer) and EOI. The marker
 * bit ends a frame (§3.1); a timestamp change or a packet with fragment offset 0 ends an unfinished
 * one. Fragment offsets must follow each other: a gap or offset mismatch makes the frame lossy; in
 * 'drop' mode (default) it is reported (JPEG_FRAGMENT_LOST) and not delivered, in 'flag' mode the
 * contiguous prefix from offset 0 is delivered with `loss: true` (a decoder shows the top rows).
 *
 * Width/height fields count 8-pixel blocks, so 2040 is the largest size they carry; larger cameras
 * announce `a=x-dimensions:<w>,<h>` in the SDP (docs/camera-quirks.md #21). The `width`/`height` options,
 * when given, override the header fields.
 */
import { ProtocolError, type ErrorCode } from '../../errors.js';
import { DepacketizerBase } from '../depacketizer-base.js';
import { OLD_PACKET, SequenceGap } from '../sequence-gap.js';
import type { AccessUnit, AccessUnitSink, DepacketizerStats, LossMode } from '../types.js';
import { jpegHeaderSize, writeJpegHeader, type JpegHeaderParams } from './header.js';
import { rfc2435QuantTables } from './tables.js';
import { copyBytes } from '../../bytes/copy.js';

export interface JpegDepacketizerOptions {
  lossMode?: LossMode;
  /** Cap on one image's bytes (AU_TOO_LARGE above it). Default 16 MiB. */
  maxAccessUnitSize?: number;
  /** From SDP `a=x-dimensions:<w>,<h>`: used instead of the 8-bit width/height fields. */
  width?: number;
  height?: number;
  context?: Record<string, string | number>;
}

export type JpegDepacketizerStats = DepacketizerStats;

const SLAB_SIZE = 1024 * 1024;
const EMPTY = new Uint8Array(0);

export class JpegDepacketizer extends DepacketizerBase {
  readonly stats: JpegDepacketizerStats = { packets: 0, units: 0, droppedUnits: 0, lostPackets: 0, oldPackets: 0, errors: 0 };
  /** Size of the last frame's picture. */
  width = 0;
  height = 0;

  private readonly sink: AccessUnitSink;
  private readonly dropLossy: boolean;
  private readonly maxAu: number;
  private readonly wOverride: number | undefined;
  private readonly hOverride: number | undefined;
  private readonly ctx: Record<string, string | number>;
  /** In-band tables by Q (128-255): luma + chroma. */
  private readonly qCache = new Map<number, { luma: Uint8Array; chroma: Uint8Array }>();
  /** Computed tables by Q (1-99). */
  private readonly qComputed = new Map<number, Uint8Array>();

  private out: Uint8Array = EMPTY;
  private base = 0;
  private pos = 0;
  private active = false;
  /** Frame still accepting scan bytes (false after an offset gap: the prefix is kept). */
  private contiguous = false;
  private scanFill = 0;
  private fTs = 0;
  private fSeq = 0;
  private fLoss = false;
  private fDisc = false;
  private fReason = '';
  private fDiscard = false;
  /** A loss while no frame was open: the next frame is a discontinuity. */
  private discPending = false;
  private readonly seqGap = new SequenceGap(this.stats);

  constructor(sink: AccessUnitSink, opts: JpegDepacketizerOptions = {}) {
    super();
    this.sink = sink;
    this.dropLossy = (opts.lossMode ?? 'drop') === 'drop';
    this.maxAu = opts.maxAccessUnitSize ?? 16 * 1024 * 1024;
    this.wOverride = opts.width && opts.width > 0 ? opts.width : undefined;
    this.hOverride = opts.height && opts.height > 0 ? opts.height : undefined;
    this.ctx = opts.context ?? {};
  }

  override pushPayload(buf: Uint8Array, s: number, e: number, timestamp: number, marker: boolean, seq: number, lost?: number): void {
    const gap = this.seqGap.next(seq, lost);
    if (gap !== 0) {
      if (gap === OLD_PACKET) return;
      if (this.active) this.markLoss('packets lost');
      this.discPending = true;
    }
    timestamp >>>= 0;
    if (this.active && timestamp !== this.fTs) this.finish(false);
    if (e - s < 8) return this.bad('JPEG_BAD_PAYLOAD', `payload of ${e - s} bytes is shorter than the main JPEG header`, buf, s, e, seq);
    const offset = (buf[s + 1]! << 16) | (buf[s + 2]! << 8) | buf[s + 3]!;
    const rawType = buf[s + 4]!;
    const q = buf[s + 5]!;
    let p = s + 8;
    let dri = 0;
    if (rawType >= 64 && rawType <= 127) {
      if (e - p < 4) return this.bad('JPEG_BAD_PAYLOAD', 'restart marker header truncated', buf, s, e, seq);
      dri = (buf[p]! << 8) | buf[p + 1]!;
      p += 4;
    }
    if (offset === 0) {
      if (this.active) {
        this.markLoss('new frame before the previous one ended');
        this.finish(false);
      }
      const type = rawType & 0x3f;
      if (rawType > 127 || type > 1) return this.bad('JPEG_UNSUPPORTED', `RFC 2435 type ${rawType} (only 0, 1, 64, 65)`, buf, s, e, seq, true);
      const width = this.wOverride ?? buf[s + 6]! * 8;
      const height = this.hOverride ?? buf[s + 7]! * 8;
      if (width === 0 || height === 0) return this.bad('JPEG_BAD_PAYLOAD', 'width or height 0 (over 2040 px needs a=x-dimensions)', buf, s, e, seq, true);
      let luma: Uint8Array;
      let chroma: Uint8Array;
      if (q >= 128) {
        if (e - p < 4) return this.bad('JPEG_BAD_PAYLOAD', 'quantization table header truncated', buf, s, e, seq, true);
        const precision = buf[p + 1]!;
        const length = (buf[p + 2]! << 8) | buf[p + 3]!;
        p += 4;
        if (p + length > e) return this.bad('JPEG_BAD_PAYLOAD', `quantization tables (${length} bytes) run past the packet`, buf, s, e, seq, true);
        if (length === 0) {
          const c = this.qCache.get(q);
          if (!c) return this.bad('JPEG_BAD_PAYLOAD', `Q ${q} refers to tables never received`, buf, s, e, seq, true);
          luma = c.luma;
          chroma = c.chroma;
        } else {
          const l0 = precision & 1 ? 128 : 64;
          const l1 = precision & 2 ? 128 : 64;
          if (length < l0) return this.bad('JPEG_BAD_PAYLOAD', `quantization table length ${length} < ${l0}`, buf, s, e, seq, true);
          luma = copyBytes(buf, p, p + l0);
          // One table only: tolerated, used for chroma too.
          chroma = length >= l0 + l1 ? copyBytes(buf, p + l0, p + l0 + l1) : luma;
          this.qCache.set(q, { luma, chroma });
        }
        p += length;
      } else if (q >= 1 && q <= 99) {
        let t = this.qComputed.get(q);
        if (!t) this.qComputed.set(q, (t = rfc2435QuantTables(q)));
        luma = t.subarray(0, 64);
        chroma = t.subarray(64);
      } else {
        return this.bad('JPEG_UNSUPPORTED', `reserved Q ${q}`, buf, s, e, seq, true);
      }
      this.begin(timestamp, seq, { type, width, height, luma, chroma, restartInterval: dri });
    } else if (!this.active) {
      // Middle of a frame whose first packet we never saw (mid-stream join or loss).
      this.discPending = true;
      return;
    } else if (offset !== this.scanFill) {
      this.markLoss(`fragment offset ${offset}, expected ${this.scanFill}`);
      this.contiguous = false;
    }
    if (this.contiguous && !this.fDiscard && e > p) this.append(buf, p, e);
    if (marker) this.finish(true);
  }

  override flush(): void {
    if (this.active) {
      this.markLoss('stream ended inside a frame');
      this.finish(false);
    }
  }

  override reset(): void {
    this.clear();
    this.seqGap.reset();
    this.discPending = true;
  }

  private begin(ts: number, seq: number, h: JpegHeaderParams): void {
    this.active = true;
    this.contiguous = true;
    this.scanFill = 0;
    this.fTs = ts;
    this.fSeq = seq;
    this.fDisc = this.discPending;
    this.discPending = false;
    this.width = h.width;
    this.height = h.height;
    const n = jpegHeaderSize(h);
    if (!this.reserve(n + 2)) return;
    this.pos = writeJpegHeader(this.out, this.pos, h);
  }

  private append(buf: Uint8Array, s: number, e: number): void {
    const n = e - s;
    // + 2 keeps room for the EOI.
    if (!this.reserve(n + 2)) return;
    this.out.set(new Uint8Array(buf.buffer, buf.byteOffset + s, n), this.pos);
    this.pos += n;
    this.scanFill += n;
  }

  private reserve(n: number): boolean {
    const need = this.pos + n;
    if (need - this.base > this.maxAu) {
      this.report(new ProtocolError('AU_TOO_LARGE', `JPEG frame over ${this.maxAu} bytes: dropped`, { context: { ...this.ctx, timestamp: this.fTs, seq: this.fSeq } }));
      this.fDiscard = true;
      this.pos = this.base;
      return false;
    }
    if (need > this.out.length) {
      const used = this.pos - this.base;
      const size = Math.max(SLAB_SIZE, Math.min(this.maxAu + 2, Math.max(used + n, used * 2)));
      const next = new Uint8Array(new ArrayBuffer(size));
      if (used > 0) next.set(this.out.subarray(this.base, this.pos));
      this.out = next;
      this.base = 0;
      this.pos = used;
    }
    return true;
  }

  private markLoss(reason: string): void {
    if (!this.fLoss) this.fReason = reason;
    this.fLoss = true;
  }

  private finish(byMarker: boolean): void {
    if (!byMarker) this.markLoss(this.fReason || 'frame ended without its marker packet');
    if (this.fDiscard) {
      this.stats.droppedUnits++;
      this.discPending = true;
      this.clear();
      return;
    }
    if (this.fLoss && (this.dropLossy || this.scanFill === 0)) {
      this.stats.droppedUnits++;
      this.report(new ProtocolError('JPEG_FRAGMENT_LOST', `JPEG frame dropped: ${this.fReason}`, { context: { ...this.ctx, timestamp: this.fTs, seq: this.fSeq } }));
      this.discPending = true;
      this.clear();
      return;
    }
    const out = this.out;
    // Some senders leave the EOI inside the scan data: never write a second one.
    if (!(out[this.pos - 2] === 0xff && out[this.pos - 1] === 0xd9)) {
      out[this.pos++] = 0xff;
      out[this.pos++] = 0xd9;
    }
    const data = out.subarray(this.base, this.pos);
    this.base = this.pos;
    const unit: AccessUnit = {
      codec: 'jpeg',
      timestamp: this.fTs,
      sequenceNumber: this.fSeq,
      keyframe: true,
      data,
      loss: this.fLoss,
      discontinuity: this.fDisc,
    };
    this.clear();
    this.stats.units++;
    this.sink.onUnit(unit);
  }

  private clear(): void {
    this.active = false;
    this.pos = this.base;
    this.contiguous = false;
    this.scanFill = 0;
    this.fLoss = false;
    this.fDisc = false;
    this.fReason = '';
    this.fDiscard = false;
  }

  /** `_frameStart`: the error is about a first packet (no frame is open then; kept for call-site clarity). */
  private bad(code: ErrorCode, msg: string, buf: Uint8Array, s: number, e: number, seq: number, _frameStart = false): void {
    if (this.active) {
      this.markLoss(msg);
      this.contiguous = false;
    }
    this.discPending = true;
    this.report(new ProtocolError(code, msg, { context: { ...this.ctx, seq, timestamp: this.fTs }, bytes: buf.subarray(s, Math.min(e, s + 64)) }));
  }

  private report(err: ProtocolError): void {
    this.stats.errors++;
    this.sink.onError?.(err);
  }
}
