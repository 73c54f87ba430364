/**
 * Access-unit assembly shared by the H.264 (RFC 6184) and H.265 (RFC 7798) depacketizers. A codec
 * subclass parses its payload structures (single NAL, STAP-A/AP, FU-A/FU) and feeds whole NALs or
 * FU fragments in through `nal` / `beginNal` + `append` + `endNal`; this class owns everything
 * else: the output buffer, NAL bookkeeping, unit boundaries, loss, caps and emission.
 *
 * Output layout of one unit, `out[base, pos)`, each NAL written once as it arrives:
 * ```
 * | 00 00 00 01 (or 4-byte BE length) | NAL header (1 or 2 bytes) | NAL payload ... | next NAL ...
 *   ^ nalStarts[i]                       ^ nalus[i] starts here
 * ```
 * - One copy. Pushed payloads are read only during `push` (safe with socket read buffers that get
 *   reused). Per packet: a few field reads and one copy of the payload bytes, no allocation but the
 *   source view the copy needs.
 * - Owned output (default): units are carved one after another from slabs of 64-512 KiB (about four of the largest units seen)
 *   (uninitialised memory: every byte handed out has been written); a unit that outgrows its slab
 *   moves once to a new slab sized for the largest unit seen so far (amortised, never per fragment).
 *   An emitted unit is a view that is never written again ("yours to keep"; it keeps its slab alive,
 *   like a pooled Node Buffer). Writing memory the process has not touched yet costs page faults,
 *   which is the price of handing out memory the caller may keep.
 * - Transient output (`transient: true`): one buffer, reused for every unit (grown by doubling up to
 *   the unit cap, never shrunk); a unit is valid only while `onUnit` runs.
 * - Unit boundaries: a change of RTP timestamp always ends the current unit (FLIR M400 never sets
 *   the marker, docs/camera-quirks.md #12). The marker bit (RFC 6184 §5.1, RFC 7798 §4.1: set on the last
 *   packet of an access unit) ends it only when the unit already holds a VCL NAL and no FU is
 *   half-way: Tapo TC70 / Reolink Duo 2 set the marker on the SPS/PPS packet and moonfire-nvr #352
 *   cameras on an SEI packet, each followed by the slices of the same picture with the same
 *   timestamp; ending there would split one picture into a parameter-set-only unit and a unit
 *   without parameter sets.
 * - Loss. Sequence continuity is checked here (sequence-gap.ts). A forward gap aborts a half-done FU
 *   (its fragments are rolled back: two NALs are never glued), marks the current unit lossy when it
 *   was not closed by a marker (its tail may be what was lost) and the next unit lossy (its head may
 *   be). In `'drop'` mode (default) lossy units are not delivered: `onError` gets one
 *   <codec>_FRAGMENT_LOST per dropped unit. In `'flag'` mode they are delivered with `loss: true`,
 *   holding only complete NAL units. The unit after any loss/drop has `discontinuity: true`.
 * - Caps: bytes per unit and NALs per unit; over either the unit is dropped with AU_TOO_LARGE.
 */
import { ProtocolError, type ErrorCode } from '../errors.js';
import { findStartCode } from './annex-b.js';
import { OLD_PACKET, SequenceGap } from './sequence-gap.js';
import { DepacketizerBase } from './depacketizer-base.js';
import type { AccessUnit, AccessUnitSink, CodecName, DepacketizerStats, LossMode } from './types.js';
import { copyBytes } from '../bytes/copy.js';

/** Options every H.26x depacketizer takes. */
export interface NalUnitAssemblerOptions {
  /** What to do with a unit that lost packets: 'drop' (default) or deliver it with loss: true. */
  lossMode?: LossMode;
  /** Cap on one access unit's output bytes (AU_TOO_LARGE above it). Default 16 MiB. */
  maxAccessUnitSize?: number;
  /** Cap on NAL units per access unit (AU_TOO_LARGE above it). Default 4096. */
  maxNalusPerAccessUnit?: number;
  /** Put the latest parameter sets before a keyframe unit that lacks them (default true). */
  insertParameterSets?: boolean;
  /** Added to every error's context (track, channel, ssrc ...). */
  context?: Record<string, string | number>;
  /**
   * Write every unit into one reused buffer instead of new memory (default false). A unit's `data`
   * and `nalus` are then valid only until `onUnit` returns: the next unit overwrites them. For sinks
   * that consume the bytes at once (write to a file or socket, hash, forward): no page faults on
   * fresh memory, and the unit stays in cache. Copy whatever must outlive the call.
   */
  transient?: boolean;
}

export type NalUnitAssemblerStats = DepacketizerStats;

/** What differs between the codecs at this level. */
export interface NalCodecTraits<SpsInfo> {
  codec: CodecName;
  /** 'H.264': error messages. */
  label: string;
  /** NAL unit header bytes: 1 (H.264, RFC 6184 §1.3) or 2 (H.265, RFC 7798 §1.1.4). */
  nalHeaderSize: 1 | 2;
  /** 'FU-A' / 'FU': loss reasons. */
  fuName: string;
  lostCode: ErrorCode;
  /** Indexed by a NAL's first header byte: 1 when the NAL makes the unit a keyframe (IDR / IRAP). */
  keyNal: Uint8Array;
  /** 4-byte big-endian lengths instead of Annex B start codes. */
  lengthPrefixed: boolean;
  /** Throws a ProtocolError when the SPS cannot be used. */
  parseSps(sps: Uint8Array): SpsInfo;
}

/**
 * Units are carved from slabs (a kept unit keeps its slab alive, like Node's pool). A slab holds
 * about SLAB_UNITS of the largest units seen so far, within [SLAB_MIN, SLAB_MAX]: one allocation per
 * several units, and a process holding hundreds of sessions keeps a few largest units per session,
 * not a fixed half megabyte (bench/many-sessions.ts).
 */
const SLAB_MIN = 64 * 1024;
const SLAB_MAX = 512 * 1024;
const SLAB_UNITS = 4;
const EMPTY = new Uint8Array(0);

export abstract class NalUnitAssembler<SpsInfo> extends DepacketizerBase {
  readonly stats: NalUnitAssemblerStats = { packets: 0, units: 0, droppedUnits: 0, lostPackets: 0, oldPackets: 0, errors: 0 };
  /** Latest SPS / PPS (copies, in-band or from the SDP). */
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** Parsed latest SPS (undefined until a parseable one is seen). */
  spsInfo: SpsInfo | undefined;

  private readonly sink: AccessUnitSink;
  private readonly codec: CodecName;
  private readonly label: string;
  private readonly hs: 1 | 2;
  private readonly fuName: string;
  private readonly lostCode: ErrorCode;
  private readonly keyNal: Uint8Array;
  private readonly lengthPrefixed: boolean;
  private readonly parseSps: (sps: Uint8Array) => SpsInfo;
  private readonly dropLossy: boolean;
  private readonly maxAu: number;
  private readonly maxNalus: number;
  protected readonly insertParams: boolean;
  protected readonly ctx: Record<string, string | number>;
  private readonly transient: boolean;
  private readonly seqGap: SequenceGap;
  /** Largest unit emitted so far: new slabs are sized to hold one such unit at least. */
  private largest = 0;
  private srcBuf: Uint8Array = EMPTY;
  private srcAb: ArrayBufferLike = EMPTY.buffer;
  private srcOff = 0;

  // Current access unit: bytes [base, pos) of `out`, a slab shared with earlier (handed-out) units.
  private out: Uint8Array = EMPTY;
  private base = 0;
  private pos = 0;
  /** Offset of each NAL's 4-byte prefix in `out`. */
  private readonly nalStarts: number[] = [];
  private auActive = false;
  private auTs = 0;
  private auSeq = 0;
  private auLoss = false;
  private auDisc = false;
  /** The unit holds a VCL NAL (set by the codec's `beginNal`). */
  protected auVcl = false;
  /** A keyframe NAL was begun in the unit (parameter sets go before the first one only). */
  protected auKey = false;
  /** Parameter sets present in the unit, one bit per kind (the codec's numbering). */
  protected auParams = 0;
  protected auDiscard = false;
  private auReason = '';
  /** Set when the unit was closed by a marker; a following gap then belongs to the next unit. */
  private lossPending = false;
  private discPending = false;
  // FU in progress.
  protected fuActive = false;
  protected fuType = 0;
  private fuStart = 0;

  protected constructor(sink: AccessUnitSink, opts: NalUnitAssemblerOptions, traits: NalCodecTraits<SpsInfo>) {
    super();
    this.sink = sink;
    this.codec = traits.codec;
    this.label = traits.label;
    this.hs = traits.nalHeaderSize;
    this.fuName = traits.fuName;
    this.lostCode = traits.lostCode;
    this.keyNal = traits.keyNal;
    this.lengthPrefixed = traits.lengthPrefixed;
    this.parseSps = traits.parseSps;
    this.dropLossy = (opts.lossMode ?? 'drop') === 'drop';
    this.maxAu = opts.maxAccessUnitSize ?? 16 * 1024 * 1024;
    this.maxNalus = opts.maxNalusPerAccessUnit ?? 4096;
    this.insertParams = opts.insertParameterSets ?? true;
    this.ctx = opts.context ?? {};
    this.transient = opts.transient ?? false;
    this.seqGap = new SequenceGap(this.stats);
  }

  override pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, seq: number, lost?: number): void {
    const gap = this.seqGap.next(seq, lost);
    if (gap !== 0) {
      if (gap === OLD_PACKET) return;
      this.onGap();
    }
    timestamp >>>= 0;
    if (this.auActive && timestamp !== this.auTs) this.finish(false);
    if (!this.auActive) this.begin(timestamp, seq);
    if (this.lossPending) {
      this.lossPending = false;
      this.markLoss('packets lost before the unit');
    }
    if (end <= start) return; // empty payload: nothing to do
    if (!this.auDiscard) this.payload(buf, start, end, seq);
    if (marker && !this.fuActive && this.auVcl) this.finish(true);
  }

  override flush(): void {
    if (this.auActive) this.finish(false);
  }

  override reset(): void {
    this.clearAu();
    this.seqGap.reset();
    this.lossPending = false;
    this.discPending = true;
  }

  // --- codec hooks --------------------------------------------------------------------------

  /** One RTP payload, `buf[s, e)` (not empty), of a unit that is not being discarded. */
  protected abstract payload(buf: Uint8Array, s: number, e: number, seq: number): void;

  /**
   * Starts a NAL whose header is h0 (and h1 for 2-byte headers): the codec inserts parameter sets,
   * calls `writeNalStart` and sets `auVcl` / `auKey`. False when the unit was dropped meanwhile.
   */
  protected abstract beginNal(h0: number, h1: number): boolean;

  /** A NAL was completed at `out[s, e)` (s = its header): parameter-set tracking. */
  protected abstract nalEnded(out: Uint8Array, s: number, e: number): void;

  // --- NAL assembly -------------------------------------------------------------------------

  /** A whole NAL: header h0 [h1] + buf[s, e). */
  protected nal(h0: number, h1: number, buf: Uint8Array, s: number, e: number): void {
    if (!this.beginNal(h0, h1)) return;
    if (e > s && !this.append(buf, s, e)) return;
    this.endNal();
  }

  /** A whole NAL held in `nal` (header included), e.g. a stored parameter set. */
  protected copyNal(nal: Uint8Array): void {
    const hs = this.hs;
    if (nal.length < hs || !this.beginNal(nal[0]!, hs === 2 ? nal[1]! : 0)) return;
    if (nal.length > hs && !this.append(nal, hs, nal.length)) return;
    this.endNal();
  }

  /** Writes the prefix and header of a new NAL; false when a cap dropped the unit. */
  protected writeNalStart(h0: number, h1: number): boolean {
    if (this.nalStarts.length >= this.maxNalus) {
      this.overflow(`more than ${this.maxNalus} NAL units`);
      return false;
    }
    const hs = this.hs;
    if (!this.reserve(4 + hs)) return false;
    const out = this.out;
    const p = this.pos;
    this.nalStarts.push(p);
    out[p] = 0;
    out[p + 1] = 0;
    out[p + 2] = 0;
    out[p + 3] = 1;
    out[p + 4] = h0;
    if (hs === 2) out[p + 5] = h1;
    this.pos = p + 4 + hs;
    this.fuStart = p;
    return true;
  }

  protected append(buf: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (!this.reserve(n)) return false;
    // A plain Uint8Array view is cheaper to make than Buffer#subarray (no species lookup); the
    // source's ArrayBuffer and offset are looked up once per source buffer (a chunk holds ~46
    // packets of 1400 bytes).
    if (buf !== this.srcBuf) {
      this.srcBuf = buf;
      this.srcAb = buf.buffer;
      this.srcOff = buf.byteOffset;
    }
    this.out.set(new Uint8Array(this.srcAb, this.srcOff + s, n), this.pos);
    this.pos += n;
    return true;
  }

  /** Completes the NAL begun last: length prefix, then the codec's parameter-set tracking. */
  protected endNal(): void {
    const out = this.out;
    const p = this.fuStart;
    const len = this.pos - p - 4;
    if (this.lengthPrefixed) {
      out[p] = len >>> 24;
      out[p + 1] = (len >>> 16) & 0xff;
      out[p + 2] = (len >>> 8) & 0xff;
      out[p + 3] = len & 0xff;
    }
    this.nalEnded(out, p + 4, this.pos);
  }

  /**
   * Annex B inside an RTP payload (docs/camera-quirks.md #11: V380, retina #68): the NALs between start
   * codes, trailing zero bytes trimmed; pieces shorter than a NAL header are skipped.
   */
  protected annexB(buf: Uint8Array, s: number, e: number): void {
    const hs = this.hs;
    let nalStart = s;
    for (;;) {
      const sc = findStartCode(buf, nalStart, e);
      let nalEnd = sc < 0 ? e : sc;
      while (nalEnd > nalStart && buf[nalEnd - 1] === 0) nalEnd--;
      if (nalEnd - nalStart >= hs) this.nal(buf[nalStart]!, hs === 2 ? buf[nalStart + 1]! : 0, buf, nalStart + hs, nalEnd);
      if (sc < 0 || this.auDiscard) return;
      nalStart = sc + 3;
    }
  }

  /** Keeps a new SPS (a copy) and parses it; a parse error is reported, not thrown. */
  protected updateSps(buf: Uint8Array, s: number, e: number): void {
    if (sameBytes(this.sps, buf, s, e)) return;
    const sps = copyBytes(buf, s, e);
    this.sps = sps;
    try {
      this.spsInfo = this.parseSps(sps);
    } catch (err) {
      this.spsInfo = undefined;
      if (err instanceof ProtocolError) this.report(err);
    }
  }

  /** Rolls the output back to before the half-done NAL: its fragments are discarded. */
  protected abortFu(reason: string): void {
    this.fuActive = false;
    this.pos = this.fuStart;
    this.nalStarts.pop();
    this.markLoss(reason);
  }

  protected markLoss(reason: string): void {
    if (!this.auLoss) this.auReason = reason;
    this.auLoss = true;
  }

  /** A corrupt or unsupported payload: the unit becomes lossy and the error is reported. */
  protected bad(code: ErrorCode, msg: string, buf: Uint8Array, s: number, e: number, seq: number): void {
    this.markLoss(msg);
    this.report(new ProtocolError(code, msg, { context: { ...this.ctx, seq, timestamp: this.auTs }, bytes: buf.subarray(s, Math.min(e, s + 64)) }));
  }

  protected report(err: ProtocolError): void {
    this.stats.errors++;
    this.sink.onError?.(err);
  }

  // --- access units -------------------------------------------------------------------------

  private begin(ts: number, seq: number): void {
    this.auActive = true;
    this.auTs = ts;
    this.auSeq = seq;
    this.auDisc = this.discPending;
    this.discPending = false;
  }

  /** Makes room for n more bytes (no allocation per unit: see grow). */
  private reserve(n: number): boolean {
    const need = this.pos + n;
    if (need - this.base > this.maxAu) {
      this.overflow(`over ${this.maxAu} bytes`);
      return false;
    }
    if (need > this.out.length) this.grow(n);
    return true;
  }

  /**
   * Moves the unit so far (one copy of a partial unit) to a new buffer with room for n more bytes.
   * Owned mode: a fresh slab (see SLAB_UNITS) that holds twice the unit so far and the largest
   * unit seen (the next large unit then moves at most once). Transient mode: the one buffer doubles.
   */
  private grow(n: number): void {
    const out = this.out;
    const used = this.pos - this.base;
    const grown = this.transient ? Math.max(out.length * 2, used + n) : Math.max(used * 2, used + n, this.largest + (this.largest >>> 2));
    const slab = Math.min(SLAB_MAX, Math.max(SLAB_MIN, this.largest * SLAB_UNITS));
    const size = Math.max(this.transient ? SLAB_MAX : slab, Math.min(this.maxAu, grown));
    // Buffer.allocUnsafeSlow: unpooled memory without the zero fill (a unit's views only cover
    // bytes written first; like Buffer.allocUnsafe, `data.buffer` beyond them is uninitialised),
    // wrapped as a plain Uint8Array so units stay plain views.
    const next = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    if (used > 0) next.set(new Uint8Array(out.buffer, out.byteOffset + this.base, used));
    const shift = this.base;
    for (let i = 0; i < this.nalStarts.length; i++) this.nalStarts[i]! -= shift;
    this.fuStart -= shift;
    this.pos = used;
    this.base = 0;
    this.out = next;
  }

  private overflow(what: string): void {
    this.report(new ProtocolError('AU_TOO_LARGE', `${this.label} access unit ${what}: dropped`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
    this.auDiscard = true;
    this.fuActive = false;
    this.pos = this.base;
    this.nalStarts.length = 0;
  }

  /** A sequence gap before the packet being pushed. */
  private onGap(): void {
    if (this.auActive) {
      if (this.fuActive) this.abortFu(`packets lost inside an ${this.fuName}`);
      // The unit is still open (no marker yet): the lost packets may be its tail.
      else this.markLoss('packets lost');
    }
    this.lossPending = true;
    this.discPending = true;
  }

  private finish(byMarker: boolean): void {
    if (this.fuActive) this.abortFu(byMarker ? `${this.fuName} without end fragment` : `timestamp changed inside an ${this.fuName}`);
    const n = this.nalStarts.length;
    if (this.auDiscard) {
      this.stats.droppedUnits++;
      this.discPending = true;
      this.clearAu();
      return;
    }
    if (this.auLoss && (this.dropLossy || n === 0)) {
      this.stats.droppedUnits++;
      this.report(new ProtocolError(this.lostCode, `${this.label} access unit dropped: ${this.auReason}`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
      this.discPending = true;
      this.clearAu(); // rewinds to `base`: nothing was handed out
      return;
    }
    if (n === 0) {
      this.clearAu();
      return;
    }
    const out = this.out;
    const end = this.pos;
    const data = out.subarray(this.base, end);
    const nalus: Uint8Array[] = new Array(n);
    const keyNal = this.keyNal;
    // Keyframe from the NALs actually kept (an aborted FU may have been the IDR/IRAP slice).
    let key = false;
    for (let i = 0; i < n; i++) {
      const s = this.nalStarts[i]! + 4;
      if (keyNal[out[s]!] === 1) key = true;
      nalus[i] = out.subarray(s, i + 1 < n ? this.nalStarts[i + 1]! : end);
    }
    // Owned: handed out, the next unit starts after it and never writes these bytes again.
    // Transient: the next unit starts at 0 again (base stays 0).
    if (!this.transient) {
      if (data.length > this.largest) this.largest = data.length;
      this.base = end;
    }
    const unit: AccessUnit = {
      codec: this.codec,
      timestamp: this.auTs,
      sequenceNumber: this.auSeq,
      keyframe: key,
      data,
      nalus,
      loss: this.auLoss,
      discontinuity: this.auDisc,
    };
    this.clearAu();
    this.stats.units++;
    this.sink.onUnit(unit);
  }

  private clearAu(): void {
    this.auActive = false;
    this.pos = this.base;
    this.nalStarts.length = 0;
    this.auLoss = false;
    this.auDisc = false;
    this.auVcl = false;
    this.auKey = false;
    this.auParams = 0;
    this.auDiscard = false;
    this.auReason = '';
    this.fuActive = false;
  }
}

/** A 256-entry table (by first NAL header byte) with 1 where `isKey(byte)`. */
export function nalHeaderTable(isKey: (b0: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (isKey(b)) t[b] = 1;
  return t;
}

/** `prev` when it holds exactly buf[s, e), else a copy of buf[s, e) (parameter-set tracking). */
export function keepOrCopy(prev: Uint8Array | undefined, buf: Uint8Array, s: number, e: number): Uint8Array {
  return prev !== undefined && sameBytes(prev, buf, s, e) ? prev : copyBytes(buf, s, e);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array, s: number, e: number): boolean {
  if (!a || a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}
