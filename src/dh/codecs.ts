/**
 * Codec and sample-rate numbers of the DH extend headers (the WV-V series HTTP API V2.40 §7.2.1, §7.2.2) and the DHAV
 * extensions 0x81/0x83/0x8c (docs/dh-format.md), mapped to `DhCodec`.
 */
import type { DhCodec } from './types.js';

/** DH audio type 1..16 (the WV-V series HTTP API V2.40 §7.2.1). Index 0 unused. */
const DH_AUDIO: readonly DhCodec[] = [
  'unknown',
  'pcm', // 1 PCM8
  'g729', // 2
  'adpcm', // 3 IMA_ADPCM
  'g711u', // 4
  'g721', // 5
  'pcm', // 6 PCM8_VWIS
  'adpcm', // 7 MS_ADPCM
  'g711a', // 8
  'amr', // 9 AMR-NB
  'pcm', // 10 PCM16
  'g723', // 11 G723.1
  'aac', // 12
  'g726', // 13 G726_40
  'g726', // 14 G726_32
  'g726', // 15 G726_24
  'g726', // 16 G726_16
];

export function dhAudioCodec(type: number): DhCodec {
  return DH_AUDIO[type] ?? 'unknown';
}

/**
 * DHAV audio codec numbers are the DH list shifted (docs/dh-format.md): DH 1-10 = DHAV 7-16,
 * 11 -> 25, 12 -> 26, 13-16 -> 27-30; plus 22 G711U, 31 MP2, 33 MP3.
 */
export function dhavAudioCodec(n: number): DhCodec {
  if (n >= 7 && n <= 16) return dhAudioCodec(n - 6);
  if (n >= 25 && n <= 30) return dhAudioCodec(n - 14);
  if (n === 22) return 'g711u';
  if (n === 31) return 'mp2';
  if (n === 33) return 'mp3';
  return 'unknown';
}

/** Inverse of `dhavAudioCodec` for the muxers and tests: the canonical DHAV number of a DH audio type. */
export function dhAudioTypeToDhav(dhType: number): number {
  if (dhType >= 1 && dhType <= 10) return dhType + 6;
  if (dhType >= 11 && dhType <= 16) return dhType + 14;
  return 0;
}

/**
 * DH video type (the WV-V series HTTP API V2.40 §7.2.2): 1 MPEG4, 2 H.264. The document lists no H.265 or MJPEG number; we read
 * 3 (MJPEG) and 12 (H.265) with the DHAV 0x81 numbering (assumption, tolerant reader) and otherwise
 * sniff the payload.
 */
export function dhVideoCodec(type: number): DhCodec {
  switch (type) {
    case 1:
      return 'mpeg4';
    case 2:
      return 'h264';
    case 3:
      return 'mjpeg';
    case 12:
      return 'h265';
    default:
      return 'unknown';
  }
}

/** DHAV extension 0x81 codec byte: 1 MPEG4, 2/4/8 H.264, 3 MJPEG, 0x0C H.265. */
export function dhavVideoCodec(n: number): DhCodec {
  switch (n) {
    case 1:
      return 'mpeg4';
    case 2:
    case 4:
    case 8:
      return 'h264';
    case 3:
      return 'mjpeg';
    case 0x0c:
      return 'h265';
    default:
      return 'unknown';
  }
}

/** Sample-frequency index, DH 1..9 (the WV-V series HTTP API V2.40 §7.2.1); DHAV adds 0, 10, 11, 12. */
const RATES = [8000, 4000, 8000, 11025, 16000, 20000, 22050, 32000, 44100, 48000, 96000, 192000, 64000];

export function dhSampleRate(index: number): number {
  return index >= 1 && index <= 9 ? RATES[index]! : 0;
}

export function dhavSampleRate(index: number): number {
  return RATES[index] ?? 0;
}

/** Index of `rate` in the table (1..12, DH-compatible where possible), 0 when absent. */
export function sampleRateIndex(rate: number): number {
  for (let i = 1; i < RATES.length; i++) if (RATES[i] === rate) return i;
  return 0;
}

/**
 * Sniffs H.264 vs H.265 from the first NAL header of an Annex B payload, for packets whose headers
 * never named the codec. H.265 VPS/SPS/PPS (types 32..34, layer/tid byte 0x01) are checked first:
 * their first byte (0x40/0x42/0x44) is an invalid H.264 NAL (forbidden bit 0, type 0/2/4 with
 * nal_ref_idc 2 — type 0 is unspecified), while H.264's 0x67/0x68/0x65 map to H.265 types 51/52/50
 * (reserved), so the tests do not overlap for parameter sets and IDR slices.
 */
export function sniffVideoCodec(p: Uint8Array): DhCodec {
  const end = Math.min(p.length - 2, 64);
  for (let i = 0; i + 2 < end; i++) {
    if (p[i] === 0 && p[i + 1] === 0 && p[i + 2] === 1) {
      const b = p[i + 3];
      if (b === undefined || (b & 0x80) !== 0) return 'unknown';
      const t5 = (b >> 1) & 0x3f;
      if (t5 >= 32 && t5 <= 34 && p[i + 4] === 0x01) return 'h265';
      const t4 = b & 0x1f;
      if (t4 >= 1 && t4 <= 23) return 'h264';
      return 'unknown';
    }
  }
  if (p[0] === 0xff && p[1] === 0xd8) return 'mjpeg';
  return 'unknown';
}
