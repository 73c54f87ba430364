/**
 * Maps an SDP track to a depacketizer (codec/ layer). One place that knows which codecs the client
 * can take out of RTP, by rtpmap encoding name (RFC 4566 §6) or static payload type (RFC 3551 §6).
 */
import type { ProtocolError } from '../errors.js';
import type { AccessUnit, Depacketizer, CodecName } from '../codec/types.js';
import { H264Depacketizer } from '../codec/h264/depacketizer.js';

export interface DepacketizerSetup {
  output: 'annexb' | 'avcc';
  lossMode: 'drop' | 'flag';
  maxAccessUnitSize: number | undefined;
  context: Record<string, string | number>;
  onUnit(u: AccessUnit): void;
  onError(e: ProtocolError): void;
  /** Stream facts learnt on the way (SPS: width, height, codec string). */
  onInfo(info: { width?: number; height?: number; codecString?: string }): void;
}

export interface TrackLike {
  codec: string;
  fmtp: Record<string, string>;
  clockRate: number;
  channels: number | undefined;
}

/** Our codec name for an rtpmap encoding (case-insensitive) or static payload type; undefined when unsupported. */
export function codecOf(encoding: string, payloadType: number): CodecName | undefined {
  const e = encoding.toUpperCase();
  if (e === 'H264') return 'h264';
  if (e === '' && payloadType === 0) return undefined;
  return undefined;
}

export function createDepacketizer(t: TrackLike, s: DepacketizerSetup): Depacketizer | undefined {
  switch (t.codec) {
    case 'h264': {
      let known = '';
      const d: H264Depacketizer = new H264Depacketizer(
        {
          onUnit: (u) => {
            const info = d.spsInfo;
            const cs = d.codecString;
            if (info && cs && cs !== known) {
              known = cs;
              s.onInfo({ width: info.width, height: info.height, codecString: cs });
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
      return d;
    }
    default:
      return undefined;
  }
}
