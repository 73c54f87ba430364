/**
 * Sample entries (the `stsd` children) for the codecs camstream records, and their decoder
 * configuration records:
 * - H.264 `avc1`/`avc3` + `avcC` (ISO/IEC 14496-15 §5.3.3, §5.4.2.1)
 * - H.265 `hvc1`/`hev1` + `hvcC` (ISO/IEC 14496-15 §8.3.3, §8.4.1.1)
 * - AAC `mp4a` + `esds` (ISO/IEC 14496-14 §5.6, ES_Descriptor of ISO/IEC 14496-1 §7.2.6.5)
 * - G.711 as the QuickTime sound descriptions `alaw` / `ulaw` (QuickTime File Format, "Sound Sample
 *   Descriptions", version 0): only in a `.mov`; ISO BMFF has no G.711 sample entry that FFmpeg reads.
 */
import { unescapeRbsp } from '../bytes/bit-reader.js';
import { buildAvcDecoderConfig, parseH264Sps } from '../codec/h264/sps.js';
import { parseH265Sps } from '../codec/h265/sps.js';
import { parseAudioSpecificConfig } from '../codec/aac/config.js';
import { ProtocolError } from '../errors.js';
import { BoxWriter } from './box-writer.js';

export interface VideoEntryInfo {
  /** The complete sample entry box. */
  entry: Uint8Array;
  width: number;
  height: number;
  /** RFC 6381 codec string for a MediaSource type (`avc1.42c01e`, `hvc1.1.6.L93.B0`). */
  codecString: string;
}

export interface AudioEntryInfo {
  entry: Uint8Array;
  sampleRate: number;
  channels: number;
  codecString: string;
}

/** VisualSampleEntry (ISO/IEC 14496-12 §12.1.3) around a decoder configuration box. */
function visualEntry(type: string, width: number, height: number, configType: string, config: Uint8Array): Uint8Array {
  const w = new BoxWriter(256 + config.length);
  const s = w.begin(type);
  w.zeros(6).u16(1); // reserved, data_reference_index
  w.zeros(16); // pre_defined, reserved, pre_defined[3]
  w.u16(width).u16(height);
  w.u32(0x00480000).u32(0x00480000); // 72 dpi
  w.u32(0).u16(1); // reserved, frame_count
  w.zeros(32); // compressorname (Pascal string, empty)
  w.u16(0x0018).u16(0xffff); // depth, pre_defined = -1
  const c = w.begin(configType);
  w.bytes(config);
  w.end(c);
  w.end(s);
  return w.toBytes();
}

/**
 * H.264: `avc1` (parameter sets in the sample entry) or `avc3` (parameter sets may also travel in
 * the samples, ISO/IEC 14496-15 §5.4.2.1.2).
 */
export function h264Entry(sps: Uint8Array, pps: Uint8Array[], inBand: boolean): VideoEntryInfo {
  const info = parseH264Sps(sps);
  const cfg = buildAvcDecoderConfig(sps, pps);
  const codecString = info.codecString.replace('avc1', inBand ? 'avc3' : 'avc1');
  return { entry: visualEntry(inBand ? 'avc3' : 'avc1', info.width, info.height, 'avcC', cfg), width: info.width, height: info.height, codecString };
}

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1):
 * ```
 * | 1 | space(2) tier(1) profile(5) | compat u32 | constraint 6 bytes | level u8
 * | 1111 min_spatial_segmentation(12) | 111111 parallelismType(2) | 111111 chroma_format(2)
 * | 11111 bitDepthLuma-8(3) | 11111 bitDepthChroma-8(3) | avgFrameRate u16
 * | constantFrameRate(2) numTemporalLayers(3) temporalIdNested(1) lengthSizeMinusOne(2)
 * | numOfArrays u8 | { completeness(1) 0 type(6) | numNalus u16 | (u16 len, NAL)* }*
 * ```
 * The 12 profile_tier_level bytes are copied from the SPS (after its 2-byte NAL header and the
 * vps_id / max_sub_layers / nesting byte, emulation prevention removed).
 */
export function buildHevcDecoderConfig(vps: Uint8Array[], sps: Uint8Array[], pps: Uint8Array[]): Uint8Array {
  const first = sps[0];
  if (!first) throw new ProtocolError('MP4_UNSUPPORTED', 'H.265 track without an SPS');
  const info = parseH265Sps(first);
  const rbsp = unescapeRbsp(first);
  if (rbsp.length < 15) throw new ProtocolError('H265_BAD_SPS', 'SPS too short for hvcC', { bytes: first });
  const subLayers = ((rbsp[2]! >> 1) & 7) + 1;
  const nested = rbsp[2]! & 1;
  const w = new BoxWriter(64);
  w.u8(1);
  w.bytes(rbsp.subarray(3, 15));
  w.u16(0xf000).u8(0xfc).u8(0xfc | info.chromaFormatIdc);
  w.u8(0xf8 | (info.bitDepthLuma - 8)).u8(0xf8 | (info.bitDepthChroma - 8));
  w.u16(0);
  w.u8((subLayers << 3) | (nested << 2) | 3);
  const arrays: [number, Uint8Array[]][] = [[32, vps], [33, sps], [34, pps]];
  w.u8(arrays.filter(([, l]) => l.length > 0).length);
  for (const [type, list] of arrays) {
    if (list.length === 0) continue;
    w.u8(0x80 | type).u16(list.length);
    for (const n of list) w.u16(n.length).bytes(n);
  }
  return w.toBytes();
}

/** H.265: `hvc1` (parameter sets only in the sample entry) or `hev1` (also in band). */
export function h265Entry(vps: Uint8Array[], sps: Uint8Array[], pps: Uint8Array[], inBand: boolean): VideoEntryInfo {
  const info = parseH265Sps(sps[0]!);
  const cfg = buildHevcDecoderConfig(vps, sps, pps);
  const codecString = info.codecString.replace('hvc1', inBand ? 'hev1' : 'hvc1');
  return { entry: visualEntry(inBand ? 'hev1' : 'hvc1', info.width, info.height, 'hvcC', cfg), width: info.width, height: info.height, codecString };
}

/** AudioSampleEntry (ISO/IEC 14496-12 §12.2.3); the QuickTime version-0 sound description has the same layout. */
function audioEntryHead(w: BoxWriter, channels: number, sampleRate: number): void {
  w.zeros(6).u16(1); // reserved, data_reference_index
  w.zeros(8); // reserved (QuickTime: version, revision level, vendor)
  w.u16(channels).u16(16); // channelcount, samplesize
  w.u16(0).u16(0); // pre_defined (QuickTime: compression ID), reserved (packet size)
  w.u32((sampleRate > 0xffff ? 0 : sampleRate) * 0x10000); // 16.16
}

/** Descriptor header of ISO/IEC 14496-1 §8.3.3: tag and a 1-4 byte size, 7 bits per byte. */
function descriptor(w: BoxWriter, tag: number, size: number): void {
  w.u8(tag);
  if (size < 0x80) {
    w.u8(size);
  } else {
    w.u8(0x80 | ((size >> 21) & 0x7f)).u8(0x80 | ((size >> 14) & 0x7f)).u8(0x80 | ((size >> 7) & 0x7f)).u8(size & 0x7f);
  }
}

const descSize = (n: number): number => (n < 0x80 ? 2 + n : 5 + n);

/**
 * `mp4a` + `esds`: ES_Descriptor { ES_ID 0, flags 0, DecoderConfigDescriptor { objectTypeIndication
 * 0x40 (Audio ISO/IEC 14496-3), streamType 5 (audio) << 2 | 1, bufferSizeDB, max/avg bitrate,
 * DecoderSpecificInfo = AudioSpecificConfig }, SLConfigDescriptor { predefined 2 } }.
 */
export function aacEntry(config: Uint8Array): AudioEntryInfo {
  const asc = parseAudioSpecificConfig(config);
  const channels = asc.channels || 2;
  const w = new BoxWriter(128 + config.length);
  const s = w.begin('mp4a');
  audioEntryHead(w, channels, asc.sampleRate);
  const e = w.beginFull('esds', 0, 0);
  const dsi = descSize(config.length);
  const dcd = descSize(13 + dsi);
  const sl = descSize(1);
  descriptor(w, 0x03, 3 + dcd + sl);
  w.u16(0).u8(0);
  descriptor(w, 0x04, 13 + dsi);
  w.u8(0x40).u8(0x15).u24(0).u32(0).u32(0);
  descriptor(w, 0x05, config.length);
  w.bytes(config);
  descriptor(w, 0x06, 1);
  w.u8(0x02);
  w.end(e);
  w.end(s);
  return { entry: w.toBytes(), sampleRate: asc.sampleRate, channels, codecString: `mp4a.40.${asc.objectType}` };
}

/** G.711 as QuickTime `alaw` / `ulaw` (a `.mov` only). */
export function g711Entry(codec: 'pcma' | 'pcmu', sampleRate: number, channels: number): AudioEntryInfo {
  const w = new BoxWriter(64);
  const s = w.begin(codec === 'pcma' ? 'alaw' : 'ulaw');
  audioEntryHead(w, channels, sampleRate);
  w.end(s);
  return { entry: w.toBytes(), sampleRate, channels, codecString: codec === 'pcma' ? 'alaw' : 'ulaw' };
}
