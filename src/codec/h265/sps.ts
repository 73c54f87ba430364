/**
 * H.265 sequence parameter set, the part up to the picture size (ITU-T H.265 §7.3.2.2.1 and
 * profile_tier_level §7.3.3): profile/tier/level, chroma format, conformance-window-cropped size,
 * and the RFC 6381 / ISO 14496-15 Annex E codec string (`hvc1.1.6.L93.B0`).
 */
import { BitReader, unescapeRbsp } from '../../bytes/bit-reader.js';
import { ProtocolError } from '../../errors.js';

export interface H265SpsInfo {
  profileSpace: number;
  tierFlag: number;
  profileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag j at bit (31 - j). */
  compatibilityFlags: number;
  /** The 6 bytes of general constraint indicator flags (progressive_source_flag ...). */
  constraintBytes: number[];
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  /** bit_depth_luma_minus8 + 8, bit_depth_chroma_minus8 + 8 (§7.4.3.2.1). */
  bitDepthLuma: number;
  bitDepthChroma: number;
  width: number;
  height: number;
  codecString: string;
}

/**
 * ```
 * NAL header (2 bytes) | sps_video_parameter_set_id u(4) | sps_max_sub_layers_minus1 u(3)
 * | sps_temporal_id_nesting_flag u(1) | profile_tier_level(1, max_sub_layers_minus1)
 * | sps_seq_parameter_set_id ue | chroma_format_idc ue | [separate_colour_plane_flag u(1)]
 * | pic_width_in_luma_samples ue | pic_height_in_luma_samples ue | conformance_window_flag u(1)
 * | [conf_win_left/right/top/bottom_offset ue x4] ...
 * ```
 */
export function parseH265Sps(nal: Uint8Array): H265SpsInfo {
  try {
    const r = new BitReader(unescapeRbsp(nal), 2);
    r.skip(4);
    const maxSubLayersMinus1 = r.u(3);
    r.skip(1);
    // profile_tier_level (§7.3.3), general part: 2+1+5 + 32 + 48 (4 flags + 43 reserved + 1) + 8 bits.
    const profileSpace = r.u(2);
    const tierFlag = r.u(1);
    const profileIdc = r.u(5);
    const compatibilityFlags = r.u(32);
    const constraintBytes: number[] = [];
    for (let i = 0; i < 6; i++) constraintBytes.push(r.u(8));
    const levelIdc = r.u(8);
    const subProfile: boolean[] = [];
    const subLevel: boolean[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfile.push(r.flag());
      subLevel.push(r.flag());
    }
    if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfile[i]) r.skip(88);
      if (subLevel[i]) r.skip(8);
    }
    const spsId = r.ue();
    const chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) throw new RangeError(`chroma_format_idc ${chromaFormatIdc}`);
    let separate = false;
    if (chromaFormatIdc === 3) separate = r.flag();
    let width = r.ue();
    let height = r.ue();
    if (width === 0 || height === 0 || width > 16888 || height > 16888) throw new RangeError(`picture size ${width}x${height}`);
    if (r.flag()) {
      // Table 6-1: SubWidthC / SubHeightC.
      const cf = separate ? 0 : chromaFormatIdc;
      const subW = cf === 1 || cf === 2 ? 2 : 1;
      const subH = cf === 1 ? 2 : 1;
      const left = r.ue();
      const right = r.ue();
      const top = r.ue();
      const bottom = r.ue();
      width -= subW * (left + right);
      height -= subH * (top + bottom);
      if (width <= 0 || height <= 0) throw new RangeError('conformance window larger than the picture');
    }
    const bitDepthLuma = r.ue() + 8;
    const bitDepthChroma = r.ue() + 8;
    if (bitDepthLuma > 16 || bitDepthChroma > 16) throw new RangeError(`bit depth ${bitDepthLuma}/${bitDepthChroma}`);
    return {
      bitDepthLuma,
      bitDepthChroma,
      profileSpace,
      tierFlag,
      profileIdc,
      compatibilityFlags,
      constraintBytes,
      levelIdc,
      spsId,
      chromaFormatIdc,
      width,
      height,
      codecString: hvc1CodecString(profileSpace, tierFlag, profileIdc, compatibilityFlags, constraintBytes, levelIdc),
    };
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError('H265_BAD_SPS', `unparseable H.265 SPS: ${(err as Error).message}`, { bytes: nal });
  }
}

/**
 * ISO/IEC 14496-15 Annex E: `hvc1.<space letter><profile>.<compat flags bit-reversed, hex>.<L|H><level>[.<constraint bytes, trailing zeros dropped>]`.
 */
export function hvc1CodecString(space: number, tier: number, profile: number, compat: number, constraint: readonly number[], level: number): string {
  let rev = 0;
  for (let i = 0; i < 32; i++) if (compat & (1 << i)) rev |= 1 << (31 - i);
  let s = `hvc1.${space > 0 ? String.fromCharCode(0x40 + space) : ''}${profile}.${(rev >>> 0).toString(16).toUpperCase()}.${tier ? 'H' : 'L'}${level}`;
  let n = constraint.length;
  while (n > 0 && constraint[n - 1] === 0) n--;
  for (let i = 0; i < n; i++) s += `.${constraint[i]!.toString(16).toUpperCase()}`;
  return s;
}

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) from the parameter sets, the profile,
 * tier and level taken from the first SPS; 4-byte NAL lengths; bit depths as 8 (not parsed here).
 * ```
 * | 1 | space(2) tier(1) profile(5) | compat u32 | constraint 6B | level | 0xF000 | 0xFC | 0xFC|chroma
 * | 0xF8 | 0xF8 | avgFrameRate u16 = 0 | 0x03 | numArrays | (type u8, count u16, (len u16, NAL)*)* |
 * ```
 */
export function buildHevcDecoderConfig(vps: readonly Uint8Array[], sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (!first) throw new ProtocolError('H265_BAD_SPS', 'no SPS for hvcC');
  const info = parseH265Sps(first);
  const arrays: [number, readonly Uint8Array[]][] = [
    [32, vps],
    [33, sps],
    [34, pps],
  ];
  let size = 23;
  for (const [, list] of arrays) if (list.length > 0) size += 3 + list.reduce((n, x) => n + 2 + x.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = 1;
  out[1] = ((info.profileSpace & 3) << 6) | ((info.tierFlag & 1) << 5) | (info.profileIdc & 0x1f);
  dv.setUint32(2, info.compatibilityFlags >>> 0);
  for (let i = 0; i < 6; i++) out[6 + i] = info.constraintBytes[i] ?? 0;
  out[12] = info.levelIdc;
  dv.setUint16(13, 0xf000);
  out[15] = 0xfc;
  out[16] = 0xfc | (info.chromaFormatIdc & 3);
  out[17] = 0xf8;
  out[18] = 0xf8;
  dv.setUint16(19, 0);
  out[21] = 0x03;
  out[22] = arrays.filter(([, l]) => l.length > 0).length;
  let o = 23;
  for (const [type, list] of arrays) {
    if (list.length === 0) continue;
    out[o] = 0x80 | type;
    dv.setUint16(o + 1, list.length);
    o += 3;
    for (const n of list) {
      dv.setUint16(o, n.length);
      out.set(n, o + 2);
      o += 2 + n.length;
    }
  }
  return out;
}
