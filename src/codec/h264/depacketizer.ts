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
 * Assembly (one copy per NAL into slab-carved or transient output, unit boundaries, loss, caps,
 * emission) is shared with H.265: see `NalUnitAssembler` (../nal-unit-assembler.ts). Here:
 * - FU-A middle/end fragments without their start (mid-stream join) are discarded and mark the
 *   unit lossy; lossy units are dropped with H264_FRAGMENT_LOST ('drop') or flagged ('flag').
 * - VCL NAL = types 1-5 (a marker closes a unit only once it holds one); keyframe = an IDR (type 5).
 * - Parameter sets: the latest in-band (or sprop) SPS and PPS are kept; an IDR unit lacking them gets
 *   copies written right before its first IDR slice.
 */
import { findStartCode } from '../annex-b.js';
import { NalUnitAssembler, keepOrCopy, nalHeaderTable, type NalUnitAssemblerOptions, type NalUnitAssemblerStats } from '../nal-unit-assembler.js';
import type { AccessUnitSink } from '../types.js';
import { parseH264Sps, avc1CodecString, buildAvcDecoderConfig, type H264SpsInfo } from './sps.js';
import { decodeH264Sprop } from './sprop.js';
import { copyBytes } from '../../bytes/copy.js';

export interface H264DepacketizerOptions extends NalUnitAssemblerOptions {
  /** 'annexb' (default): 00 00 00 01 before each NAL. 'avcc': 4-byte big-endian lengths. */
  output?: 'annexb' | 'avcc';
  /** SDP fmtp `sprop-parameter-sets`, used until in-band SPS/PPS arrive. */
  spropParameterSets?: string;
}

export type H264DepacketizerStats = NalUnitAssemblerStats;

const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_IDR = 5;
const STAP_A = 24;
const FU_A = 28;
/** `auParams` bits. */
const HAS_SPS = 1;
const HAS_PPS = 2;

const KEY_NAL = nalHeaderTable((b0) => (b0 & 0x1f) === NAL_IDR);

export class H264Depacketizer extends NalUnitAssembler<H264SpsInfo> {
  constructor(sink: AccessUnitSink, opts: H264DepacketizerOptions = {}) {
    super(sink, opts, { codec: 'h264', label: 'H.264', nalHeaderSize: 1, fuName: 'FU-A', lostCode: 'H264_FRAGMENT_LOST', keyNal: KEY_NAL, lengthPrefixed: opts.output === 'avcc', parseSps: parseH264Sps });
    if (opts.spropParameterSets !== undefined) this.setSprop(opts.spropParameterSets);
  }

  /** Loads SPS/PPS from an SDP `sprop-parameter-sets` value (invalid ones are ignored). */
  setSprop(value: string): void {
    const { sps, pps } = decodeH264Sprop(value);
    if (sps) this.updateSps(sps, 0, sps.length);
    if (pps) this.pps = copyBytes(pps);
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

  // --- payload structures -------------------------------------------------------------------

  protected override payload(buf: Uint8Array, s: number, e: number, seq: number): void {
    const hdr = buf[s]!;
    const type = hdr & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.fuActive) this.abortFu('FU-A ended by a non-FU packet without its end fragment');
      // docs/camera-quirks.md #11 (V380, retina #68): Annex B start codes inside a single NAL payload.
      if (e - s >= 4 && findStartCode(buf, s, e) >= 0) this.annexB(buf, s, e);
      else this.nal(hdr, 0, buf, s + 1, e);
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
      this.nal(buf[p]!, 0, buf, p + 1, p + size);
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
      if (!this.beginNal((buf[s]! & 0xe0) | type, 0)) return;
      this.fuActive = true;
      this.fuType = type;
    } else if (!this.fuActive) {
      // Middle/end fragment without its start: mid-stream join or lost start. Never invent a NAL.
      this.markLoss('FU-A fragment without its start');
      return;
    } else if (type !== this.fuType) {
      // Tiandy (moonfire-nvr #344, docs/camera-quirks.md #10): NAL type changes mid-fragment. Drop the NAL.
      this.abortFu(`FU-A type changed from ${this.fuType} to ${type}`);
      this.bad('H264_BAD_PAYLOAD', `FU-A NAL type changed mid-fragment (${this.fuType} -> ${type})`, buf, s, e, seq);
      return;
    }
    // Empty fragments are legal enough (retina #115): nothing to copy.
    if (e - s > 2 && !this.append(buf, s + 2, e)) return;
    // S and E both set (CostarHD, docs/camera-quirks.md #9; forbidden by §5.8) is a whole NAL: accepted.
    if (fuh & 0x40) {
      this.fuActive = false;
      this.endNal();
    }
  }

  // --- NAL hooks ----------------------------------------------------------------------------

  /** Parameter sets before the first IDR slice of a unit lacking them, then the NAL's prefix and header. */
  protected override beginNal(header: number, _h1: number): boolean {
    const type = header & 0x1f;
    if (type === NAL_IDR && !this.auKey && this.insertParams && this.auParams !== (HAS_SPS | HAS_PPS)) {
      if (!(this.auParams & HAS_SPS) && this.sps) this.copyNal(this.sps);
      if (!(this.auParams & HAS_PPS) && this.pps) this.copyNal(this.pps);
    }
    if (!this.writeNalStart(header, 0)) return false;
    if (type <= 5 && type >= 1) {
      this.auVcl = true;
      if (type === NAL_IDR) this.auKey = true;
    }
    return true;
  }

  protected override nalEnded(out: Uint8Array, s: number, e: number): void {
    const type = out[s]! & 0x1f;
    if (type === NAL_SPS) {
      this.auParams |= HAS_SPS;
      this.updateSps(out, s, e);
    } else if (type === NAL_PPS) {
      this.auParams |= HAS_PPS;
      this.pps = keepOrCopy(this.pps, out, s, e);
    }
  }

}

const PAYLOAD_NAMES: Record<number, string> = { 25: 'STAP-B', 26: 'MTAP16', 27: 'MTAP24', 29: 'FU-B' };
