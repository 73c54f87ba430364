/**
 * H.264 sequence parameter set parsing (ITU-T H.264 §7.3.2.1.1, VUI §E.1.1): profile, level,
 * picture size with frame cropping, chroma format, frame rate from VUI timing when present.
 */
import { BitReader, unescapeRbsp } from '../../bytes/bit-reader.js';
import { ProtocolError } from '../../errors.js';

export interface H264SpsInfo {
  profileIdc: number;
  /** constraint_set0..5 flags + reserved bits, the byte after profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  width: number;
  height: number;
  /** From VUI timing: time_scale / (2 * num_units_in_tick), when present. */
  frameRate?: number;
  /** The `avc1.PPCCLL` codec string (RFC 6381 §3.3). */
  codecString: string;
}

/** profile_idc values whose SPS carries chroma_format_idc etc. (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export function avc1CodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se();
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (with its 1-byte NAL header). Throws H264_BAD_SPS. */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) {
    throw new ProtocolError('H264_BAD_SPS', 'not an SPS NAL unit', { bytes: nal });
  }
  try {
    const r = new BitReader(unescapeRbsp(nal), 1);
    const profileIdc = r.u(8);
    const constraintFlags = r.u(8);
    const levelIdc = r.u(8);
    const spsId = r.ue();
    if (spsId > 31) throw new RangeError(`seq_parameter_set_id ${spsId}`);
    let chromaFormatIdc = 1;
    let separateColourPlane = false;
    let bitDepthLuma = 8;
    let bitDepthChroma = 8;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc > 3) throw new RangeError(`chroma_format_idc ${chromaFormatIdc}`);
      if (chromaFormatIdc === 3) separateColourPlane = r.flag();
      bitDepthLuma = r.ue() + 8;
      bitDepthChroma = r.ue() + 8;
      r.skip(1); // qpprime_y_zero_transform_bypass_flag
      if (r.flag()) {
        // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists.
        const n = chromaFormatIdc !== 3 ? 8 : 12;
        for (let i = 0; i < n; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) {
      r.ue(); // log2_max_pic_order_cnt_lsb_minus4
    } else if (pocType === 1) {
      r.skip(1); // delta_pic_order_always_zero_flag
      r.se();
      r.se();
      const n = r.ue();
      if (n > 255) throw new RangeError('num_ref_frames_in_pic_order_cnt_cycle');
      for (let i = 0; i < n; i++) r.se();
    } else if (pocType !== 2) {
      throw new RangeError(`pic_order_cnt_type ${pocType}`);
    }
    r.ue(); // max_num_ref_frames
    r.skip(1); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.flag();
    if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
    r.skip(1); // direct_8x8_inference_flag
    let cropL = 0;
    let cropR = 0;
    let cropT = 0;
    let cropB = 0;
    if (r.flag()) {
      cropL = r.ue();
      cropR = r.ue();
      cropT = r.ue();
      cropB = r.ue();
    }
    // §7.4.2.1.1 frame_crop_*: units depend on ChromaArrayType and frame_mbs_only_flag.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 3 ? 1 : 2;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
    const width = widthMbs * 16 - cropUnitX * (cropL + cropR);
    const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16 - cropUnitY * (cropT + cropB);
    if (width <= 0 || height <= 0) throw new RangeError(`cropping leaves ${width}x${height}`);
    const info: H264SpsInfo = {
      profileIdc,
      constraintFlags,
      levelIdc,
      spsId,
      chromaFormatIdc,
      bitDepthLuma,
      bitDepthChroma,
      frameMbsOnly,
      width,
      height,
      codecString: avc1CodecString(profileIdc, constraintFlags, levelIdc),
    };
    // VUI (§E.1.1) up to timing_info; a truncated VUI is not an error (Reolink trailing bytes, retina #102).
    try {
      if (r.flag()) {
        if (r.flag()) {
          if (r.u(8) === 255) r.skip(32); // aspect_ratio_idc == Extended_SAR: sar_width, sar_height
        }
        if (r.flag()) r.skip(1); // overscan_info_present -> overscan_appropriate
        if (r.flag()) {
          r.skip(4); // video_format, video_full_range_flag
          if (r.flag()) r.skip(24); // colour_primaries, transfer, matrix
        }
        if (r.flag()) {
          r.ue();
          r.ue();
        }
        if (r.flag()) {
          const unitsInTick = r.u(32);
          const timeScale = r.u(32);
          if (unitsInTick > 0 && timeScale > 0) info.frameRate = timeScale / (2 * unitsInTick);
        }
      }
    } catch {
      // VUI is optional information.
    }
    return info;
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('H264_BAD_SPS', `SPS: ${(e as Error).message}`, { bytes: nal, cause: e });
  }
}

/**
 * AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) for one SPS and its PPSs:
 * ```
 * | 1 | profile | compat | level | 0xFC|lenSizeMinus1(3) | 0xE0|numSPS | (u16 len, SPS)* | numPPS | (u16 len, PPS)* |
 * ```
 */
export function buildAvcDecoderConfig(sps: Uint8Array, ppss: Uint8Array[]): Uint8Array {
  if (sps.length < 4) throw new ProtocolError('H264_BAD_SPS', 'SPS too short for avcC');
  let size = 8 + sps.length + 1;
  for (const p of ppss) size += 2 + p.length;
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = sps[1]!;
  out[2] = sps[2]!;
  out[3] = sps[3]!;
  out[4] = 0xfc | 3;
  out[5] = 0xe0 | 1;
  out[6] = sps.length >> 8;
  out[7] = sps.length & 0xff;
  out.set(sps, 8);
  let o = 8 + sps.length;
  out[o++] = ppss.length;
  for (const p of ppss) {
    out[o] = p.length >> 8;
    out[o + 1] = p.length & 0xff;
    out.set(p, o + 2);
    o += 2 + p.length;
  }
  return out;
}
