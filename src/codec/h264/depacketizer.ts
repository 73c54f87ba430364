/**
 * H.264 RTP depacketizer (RFC 6184): RTP payloads in, whole access units out.
 *
 * Payload structures (§5.2, first byte = NAL unit header `F|NRI|Type`):
 * ```
 * type 1-23  single NAL unit packet (§5.6)   | NAL header | NAL payload ...                |
 * type 24    STAP-A (§5.7.1)                 | 24 | size16 | NAL | size16 | NAL | ...       |
 * type 28    FU-A (§5.8)                     | FU indicator (F|NRI|28) | S|E|R|Type | data  |
 * type 25-27, 29: STAP-B, MTAP16, MTAP24, FU-B: interleaved mode only -> H264_UNSUPPORTED
 * ```
 *
 * Design:
 * - One copy. Each NAL is copied once, as it arrives, into the current access unit's output
 *   (Annex B start code or AVCC length already in place), so pushed payloads are read only during
 *   `push` (safe with socket read buffers that get reused). Per packet: a few field reads and one
 *   copy of the payload bytes, no allocation but the source view the copy needs.
 * - Owned output (default): units are carved one after another from slabs of at least 512 KiB
 *   (uninitialised memory: every byte handed out has been written); a unit that outgrows its slab
 *   moves once to a new slab sized for the largest unit seen so far (amortised, never per fragment).
 *   An emitted unit is a view that is never written again ("yours to keep"; it keeps its slab alive,
 *   like a pooled Node Buffer). Writing memory the process has not touched yet costs page faults,
 *   which is the price of handing out memory the caller may keep.
 * - Transient output (`transient: true`): one buffer, reused for every unit (grown by doubling up to
 *   the unit cap, never shrunk); a unit is valid only while `onUnit` runs.
 * - Access unit boundaries (§5.1 marker bit, RFC 6184 notes that the marker "MAY" be absent or
 *   wrong in practice):
 *     * a change of RTP timestamp always ends the current unit (FLIR M400 never sets the marker,
 *       camera-quirks 12);
 *     * the marker bit ends the unit only when the unit already holds a VCL NAL (types 1-5) and no
 *       FU-A is half-way: Tapo TC70 / Reolink Duo 2 set the marker on the SPS/PPS packet and
 *       moonfire-nvr #352 cameras on an SEI packet, each followed by the slices of the same picture
 *       with the same timestamp; ending there would split one picture into a parameter-set-only unit
 *       and a unit without parameter sets.
 * - Loss. The depacketizer checks sequence continuity itself. A forward gap aborts a half-done FU-A
 *   (its fragments are discarded: two NALs are never glued), marks the current unit lossy when it
 *   was not closed by a marker (its tail may be what was lost) and the next unit lossy (its head may
 *   be). FU-A middle/end fragments without their start (mid-stream join) are discarded and mark the
 *   unit lossy. In `'drop'` mode (default) lossy units are not delivered: `onError` gets one
 *   H264_FRAGMENT_LOST per dropped unit. In `'flag'` mode they are delivered with `loss: true`,
 *   holding only complete NAL units. The unit after any loss/drop has `discontinuity: true`.
 * - Parameter sets: the latest in-band (or sprop) SPS and PPS are kept; an IDR unit lacking them gets
 *   copies written right before its first IDR slice.
 */
import { ProtocolError, type ErrorCode } from '../../errors.js';
import { findStartCode } from '../annex-b.js';
import type { AccessUnit, AccessUnitSink, Depacketizer, LossMode, RtpPayloadPacket } from '../types.js';
import { parseH264Sps, avc1CodecString, buildAvcDecoderConfig, type H264SpsInfo } from './sps.js';
import { decodeH264Sprop } from './sprop.js';

export interface H264DepacketizerOptions {
  /** 'annexb' (default): 00 00 00 01 before each NAL. 'avcc': 4-byte big-endian lengths. */
  output?: 'annexb' | 'avcc';
  /** What to do with a unit that lost packets: 'drop' (default) or deliver it with loss: true. */
  lossMode?: LossMode;
  /** Cap on one access unit's output bytes (AU_TOO_LARGE above it). Default 16 MiB. */
  maxAccessUnitSize?: number;
  /** Cap on NAL units per access unit (AU_TOO_LARGE above it). Default 4096. */
  maxNalusPerAccessUnit?: number;
  /** SDP fmtp `sprop-parameter-sets`, used until in-band SPS/PPS arrive. */
  spropParameterSets?: string;
  /** Put the latest SPS/PPS before an IDR unit that lacks them (default true). */
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

export interface H264DepacketizerStats {
  packets: number;
  units: number;
  droppedUnits: number;
  lostPackets: number;
  /** Packets behind the expected sequence number (duplicates, stale), ignored. */
  oldPackets: number;
  errors: number;
}

const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_IDR = 5;
const STAP_A = 24;
const FU_A = 28;

/** Units are carved from slabs of this size (a kept unit keeps its slab alive, like Node's pool). */
const SLAB_SIZE = 512 * 1024;
const EMPTY = new Uint8Array(0);

export class H264Depacketizer implements Depacketizer {
  readonly stats: H264DepacketizerStats = { packets: 0, units: 0, droppedUnits: 0, lostPackets: 0, oldPackets: 0, errors: 0 };
  /** Latest SPS / PPS (copies). */
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** Parsed latest SPS (undefined until a parseable one is seen). */
  spsInfo: H264SpsInfo | undefined;

  private readonly sink: AccessUnitSink;
  private readonly avcc: boolean;
  private readonly dropLossy: boolean;
  private readonly maxAu: number;
  private readonly maxNalus: number;
  private readonly insertParams: boolean;
  private readonly ctx: Record<string, string | number>;
  private readonly transient: boolean;
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
  private auVcl = false;
  private auKey = false;
  private auSps = false;
  private auPps = false;
  private auDiscard = false;
  private auReason = '';
  /** Set when the unit was closed by a marker; a following gap then belongs to the next unit. */
  private lossPending = false;
  private discPending = false;
  // FU-A in progress.
  private fuActive = false;
  private fuType = 0;
  private fuStart = 0;
  // Sequence continuity.
  private expectedSeq = -1;

  constructor(sink: AccessUnitSink, opts: H264DepacketizerOptions = {}) {
    this.sink = sink;
    this.avcc = opts.output === 'avcc';
    this.dropLossy = (opts.lossMode ?? 'drop') === 'drop';
    this.maxAu = opts.maxAccessUnitSize ?? 16 * 1024 * 1024;
    this.maxNalus = opts.maxNalusPerAccessUnit ?? 4096;
    this.insertParams = opts.insertParameterSets ?? true;
    this.ctx = opts.context ?? {};
    this.transient = opts.transient ?? false;
    if (opts.spropParameterSets !== undefined) this.setSprop(opts.spropParameterSets);
  }

  /** Loads SPS/PPS from an SDP `sprop-parameter-sets` value (invalid ones are ignored). */
  setSprop(value: string): void {
    const { sps, pps } = decodeH264Sprop(value);
    if (sps) this.updateSps(sps, 0, sps.length);
    if (pps) this.pps = pps.slice();
  }

  /** `avc1.PPCCLL` from the latest SPS. */
  get codecString(): string | undefined {
    const s = this.sps;
    return s && s.length >= 4 ? avc1CodecString(s[1]!, s[2]!, s[3]!) : undefined;
  }

  /** avcC record from the latest SPS/PPS, when both are known. */
  avcDecoderConfig(): Uint8Array | undefined {
    return this.sps && this.pps && this.sps.length >= 4 ? buildAvcDecoderConfig(this.sps, [this.pps]) : undefined;
  }

  push(pkt: RtpPayloadPacket): void {
    this.pushPayload(pkt.payload, 0, pkt.payload.length, pkt.timestamp, pkt.marker, pkt.sequenceNumber);
  }

  pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, seq: number): void {
    this.stats.packets++;
    // Sequence continuity (RFC 3550 §5.1: +1 per packet, modulo 2^16).
    if (this.expectedSeq >= 0) {
      const d = (seq - this.expectedSeq) & 0xffff;
      if (d !== 0) {
        if (d >= 0x8000) {
          this.stats.oldPackets++;
          return;
        }
        this.stats.lostPackets += d;
        this.onGap();
      }
    }
    this.expectedSeq = (seq + 1) & 0xffff;
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

  flush(): void {
    if (this.auActive) this.finish(false);
  }

  reset(): void {
    this.clearAu();
    this.expectedSeq = -1;
    this.lossPending = false;
    this.discPending = true;
  }

  // --- payload structures -------------------------------------------------------------------

  private payload(buf: Uint8Array, s: number, e: number, seq: number): void {
    const hdr = buf[s]!;
    const type = hdr & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.fuActive) this.abortFu('FU-A ended by a non-FU packet without its end fragment');
      // camera-quirks 11 (V380, retina #68): Annex B start codes inside a single NAL payload.
      if (e - s >= 4 && findStartCode(buf, s, e) >= 0) this.annexB(buf, s, e);
      else this.nal(hdr, buf, s + 1, e);
      return;
    }
    switch (type) {
      case FU_A:
        this.fuA(buf, s, e, seq);
        return;
      case STAP_A:
        this.stapA(buf, s, e, seq);
        return;
      case 0:
        // NAL type 0 is unspecified; a payload starting 00 00 01 / 00 00 00 01 is Annex B (V380).
        if (this.fuActive) this.abortFu('FU-A interrupted');
        if (findStartCode(buf, s, Math.min(e, s + 4)) >= 0) {
          this.annexB(buf, s, e);
          return;
        }
        this.bad('H264_BAD_PAYLOAD', `NAL unit type 0 payload`, buf, s, e, seq);
        return;
      case 25:
      case 26:
      case 27:
      case 29:
        if (this.fuActive) this.abortFu('FU-A interrupted');
        this.bad('H264_UNSUPPORTED', `${PAYLOAD_NAMES[type]} (interleaved packetization mode) is not supported`, buf, s, e, seq);
        return;
      default:
        if (this.fuActive) this.abortFu('FU-A interrupted');
        this.bad('H264_BAD_PAYLOAD', `reserved NAL unit type ${type}`, buf, s, e, seq);
    }
  }

  private annexB(buf: Uint8Array, s: number, e: number): void {
    let nalStart = s;
    for (;;) {
      const sc = findStartCode(buf, nalStart, e);
      let nalEnd = sc < 0 ? e : sc;
      while (nalEnd > nalStart && buf[nalEnd - 1] === 0) nalEnd--;
      if (nalEnd > nalStart) this.nal(buf[nalStart]!, buf, nalStart + 1, nalEnd);
      if (sc < 0 || this.auDiscard) return;
      nalStart = sc + 3;
    }
  }

  /** STAP-A (§5.7.1): `24 | (size16 | NAL)*`. */
  private stapA(buf: Uint8Array, s: number, e: number, seq: number): void {
    if (this.fuActive) this.abortFu('FU-A ended by a STAP-A without its end fragment');
    let p = s + 1;
    while (p + 2 <= e) {
      const size = (buf[p]! << 8) | buf[p + 1]!;
      p += 2;
      if (size === 0) continue; // tolerate zero padding inside STAP-A
      if (p + size > e) {
        this.bad('H264_BAD_PAYLOAD', `STAP-A NAL size ${size} runs past the packet`, buf, s, e, seq);
        return;
      }
      this.nal(buf[p]!, buf, p + 1, p + size);
      if (this.auDiscard) return;
      p += size;
    }
  }

  /** FU-A (§5.8): `FU indicator | S E R Type | fragment`. */
  private fuA(buf: Uint8Array, s: number, e: number, seq: number): void {
    if (e - s < 2) {
      if (this.fuActive) this.abortFu('truncated FU-A');
      this.bad('H264_BAD_PAYLOAD', 'FU-A shorter than 2 bytes', buf, s, e, seq);
      return;
    }
    const fuh = buf[s + 1]!;
    const type = fuh & 0x1f;
    // The R bit (0x20) MUST be ignored by receivers (§5.8); some cameras set it (retina #115).
    if (fuh & 0x80) {
      if (this.fuActive) this.abortFu('FU-A start without the previous end fragment');
      // NAL header rebuilt from the indicator's F|NRI and the FU header's type.
      if (!this.beginNal((buf[s]! & 0xe0) | type)) return;
      this.fuActive = true;
      this.fuType = type;
    } else if (!this.fuActive) {
      // Middle/end fragment without its start: mid-stream join or lost start. Never invent a NAL.
      this.markLoss('FU-A fragment without its start');
      return;
    } else if (type !== this.fuType) {
      // Tiandy (moonfire-nvr #344, camera-quirks 10): NAL type changes mid-fragment. Drop the NAL.
      this.abortFu(`FU-A type changed from ${this.fuType} to ${type}`);
      this.bad('H264_BAD_PAYLOAD', `FU-A NAL type changed mid-fragment (${this.fuType} -> ${type})`, buf, s, e, seq);
      return;
    }
    // Empty fragments are legal enough (retina #115): nothing to copy.
    if (e - s > 2 && !this.append(buf, s + 2, e)) return;
    // S and E both set (CostarHD, camera-quirks 9; forbidden by §5.8) is a whole NAL: accepted.
    if (fuh & 0x40) {
      this.fuActive = false;
      this.endNal();
    }
  }

  // --- NAL assembly -------------------------------------------------------------------------

  /** A whole NAL: header byte + buf[s, e). */
  private nal(header: number, buf: Uint8Array, s: number, e: number): void {
    if (!this.beginNal(header)) return;
    if (e > s && !this.append(buf, s, e)) return;
    this.endNal();
  }

  /** Writes the prefix and header of a new NAL (and parameter sets before the first IDR slice). */
  private beginNal(header: number): boolean {
    const type = header & 0x1f;
    if (type === NAL_IDR && !this.auKey && this.insertParams && (!this.auSps || !this.auPps)) {
      if (!this.auSps && this.sps) this.copyNal(this.sps);
      if (!this.auPps && this.pps) this.copyNal(this.pps);
    }
    if (this.nalStarts.length >= this.maxNalus) {
      this.overflow(`more than ${this.maxNalus} NAL units`);
      return false;
    }
    if (!this.reserve(5)) return false;
    const out = this.out;
    const p = this.pos;
    this.nalStarts.push(p);
    out[p] = 0;
    out[p + 1] = 0;
    out[p + 2] = 0;
    out[p + 3] = 1;
    out[p + 4] = header;
    this.pos = p + 5;
    this.fuStart = p;
    if (type <= 5 && type >= 1) {
      this.auVcl = true;
      if (type === NAL_IDR) this.auKey = true;
    }
    return true;
  }

  private append(buf: Uint8Array, s: number, e: number): boolean {
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

  /** Completes the NAL begun last: AVCC length, parameter-set tracking. */
  private endNal(): void {
    const out = this.out;
    const p = this.fuStart;
    const len = this.pos - p - 4;
    if (this.avcc) {
      out[p] = len >>> 24;
      out[p + 1] = (len >>> 16) & 0xff;
      out[p + 2] = (len >>> 8) & 0xff;
      out[p + 3] = len & 0xff;
    }
    const type = out[p + 4]! & 0x1f;
    if (type === NAL_SPS) {
      this.auSps = true;
      this.updateSps(out, p + 4, this.pos);
    } else if (type === NAL_PPS) {
      this.auPps = true;
      if (!sameBytes(this.pps, out, p + 4, this.pos)) this.pps = out.slice(p + 4, this.pos);
    }
  }

  private copyNal(nal: Uint8Array): void {
    if (!this.beginNal(nal[0]!)) return;
    if (nal.length > 1 && !this.append(nal, 1, nal.length)) return;
    this.endNal();
  }

  private updateSps(buf: Uint8Array, s: number, e: number): void {
    if (sameBytes(this.sps, buf, s, e)) return;
    const sps = buf.slice(s, e);
    this.sps = sps;
    try {
      this.spsInfo = parseH264Sps(sps);
    } catch (err) {
      this.spsInfo = undefined;
      if (err instanceof ProtocolError) this.report(err);
    }
  }

  private abortFu(reason: string): void {
    // Roll the output back to before the half-done NAL: its fragments are discarded.
    this.fuActive = false;
    this.pos = this.fuStart;
    this.nalStarts.pop();
    this.markLoss(reason);
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
   * Owned mode: a fresh slab of at least SLAB_SIZE that holds twice the unit so far and the largest
   * unit seen (the next large unit then moves at most once). Transient mode: the one buffer doubles.
   */
  private grow(n: number): void {
    const out = this.out;
    const used = this.pos - this.base;
    const grown = this.transient ? Math.max(out.length * 2, used + n) : Math.max(used * 2, used + n, this.largest + (this.largest >>> 2));
    const size = Math.max(SLAB_SIZE, Math.min(this.maxAu, grown));
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
    this.report(new ProtocolError('AU_TOO_LARGE', `H.264 access unit ${what}: dropped`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
    this.auDiscard = true;
    this.fuActive = false;
    this.pos = this.base;
    this.nalStarts.length = 0;
  }

  private markLoss(reason: string): void {
    if (!this.auLoss) this.auReason = reason;
    this.auLoss = true;
  }

  /** A sequence gap before the packet being pushed. */
  private onGap(): void {
    if (this.auActive) {
      if (this.fuActive) this.abortFu('packets lost inside an FU-A');
      // The unit is still open (no marker yet): the lost packets may be its tail.
      else this.markLoss('packets lost');
    }
    this.lossPending = true;
    this.discPending = true;
  }

  private finish(byMarker: boolean): void {
    if (this.fuActive) this.abortFu(byMarker ? 'FU-A without end fragment' : 'timestamp changed inside an FU-A');
    const n = this.nalStarts.length;
    if (this.auDiscard) {
      this.stats.droppedUnits++;
      this.discPending = true;
      this.clearAu();
      return;
    }
    if (this.auLoss && (this.dropLossy || n === 0)) {
      this.stats.droppedUnits++;
      this.report(new ProtocolError('H264_FRAGMENT_LOST', `H.264 access unit dropped: ${this.auReason}`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
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
    let key = false;
    for (let i = 0; i < n; i++) {
      const s = this.nalStarts[i]! + 4;
      if ((out[s]! & 0x1f) === NAL_IDR) key = true;
      nalus[i] = out.subarray(s, i + 1 < n ? this.nalStarts[i + 1]! : end);
    }
    // Owned: handed out, the next unit starts after it and never writes these bytes again.
    // Transient: the next unit starts at 0 again (base stays 0).
    if (!this.transient) {
      if (data.length > this.largest) this.largest = data.length;
      this.base = end;
    }
    const unit: AccessUnit = {
      codec: 'h264',
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
    this.auSps = false;
    this.auPps = false;
    this.auDiscard = false;
    this.auReason = '';
    this.fuActive = false;
  }

  private bad(code: ErrorCode, msg: string, buf: Uint8Array, s: number, e: number, seq: number): void {
    this.markLoss(msg);
    this.report(new ProtocolError(code, msg, { context: { ...this.ctx, seq, timestamp: this.auTs }, bytes: buf.subarray(s, Math.min(e, s + 64)) }));
  }

  private report(err: ProtocolError): void {
    this.stats.errors++;
    this.sink.onError?.(err);
  }
}

const PAYLOAD_NAMES: Record<number, string> = { 25: 'STAP-B', 26: 'MTAP16', 27: 'MTAP24', 29: 'FU-B' };

function sameBytes(a: Uint8Array | undefined, b: Uint8Array, s: number, e: number): boolean {
  if (!a || a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}
