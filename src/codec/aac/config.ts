/**
 * AAC configuration: the SDP fmtp of `mpeg4-generic` (RFC 3640 §4.1), the AudioSpecificConfig in
 * its `config` hex (ISO/IEC 14496-3 §1.6.2.1) and ADTS headers (ISO/IEC 13818-7 §6.2 / 14496-3
 * §1.A.2) for raw frames.
 */
import { BitReader } from '../../bytes/bit-reader.js';
import { ProtocolError } from '../../errors.js';

/** ISO/IEC 14496-3 Table 1.18, samplingFrequencyIndex 0-12. */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350] as const;

export interface AudioSpecificConfig {
  /** audioObjectType (2 = AAC LC, 5 = SBR, 29 = PS ...). */
  objectType: number;
  /** 0-12, or 15 when the rate was explicit. */
  sampleRateIndex: number;
  sampleRate: number;
  /** channelConfiguration (0 = defined in a PCE). */
  channelConfig: number;
  /** Channel count: channelConfig, with 7 -> 8 (7.1); 0 when set by a PCE. */
  channels: number;
  /** Samples per frame: 1024, or 960 when GASpecificConfig frameLengthFlag is set. */
  frameLength: number;
  /** HE-AAC (explicit SBR signalling): the output rate after SBR. */
  extensionSampleRate?: number;
}

function readRate(r: BitReader): { index: number; rate: number } {
  const index = r.u(4);
  if (index === 15) return { index, rate: r.u(24) };
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new RangeError(`reserved samplingFrequencyIndex ${index}`);
  return { index, rate };
}

function readObjectType(r: BitReader): number {
  const t = r.u(5);
  return t === 31 ? 32 + r.u(6) : t;
}

/**
 * ```
 * audioObjectType 5 (31: +6 escape) | samplingFrequencyIndex 4 (15: +24 explicit rate)
 * | channelConfiguration 4 | [SBR/PS: extensionSamplingFrequencyIndex 4(+24), audioObjectType 5]
 * | GASpecificConfig: frameLengthFlag 1 | dependsOnCoreCoder 1 | extensionFlag 1 ...
 * ```
 */
export function parseAudioSpecificConfig(bytes: Uint8Array): AudioSpecificConfig {
  try {
    const r = new BitReader(bytes);
    let objectType = readObjectType(r);
    const { index, rate } = readRate(r);
    const channelConfig = r.u(4);
    let extensionSampleRate: number | undefined;
    if (objectType === 5 || objectType === 29) {
      extensionSampleRate = readRate(r).rate;
      objectType = readObjectType(r);
    }
    let frameLength = 1024;
    // GASpecificConfig (§4.4.1) for the AAC object types that have it.
    if ([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23].includes(objectType) && r.bitsLeft >= 1) {
      if (r.flag()) frameLength = 960;
    }
    const cfg: AudioSpecificConfig = {
      objectType,
      sampleRateIndex: index,
      sampleRate: rate,
      channelConfig,
      channels: channelConfig === 7 ? 8 : channelConfig <= 6 ? channelConfig : 0,
      frameLength,
    };
    if (extensionSampleRate !== undefined) cfg.extensionSampleRate = extensionSampleRate;
    if (rate === 0) throw new RangeError('sample rate 0');
    return cfg;
  } catch (err) {
    throw new ProtocolError('AAC_BAD_CONFIG', `unusable AudioSpecificConfig: ${(err as Error).message}`, { bytes });
  }
}

/** Hex string (fmtp `config`) -> bytes; AAC_BAD_CONFIG when not hex. */
export function decodeConfigHex(hex: string): Uint8Array {
  const h = hex.trim();
  if (h.length === 0 || h.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(h)) throw new ProtocolError('AAC_BAD_CONFIG', `config "${h.slice(0, 40)}" is not hex`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** RFC 3640 §4.1 fmtp parameters that shape the AU header section (all lengths in bits). */
export interface Mpeg4GenericParams {
  mode: string;
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
  ctsDeltaLength: number;
  dtsDeltaLength: number;
  randomAccessIndication: boolean;
  streamStateIndication: number;
  auxiliaryDataSizeLength: number;
  /** Raw AudioSpecificConfig, when `config` was given. */
  config?: Uint8Array;
}

/** Reads the fmtp map (keys case-insensitive, RFC 3640 §4.1). AAC-hbr defaults: 13/3/3. */
export function parseMpeg4GenericFmtp(fmtp: Record<string, string>): Mpeg4GenericParams {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(fmtp)) f[k.toLowerCase()] = v.trim();
  const hbr = (f.mode ?? 'AAC-hbr').toLowerCase() === 'aac-hbr';
  const num = (k: string, d: number): number => {
    const v = f[k];
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new ProtocolError('AAC_BAD_CONFIG', `fmtp ${k}=${v} is not a length in bits`);
    return n;
  };
  const p: Mpeg4GenericParams = {
    mode: f.mode ?? 'AAC-hbr',
    sizeLength: num('sizelength', hbr ? 13 : 0),
    indexLength: num('indexlength', hbr ? 3 : 0),
    indexDeltaLength: num('indexdeltalength', hbr ? 3 : 0),
    ctsDeltaLength: num('ctsdeltalength', 0),
    dtsDeltaLength: num('dtsdeltalength', 0),
    randomAccessIndication: f.randomaccessindication === '1',
    streamStateIndication: num('streamstateindication', 0),
    auxiliaryDataSizeLength: num('auxiliarydatasizelength', 0),
  };
  if (f.config !== undefined && f.config !== '') p.config = decodeConfigHex(f.config);
  return p;
}

/**
 * ADTS header (7 bytes, protection_absent = 1) for one raw AAC frame of `frameSize` bytes:
 * ```
 * syncword 12 = FFF | ID 1 = 0 (MPEG-4) | layer 2 = 0 | protection_absent 1 = 1
 * | profile 2 = objectType-1 | sampling_frequency_index 4 | private 1 | channel_configuration 3
 * | original 1 | home 1 | copyright_id_bit 1 | copyright_id_start 1 | aac_frame_length 13 (with header)
 * | adts_buffer_fullness 11 = 7FF | number_of_raw_data_blocks_in_frame 2 = 0
 * ```
 */
export function writeAdtsHeader(out: Uint8Array, at: number, cfg: AudioSpecificConfig, frameSize: number): void {
  const len = frameSize + 7;
  const profile = (cfg.objectType - 1) & 3;
  const sfi = cfg.sampleRateIndex & 0xf;
  const ch = cfg.channelConfig & 7;
  out[at] = 0xff;
  out[at + 1] = 0xf1;
  out[at + 2] = (profile << 6) | (sfi << 2) | (ch >> 2);
  out[at + 3] = ((ch & 3) << 6) | ((len >> 11) & 3);
  out[at + 4] = (len >> 3) & 0xff;
  out[at + 5] = ((len & 7) << 5) | 0x1f;
  out[at + 6] = 0xfc;
}

/** Whether `cfg` can be expressed in an ADTS header (AAC Main/LC/SSR/LTP, indexed rate, frame < 8 KiB). */
export function adtsCompatible(cfg: AudioSpecificConfig): boolean {
  return cfg.objectType >= 1 && cfg.objectType <= 4 && cfg.sampleRateIndex < 13 && cfg.channelConfig < 8;
}
