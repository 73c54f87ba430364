/**
 * Types shared by every depacketizer (the codec/ layer of docs/architecture.md): what goes in (RTP payloads) and
 * what comes out (access units).
 */
import type { ProtocolError } from '../errors.js';

export type CodecName = 'h264' | 'h265' | 'pcmu' | 'pcma' | 'aac' | 'jpeg';

/** One access unit (video frame / audio frame group) as delivered by a depacketizer. */
export interface AccessUnit {
  codec: CodecName;
  /** RTP timestamp (32-bit, unsigned) shared by the unit's packets. */
  timestamp: number;
  /** Sequence number of the unit's first packet. */
  sequenceNumber: number;
  /** Video: an IDR/IRAP picture (decodable on its own). Audio: always true. */
  keyframe: boolean;
  /**
   * The unit's bytes, "yours to keep": never overwritten by the depacketizer. H.26x: Annex B
   * (00 00 00 01 before each NAL) by default, AVCC/HVCC (4-byte big-endian lengths) when asked.
   */
  data: Uint8Array;
  /** H.26x: each NAL unit (no start code / length prefix): views into `data`. */
  nalus?: Uint8Array[];
  /**
   * A loss was detected before or inside this unit and the unit may be incomplete (only delivered in
   * 'flag' loss mode; in 'drop' mode such units are reported as errors and not delivered).
   */
  loss: boolean;
  /** One or more units before this one were lost or dropped: references may be missing. */
  discontinuity: boolean;
}

/** An audio access unit: the samples of one packet (G.711) or one AAC frame. */
export interface AudioAccessUnit extends AccessUnit {
  codec: 'pcmu' | 'pcma' | 'aac';
  /** Samples per channel in the unit (G.711: bytes / channels; AAC: 1024 or 960). */
  sampleCount: number;
  sampleRate: number;
  channels: number;
}

/** What the client layer adds per track (see client/). */
export interface Frame extends AccessUnit {
  /** Track (media) index in the SDP. */
  track: number;
  /** 32-bit timestamps extended across wraps. */
  extendedTimestamp: number;
  /** Seconds since the track's first timestamp (extendedTimestamp delta / clock rate). */
  presentationTime: number;
  /** Wall-clock milliseconds since the Unix epoch, from RTCP SR, when known. */
  wallClockMs?: number;
}

/** The RTP fields a depacketizer needs (an `RtpPacketView` fits). */
export interface RtpPayloadPacket {
  payload: Uint8Array;
  marker: boolean;
  timestamp: number;
  sequenceNumber: number;
}

export interface AccessUnitSink<U = AccessUnit> {
  onUnit(unit: U): void;
  /** Corrupt/unsupported/oversize data: reported here, the unit dropped, the stream goes on. */
  onError?(error: ProtocolError): void;
}

export interface Depacketizer {
  /** Feeds one RTP packet's payload. The payload bytes are read during the call only. */
  push(pkt: RtpPayloadPacket): void;
  /**
   * Hot path: the payload is `buf[start, end)`. `lost` is how many packets the caller's receive path
   * (one per track: rtsp/session/receiver.ts) counted as lost right before this one, duplicates and
   * stale packets already dropped; given, it is used as is (the loss is computed once, upstream).
   * Omitted, the depacketizer checks sequence continuity itself (codec/sequence-gap.ts), for use
   * without a session.
   */
  pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, sequenceNumber: number, lost?: number): void;
  /** Emits a unit still in progress (end of stream / PAUSE), flagged as lossy if incomplete. */
  flush(): void;
  /** Forgets any partial unit and sequence state (after a seek or reconnect). */
  reset(): void;
}

export type LossMode = 'drop' | 'flag';

/** Counters kept by the H.264, H.265, JPEG and AAC depacketizers. */
export interface DepacketizerStats {
  packets: number;
  units: number;
  droppedUnits: number;
  lostPackets: number;
  /** Packets behind the expected sequence number (duplicates, stale), ignored. */
  oldPackets: number;
  errors: number;
}
