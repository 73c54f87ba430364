/**
 * Maps an SDP track to a depacketizer (codec/ layer). One place that knows which codecs the client
 * can take out of RTP, by rtpmap encoding name (RFC 4566 §6) or static payload type (RFC 3551 §6).
 */
import type { ProtocolError } from '../../errors.js';
import type { AccessUnit, Depacketizer, CodecName } from '../../codec/types.js';
import { H264Depacketizer } from '../../codec/h264/depacketizer.js';
import { H265Depacketizer } from '../../codec/h265/depacketizer.js';
import { buildHevcDecoderConfig } from '../../codec/h265/sps.js';
import { G711Depacketizer } from '../../codec/g711/depacketizer.js';
import { AacDepacketizer } from '../../codec/aac/depacketizer.js';
import { JpegDepacketizer } from '../../codec/jpeg/depacketizer.js';

export interface DepacketizerSetup {
  output: 'annexb' | 'avcc';
  lossMode: 'drop' | 'flag';
  maxAccessUnitSize: number | undefined;
  context: Record<string, string | number>;
  onUnit(u: AccessUnit): void;
  onError(e: ProtocolError): void;
  /**
   * Stream facts learnt on the way (SPS: width, height, codec string, avcC/hvcC), called before the
   * unit whose in-band parameter sets differ from the previous ones (the first time too).
   */
  onInfo(info: { width?: number; height?: number; codecString?: string; decoderConfig?: Uint8Array }): void;
}

export interface TrackLike {
  codec: string;
  fmtp: Record<string, string>;
  clockRate: number;
  channels: number | undefined;
  /** The SDP media section, for `a=x-dimensions` (JPEG over 2040 px). */
  media?: { dimensions?: { width: number; height: number } | undefined };
}

/** Our codec name for an rtpmap encoding (case-insensitive) or static payload type; undefined when unsupported. */
export function codecOf(encoding: string, payloadType: number): CodecName | undefined {
  const e = encoding.toUpperCase();
  switch (e) {
    case 'H264':
      return 'h264';
    case 'H265':
    case 'HEVC':
      return 'h265';
    case 'PCMU':
      return 'pcmu';
    case 'PCMA':
      return 'pcma';
    case 'JPEG':
      return 'jpeg';
    case 'MPEG4-GENERIC':
      // RFC 3640 carries other MPEG-4 streams too; the mode is checked when the depacketizer is made.
      return 'aac';
    case '':
      // RFC 3551 §6 static payload types, for an m= line without rtpmap.
      return payloadType === 0 ? 'pcmu' : payloadType === 8 ? 'pcma' : payloadType === 26 ? 'jpeg' : undefined;
    default:
      return undefined;
  }
}

export function createDepacketizer(t: TrackLike, s: DepacketizerSetup): Depacketizer | undefined {
  switch (t.codec) {
    case 'h264': {
      let lastSps: Uint8Array | undefined;
      let lastPps: Uint8Array | undefined;
      const d: H264Depacketizer = new H264Depacketizer(
        {
          onUnit: (u) => {
            if (d.sps !== lastSps || d.pps !== lastPps) {
              lastSps = d.sps;
              lastPps = d.pps;
              const info = d.spsInfo;
              const cs = d.codecString;
              if (info && cs) s.onInfo({ width: info.width, height: info.height, codecString: cs, decoderConfig: d.avcDecoderConfig() });
            }
            s.onUnit(u);
          },
          onError: s.onError,
        },
        {
          output: s.output,
          lossMode: s.lossMode,
          maxAccessUnitSize: s.maxAccessUnitSize,
          spropParameterSets: t.fmtp['sprop-parameter-sets'],
          context: s.context,
        },
      );
      lastSps = d.sps;
      lastPps = d.pps;
      return d;
    }
    case 'h265': {
      let lastVps: Uint8Array | undefined;
      let lastSps: Uint8Array | undefined;
      let lastPps: Uint8Array | undefined;
      const d: H265Depacketizer = new H265Depacketizer(
        {
          onUnit: (u) => {
            if (d.vps !== lastVps || d.sps !== lastSps || d.pps !== lastPps) {
              lastVps = d.vps;
              lastSps = d.sps;
              lastPps = d.pps;
              const info = d.spsInfo;
              if (info) {
                let decoderConfig: Uint8Array | undefined;
                try {
                  if (d.vps && d.sps && d.pps) decoderConfig = buildHevcDecoderConfig([d.vps], [d.sps], [d.pps]);
                } catch {
                  decoderConfig = undefined;
                }
                s.onInfo({ width: info.width, height: info.height, codecString: info.codecString, ...(decoderConfig ? { decoderConfig } : {}) });
              }
            }
            s.onUnit(u);
          },
          onError: s.onError,
        },
        {
          output: s.output,
          lossMode: s.lossMode,
          maxAccessUnitSize: s.maxAccessUnitSize,
          spropVps: t.fmtp['sprop-vps'],
          spropSps: t.fmtp['sprop-sps'],
          spropPps: t.fmtp['sprop-pps'],
          spropMaxDonDiff: t.fmtp['sprop-max-don-diff'],
          context: s.context,
        },
      );
      lastVps = d.vps;
      lastSps = d.sps;
      lastPps = d.pps;
      return d;
    }
    case 'pcmu':
    case 'pcma':
      return new G711Depacketizer({ onUnit: s.onUnit, onError: s.onError }, { codec: t.codec, sampleRate: t.clockRate || 8000, channels: t.channels ?? 1 });
    case 'aac': {
      // Only the AAC modes: AAC-hbr (and AAC-lbr, same layout with other lengths) per RFC 3640 §3.3.5-6.
      const mode = (t.fmtp.mode ?? '').toLowerCase();
      if (mode !== 'aac-hbr' && mode !== 'aac-lbr') return undefined;
      // Throws AAC_BAD_CONFIG (the client reports it) when the config is unusable.
      return new AacDepacketizer(
        { onUnit: s.onUnit, onError: s.onError },
        { fmtp: t.fmtp, clockRate: t.clockRate, channels: t.channels, lossMode: s.lossMode, context: s.context, ...(s.maxAccessUnitSize ? { maxAccessUnitSize: s.maxAccessUnitSize } : {}) },
      );
    }
    case 'jpeg': {
      const dim = t.media?.dimensions;
      const d = new JpegDepacketizer(
        {
          onUnit: (u) => {
            if (d.width !== w || d.height !== h) {
              w = d.width;
              h = d.height;
              s.onInfo({ width: w, height: h });
            }
            s.onUnit(u);
          },
          onError: s.onError,
        },
        { lossMode: s.lossMode, context: s.context, ...(s.maxAccessUnitSize ? { maxAccessUnitSize: s.maxAccessUnitSize } : {}), ...(dim ? { width: dim.width, height: dim.height } : {}) },
      );
      let w = 0;
      let h = 0;
      return d;
    }
    default:
      return undefined;
  }
}
