/**
 * H.265 RTP depacketizer (RFC 7798): RTP payloads in, whole access units out.
 *
 * NAL unit header and payload header (§1.1.4, §4.4), two bytes:
 * ```
 * +---------------+---------------+
 * |F|   Type    |  LayerId  | TID |
 * +---------------+---------------+
 * ```
 * Payload structures, by Type:
 * ```
 * 0-47  single NAL unit packet (§4.4.1) | PayloadHdr | [DONL 16] | NAL payload ...                  |
 * 48    AP, aggregation (§4.4.2)        | PayloadHdr | [DONL 16] size16 NAL | [DOND 8] size16 NAL ... |
 * 49    FU, fragmentation (§4.4.3)      | PayloadHdr | S|E|FuType(6) | [DONL 16, S only] | data       |
 * 50    PACI (§4.4.4)                   -> H265_UNSUPPORTED
 * 51-63 reserved                        -> H265_BAD_PAYLOAD
 * ```
 * DONL/DOND are present only when `sprop-max-don-diff` > 0 (§7.1: "sprop-max-don-diff ... greater
 * than 0" means the DON fields are present). They are skipped, not used for reordering: NAL units
 * are emitted in transmission order (as FFmpeg and gortsplib do).
 *
 * Same design as `H264Depacketizer` (see there): one copy of each NAL into slab-carved units,
 * units end on a timestamp change or on a marker once a VCL NAL (types 0-31) is in the unit, loss
 * inside a unit drops it ('drop') or flags it ('flag', complete NALs only, never glued), the unit
 * after a loss carries `discontinuity`. Keyframe = the unit holds an IRAP picture (types 16-23,
 * §7.4.2.2). The latest VPS/SPS/PPS (in-band or from `sprop-vps/sps/pps`) are put before the first
 * IRAP slice of a unit that lacks them.
 */
import { ProtocolError, type ErrorCode } from '../../errors.js';
import { findStartCode } from '../annex-b.js';
import { decodeSpropNalus } from '../h264/sprop.js';
import type { AccessUnit, AccessUnitSink, Depacketizer, LossMode, RtpPayloadPacket } from '../types.js';
import { parseH265Sps, type H265SpsInfo } from './sps.js';

export interface H265DepacketizerOptions {
  /** 'annexb' (default): 00 00 00 01 before each NAL. 'hvcc' (or 'avcc'): 4-byte big-endian lengths. */
  output?: 'annexb' | 'hvcc' | 'avcc';
  /** What to do with a unit that lost packets: 'drop' (default) or deliver it with loss: true. */
  lossMode?: LossMode;
  /** Cap on one access unit's output bytes (AU_TOO_LARGE above it). Default 16 MiB. */
  maxAccessUnitSize?: number;
  /** Cap on NAL units per access unit (AU_TOO_LARGE above it). Default 4096. */
  maxNalusPerAccessUnit?: number;
  /** SDP fmtp `sprop-vps` / `sprop-sps` / `sprop-pps` (base64, comma-separated). */
  spropVps?: string;
  spropSps?: string;
  spropPps?: string;
  /** SDP fmtp `sprop-max-don-diff`: > 0 means DONL/DOND fields are present (skipped). */
  spropMaxDonDiff?: number | string;
  /** Put the latest VPS/SPS/PPS before an IRAP unit that lacks them (default true). */
  insertParameterSets?: boolean;
  /** Added to every error's context (track, channel, ssrc ...). */
  context?: Record<string, string | number>;
}

export interface H265DepacketizerStats {
  packets: number;
  units: number;
  droppedUnits: number;
  lostPackets: number;
  oldPackets: number;
  errors: number;
}

const NAL_VPS = 32;
const NAL_SPS = 33;
const NAL_PPS = 34;
const AP = 48;
const FU = 49;
const PACI = 50;

const SLAB_SIZE = 512 * 1024;
const EMPTY = new Uint8Array(0);

/** NAL type from the first header byte. */
const nalType = (b0: number): number => (b0 >> 1) & 0x3f;
const isIrap = (t: number): boolean => t >= 16 && t <= 23;

export class H265Depacketizer implements Depacketizer {
  readonly stats: H265DepacketizerStats = { packets: 0, units: 0, droppedUnits: 0, lostPackets: 0, oldPackets: 0, errors: 0 };
  /** Latest parameter sets (copies). */
  vps: Uint8Array | undefined;
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  spsInfo: H265SpsInfo | undefined;

  private readonly sink: AccessUnitSink;
  private readonly lengthPrefixed: boolean;
  private readonly dropLossy: boolean;
  private readonly maxAu: number;
  private readonly maxNalus: number;
  private readonly insertParams: boolean;
  private readonly donl: boolean;
  private readonly ctx: Record<string, string | number>;

  private out: Uint8Array = EMPTY;
  private base = 0;
  private pos = 0;
  private readonly nalStarts: number[] = [];
  private auActive = false;
  private auTs = 0;
  private auSeq = 0;
  private auLoss = false;
  private auDisc = false;
  private auVcl = false;
  private auKey = false;
  /** Parameter sets present in the unit: bit 0 VPS, 1 SPS, 2 PPS. */
  private auParams = 0;
  private auDiscard = false;
  private auReason = '';
  private lossPending = false;
  private discPending = false;
  private fuActive = false;
  private fuType = 0;
  private fuStart = 0;
  private expectedSeq = -1;

  constructor(sink: AccessUnitSink, opts: H265DepacketizerOptions = {}) {
    this.sink = sink;
    this.lengthPrefixed = opts.output === 'hvcc' || opts.output === 'avcc';
    this.dropLossy = (opts.lossMode ?? 'drop') === 'drop';
    this.maxAu = opts.maxAccessUnitSize ?? 16 * 1024 * 1024;
    this.maxNalus = opts.maxNalusPerAccessUnit ?? 4096;
    this.insertParams = opts.insertParameterSets ?? true;
    this.donl = Number(opts.spropMaxDonDiff ?? 0) > 0;
    this.ctx = opts.context ?? {};
    for (const v of [opts.spropVps, opts.spropSps, opts.spropPps]) if (v !== undefined) this.setSprop(v);
  }

  /** Loads VPS/SPS/PPS from any `sprop-vps` / `sprop-sps` / `sprop-pps` value (others ignored). */
  setSprop(value: string): void {
    for (const n of decodeSpropNalus(value)) {
      if (n.length < 3) continue;
      const t = nalType(n[0]!);
      if (t === NAL_VPS) this.vps = n.slice();
      else if (t === NAL_SPS) this.updateSps(n, 0, n.length);
      else if (t === NAL_PPS) this.pps = n.slice();
    }
  }

  /** `hvc1...` codec string from the latest SPS. */
  get codecString(): string | undefined {
    return this.spsInfo?.codecString;
  }

  push(pkt: RtpPayloadPacket): void {
    this.pushPayload(pkt.payload, 0, pkt.payload.length, pkt.timestamp, pkt.marker, pkt.sequenceNumber);
  }

  pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, seq: number): void {
    this.stats.packets++;
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
    if (end <= start) return;
    if (!this.auDiscard) this.payload(buf, start, end, seq);
    // §4.1: the marker is set on the last packet of an access unit. As for H.264, it only closes a
    // unit that holds a picture (cameras set it on parameter-set packets too).
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
    // EOS / EOB NAL units (types 36, 37) are 2 bytes: the shortest legal payload; an FU needs 3.
    if (e - s < 2 || (e - s < 3 && nalType(buf[s]!) === FU)) {
      if (this.fuActive) this.abortFu('truncated packet inside an FU');
      this.bad('H265_BAD_PAYLOAD', `payload of ${e - s} bytes is too short`, buf, s, e, seq);
      return;
    }
    const h0 = buf[s]!;
    const h1 = buf[s + 1]!;
    const type = nalType(h0);
    if (type === FU) {
      this.fu(buf, s, e, seq);
      return;
    }
    if (this.fuActive) this.abortFu('FU ended by another packet without its end fragment');
    if (type < AP) {
      if ((h1 & 7) === 0) {
        // nuh_temporal_id_plus1 = 0 is forbidden (§7.4.2.2): a payload that starts with a start
        // code is Annex B inside RTP (camera-quirks 11, seen with H.264 on V380; tolerated alike).
        if (findStartCode(buf, s, Math.min(e, s + 4)) >= 0) {
          this.annexB(buf, s, e);
          return;
        }
        this.bad('H265_BAD_PAYLOAD', 'NAL header with TemporalId+1 = 0', buf, s, e, seq);
        return;
      }
      if (this.donl) {
        if (e - s < 4) return this.bad('H265_BAD_PAYLOAD', 'single NAL packet too short for DONL', buf, s, e, seq);
        this.nal(h0, h1, buf, s + 4, e);
      } else this.nal(h0, h1, buf, s + 2, e);
      return;
    }
    if (type === AP) {
      this.ap(buf, s, e, seq);
      return;
    }
    if (type === PACI) {
      this.bad('H265_UNSUPPORTED', 'PACI packets (RFC 7798 §4.4.4) are not supported', buf, s, e, seq);
      return;
    }
    this.bad('H265_BAD_PAYLOAD', `reserved payload type ${type}`, buf, s, e, seq);
  }

  private annexB(buf: Uint8Array, s: number, e: number): void {
    let nalStart = s;
    for (;;) {
      const sc = findStartCode(buf, nalStart, e);
      let nalEnd = sc < 0 ? e : sc;
      while (nalEnd > nalStart && buf[nalEnd - 1] === 0) nalEnd--;
      if (nalEnd - nalStart >= 2) this.nal(buf[nalStart]!, buf[nalStart + 1]!, buf, nalStart + 2, nalEnd);
      if (sc < 0 || this.auDiscard) return;
      nalStart = sc + 3;
    }
  }

  /** AP (§4.4.2): `PayloadHdr | [DONL] size16 NAL | ([DOND] size16 NAL)*`. */
  private ap(buf: Uint8Array, s: number, e: number, seq: number): void {
    let p = s + 2;
    let first = true;
    while (p < e) {
      if (this.donl) p += first ? 2 : 1;
      first = false;
      if (p + 2 > e) {
        this.bad('H265_BAD_PAYLOAD', 'AP truncated inside a NAL size field', buf, s, e, seq);
        return;
      }
      const size = (buf[p]! << 8) | buf[p + 1]!;
      p += 2;
      if (size < 2 || p + size > e) {
        this.bad('H265_BAD_PAYLOAD', `AP NAL size ${size} does not fit the packet`, buf, s, e, seq);
        return;
      }
      this.nal(buf[p]!, buf[p + 1]!, buf, p + 2, p + size);
      if (this.auDiscard) return;
      p += size;
    }
  }

  /** FU (§4.4.3): `PayloadHdr | S E FuType | [DONL if S] | fragment`. */
  private fu(buf: Uint8Array, s: number, e: number, seq: number): void {
    const fuh = buf[s + 2]!;
    const type = fuh & 0x3f;
    let p = s + 3;
    if (fuh & 0x80) {
      if (this.fuActive) this.abortFu('FU start without the previous end fragment');
      if (type === AP || type === FU || type === PACI) {
        this.bad('H265_BAD_PAYLOAD', `FU carrying NAL type ${type}`, buf, s, e, seq);
        return;
      }
      if (this.donl) p += 2;
      if (p > e) {
        this.bad('H265_BAD_PAYLOAD', 'FU start too short for DONL', buf, s, e, seq);
        return;
      }
      // NAL header rebuilt from the payload header's F, LayerId, TID and the FU header's type.
      if (!this.beginNal((buf[s]! & 0x81) | (type << 1), buf[s + 1]!)) return;
      this.fuActive = true;
      this.fuType = type;
    } else if (!this.fuActive) {
      this.markLoss('FU fragment without its start');
      return;
    } else if (type !== this.fuType) {
      // camera-quirks 10 (Tiandy, seen on H.264): type changes mid-fragment. Drop the NAL.
      this.abortFu(`FU type changed from ${this.fuType} to ${type}`);
      this.bad('H265_BAD_PAYLOAD', `FU NAL type changed mid-fragment (${this.fuType} -> ${type})`, buf, s, e, seq);
      return;
    }
    if (e > p && !this.append(buf, p, e)) return;
    // S and E both set (OpenIPC H.265, camera-quirks 9; forbidden by §4.4.3) is a whole NAL: accepted.
    if (fuh & 0x40) {
      this.fuActive = false;
      this.endNal();
    }
  }

  // --- NAL assembly -------------------------------------------------------------------------

  private nal(h0: number, h1: number, buf: Uint8Array, s: number, e: number): void {
    if (!this.beginNal(h0, h1)) return;
    if (e > s && !this.append(buf, s, e)) return;
    this.endNal();
  }

  private beginNal(h0: number, h1: number): boolean {
    const type = nalType(h0);
    if (isIrap(type) && !this.auKey && this.insertParams && this.auParams !== 7) {
      if (!(this.auParams & 1) && this.vps) this.copyNal(this.vps);
      if (!(this.auParams & 2) && this.sps) this.copyNal(this.sps);
      if (!(this.auParams & 4) && this.pps) this.copyNal(this.pps);
      if (this.auDiscard) return false;
    }
    if (this.nalStarts.length >= this.maxNalus) {
      this.overflow(`more than ${this.maxNalus} NAL units`);
      return false;
    }
    if (!this.reserve(6)) return false;
    const out = this.out;
    const p = this.pos;
    this.nalStarts.push(p);
    out[p] = 0;
    out[p + 1] = 0;
    out[p + 2] = 0;
    out[p + 3] = 1;
    out[p + 4] = h0;
    out[p + 5] = h1;
    this.pos = p + 6;
    this.fuStart = p;
    if (type < 32) {
      this.auVcl = true;
      if (isIrap(type)) this.auKey = true;
    }
    return true;
  }

  private append(buf: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (!this.reserve(n)) return false;
    this.out.set(n === buf.length ? buf : new Uint8Array(buf.buffer, buf.byteOffset + s, n), this.pos);
    this.pos += n;
    return true;
  }

  private endNal(): void {
    const out = this.out;
    const p = this.fuStart;
    const len = this.pos - p - 4;
    if (this.lengthPrefixed) {
      out[p] = len >>> 24;
      out[p + 1] = (len >>> 16) & 0xff;
      out[p + 2] = (len >>> 8) & 0xff;
      out[p + 3] = len & 0xff;
    }
    const type = nalType(out[p + 4]!);
    if (type === NAL_VPS) {
      this.auParams |= 1;
      if (!sameBytes(this.vps, out, p + 4, this.pos)) this.vps = out.slice(p + 4, this.pos);
    } else if (type === NAL_SPS) {
      this.auParams |= 2;
      this.updateSps(out, p + 4, this.pos);
    } else if (type === NAL_PPS) {
      this.auParams |= 4;
      if (!sameBytes(this.pps, out, p + 4, this.pos)) this.pps = out.slice(p + 4, this.pos);
    }
  }

  private copyNal(nal: Uint8Array): void {
    if (nal.length < 2 || !this.beginNal(nal[0]!, nal[1]!)) return;
    if (nal.length > 2 && !this.append(nal, 2, nal.length)) return;
    this.endNal();
  }

  private updateSps(buf: Uint8Array, s: number, e: number): void {
    if (sameBytes(this.sps, buf, s, e)) return;
    const sps = buf.slice(s, e);
    this.sps = sps;
    try {
      this.spsInfo = parseH265Sps(sps);
    } catch (err) {
      this.spsInfo = undefined;
      if (err instanceof ProtocolError) this.report(err);
    }
  }

  private abortFu(reason: string): void {
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

  private reserve(n: number): boolean {
    const need = this.pos + n;
    if (need - this.base > this.maxAu) {
      this.overflow(`over ${this.maxAu} bytes`);
      return false;
    }
    const out = this.out;
    if (need > out.length) {
      const used = this.pos - this.base;
      const size = Math.max(SLAB_SIZE, Math.min(this.maxAu, Math.max(used + n, used * 2)));
      const next = new Uint8Array(new ArrayBuffer(size));
      if (used > 0) next.set(new Uint8Array(out.buffer, out.byteOffset + this.base, used));
      const shift = this.base;
      for (let i = 0; i < this.nalStarts.length; i++) this.nalStarts[i]! -= shift;
      this.fuStart -= shift;
      this.pos = used;
      this.base = 0;
      this.out = next;
    }
    return true;
  }

  private overflow(what: string): void {
    this.report(new ProtocolError('AU_TOO_LARGE', `H.265 access unit ${what}: dropped`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
    this.auDiscard = true;
    this.fuActive = false;
    this.pos = this.base;
    this.nalStarts.length = 0;
  }

  private markLoss(reason: string): void {
    if (!this.auLoss) this.auReason = reason;
    this.auLoss = true;
  }

  private onGap(): void {
    if (this.auActive) {
      if (this.fuActive) this.abortFu('packets lost inside an FU');
      else this.markLoss('packets lost');
    }
    this.lossPending = true;
    this.discPending = true;
  }

  private finish(byMarker: boolean): void {
    if (this.fuActive) this.abortFu(byMarker ? 'FU without end fragment' : 'timestamp changed inside an FU');
    const n = this.nalStarts.length;
    if (this.auDiscard) {
      this.stats.droppedUnits++;
      this.discPending = true;
      this.clearAu();
      return;
    }
    if (this.auLoss && (this.dropLossy || n === 0)) {
      this.stats.droppedUnits++;
      this.report(new ProtocolError('H265_FRAGMENT_LOST', `H.265 access unit dropped: ${this.auReason}`, { context: { ...this.ctx, timestamp: this.auTs, seq: this.auSeq } }));
      this.discPending = true;
      this.clearAu();
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
    for (let i = 0; i < n; i++) nalus[i] = out.subarray(this.nalStarts[i]! + 4, i + 1 < n ? this.nalStarts[i + 1]! : end);
    this.base = end;
    const unit: AccessUnit = {
      codec: 'h265',
      timestamp: this.auTs,
      sequenceNumber: this.auSeq,
      keyframe: this.auKey,
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

  private bad(code: ErrorCode, msg: string, buf: Uint8Array, s: number, e: number, seq: number): void {
    this.markLoss(msg);
    this.report(new ProtocolError(code, msg, { context: { ...this.ctx, seq, timestamp: this.auTs }, bytes: buf.subarray(s, Math.min(e, s + 64)) }));
  }

  private report(err: ProtocolError): void {
    this.stats.errors++;
    this.sink.onError?.(err);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array, s: number, e: number): boolean {
  if (!a || a.length !== e - s) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[s + i]) return false;
  return true;
}
