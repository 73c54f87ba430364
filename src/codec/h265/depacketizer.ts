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
 * Assembly is shared with H.264 (`NalUnitAssembler`, ../nal-unit-assembler.ts): one copy of each
 * NAL into slab-carved units (or one reused buffer with `transient`), units end on a timestamp
 * change or on a marker once a VCL NAL (types 0-31) is in the unit, loss inside a unit drops it
 * ('drop', H265_FRAGMENT_LOST) or flags it ('flag', complete NALs only, never glued), the unit after
 * a loss carries `discontinuity`. Keyframe = the unit holds an IRAP picture (types 16-23,
 * §7.4.2.2). The latest VPS/SPS/PPS (in-band or from `sprop-vps/sps/pps`) are put before the first
 * IRAP slice of a unit that lacks them.
 */
import { findStartCode } from '../annex-b.js';
import { decodeSpropNalus } from '../h264/sprop.js';
import { NalUnitAssembler, keepOrCopy, nalHeaderTable, type NalUnitAssemblerOptions, type NalUnitAssemblerStats } from '../nal-unit-assembler.js';
import type { AccessUnitSink } from '../types.js';
import { parseH265Sps, type H265SpsInfo } from './sps.js';
import { copyBytes } from '../../bytes/copy.js';

export interface H265DepacketizerOptions extends NalUnitAssemblerOptions {
  /** 'annexb' (default): 00 00 00 01 before each NAL. 'hvcc' (or 'avcc'): 4-byte big-endian lengths. */
  output?: 'annexb' | 'hvcc' | 'avcc';
  /** SDP fmtp `sprop-vps` / `sprop-sps` / `sprop-pps` (base64, comma-separated). */
  spropVps?: string;
  spropSps?: string;
  spropPps?: string;
  /** SDP fmtp `sprop-max-don-diff`: > 0 means DONL/DOND fields are present (skipped). */
  spropMaxDonDiff?: number | string;
}

export type H265DepacketizerStats = NalUnitAssemblerStats;

const NAL_VPS = 32;
const NAL_SPS = 33;
const NAL_PPS = 34;
const AP = 48;
const FU = 49;
const PACI = 50;
/** `auParams` bits. */
const HAS_VPS = 1;
const HAS_SPS = 2;
const HAS_PPS = 4;

/** NAL type from the first header byte. */
const nalType = (b0: number): number => (b0 >> 1) & 0x3f;
const isIrap = (t: number): boolean => t >= 16 && t <= 23;
const KEY_NAL = nalHeaderTable((b0) => isIrap(nalType(b0)));

export class H265Depacketizer extends NalUnitAssembler<H265SpsInfo> {
  /** Latest VPS (a copy; SPS/PPS: see NalUnitAssembler). */
  vps: Uint8Array | undefined;

  private readonly donl: boolean;

  constructor(sink: AccessUnitSink, opts: H265DepacketizerOptions = {}) {
    const lengthPrefixed = opts.output === 'hvcc' || opts.output === 'avcc';
    super(sink, opts, { codec: 'h265', label: 'H.265', nalHeaderSize: 2, fuName: 'FU', lostCode: 'H265_FRAGMENT_LOST', keyNal: KEY_NAL, lengthPrefixed, parseSps: parseH265Sps });
    this.donl = Number(opts.spropMaxDonDiff ?? 0) > 0;
    for (const v of [opts.spropVps, opts.spropSps, opts.spropPps]) if (v !== undefined) this.setSprop(v);
  }

  /** Loads VPS/SPS/PPS from any `sprop-vps` / `sprop-sps` / `sprop-pps` value (others ignored). */
  setSprop(value: string): void {
    for (const n of decodeSpropNalus(value)) {
      if (n.length < 3) continue;
      const t = nalType(n[0]!);
      if (t === NAL_VPS) this.vps = copyBytes(n);
      else if (t === NAL_SPS) this.updateSps(n, 0, n.length);
      else if (t === NAL_PPS) this.pps = copyBytes(n);
    }
  }

  /** `hvc1...` codec string from the latest SPS. */
  get codecString(): string | undefined {
    return this.spsInfo?.codecString;
  }

  // --- payload structures -------------------------------------------------------------------

  protected override payload(buf: Uint8Array, s: number, e: number, seq: number): void {
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
        // code is Annex B inside RTP (docs/camera-quirks.md #11, seen with H.264 on V380; tolerated alike).
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
      // docs/camera-quirks.md #10 (Tiandy, seen on H.264): type changes mid-fragment. Drop the NAL.
      this.abortFu(`FU type changed from ${this.fuType} to ${type}`);
      this.bad('H265_BAD_PAYLOAD', `FU NAL type changed mid-fragment (${this.fuType} -> ${type})`, buf, s, e, seq);
      return;
    }
    if (e > p && !this.append(buf, p, e)) return;
    // S and E both set (OpenIPC H.265, docs/camera-quirks.md #9; forbidden by §4.4.3) is a whole NAL: accepted.
    if (fuh & 0x40) {
      this.fuActive = false;
      this.endNal();
    }
  }

  // --- NAL hooks ----------------------------------------------------------------------------

  /** Parameter sets before the first IRAP slice of a unit lacking them, then the NAL's prefix and header. */
  protected override beginNal(h0: number, h1: number): boolean {
    const type = nalType(h0);
    if (isIrap(type) && !this.auKey && this.insertParams && this.auParams !== (HAS_VPS | HAS_SPS | HAS_PPS)) {
      if (!(this.auParams & HAS_VPS) && this.vps) this.copyNal(this.vps);
      if (!(this.auParams & HAS_SPS) && this.sps) this.copyNal(this.sps);
      if (!(this.auParams & HAS_PPS) && this.pps) this.copyNal(this.pps);
      if (this.auDiscard) return false;
    }
    if (!this.writeNalStart(h0, h1)) return false;
    if (type < 32) {
      this.auVcl = true;
      if (isIrap(type)) this.auKey = true;
    }
    return true;
  }

  protected override nalEnded(out: Uint8Array, s: number, e: number): void {
    const type = nalType(out[s]!);
    if (type === NAL_VPS) {
      this.auParams |= HAS_VPS;
      this.vps = keepOrCopy(this.vps, out, s, e);
    } else if (type === NAL_SPS) {
      this.auParams |= HAS_SPS;
      this.updateSps(out, s, e);
    } else if (type === NAL_PPS) {
      this.auParams |= HAS_PPS;
      this.pps = keepOrCopy(this.pps, out, s, e);
    }
  }

}
