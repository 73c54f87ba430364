/**
 * What the DH and DHAV demuxers hand out: one frame type for both formats, the events
 * they report, their options and counters. Byte layouts: docs/dh-format.md, the WV-V series HTTP API V2.40 §7.
 */
import type { ProtocolError } from '../errors.js';

export type DhFormat = 'dh' | 'dhav';
export type FrameKind = 'video' | 'audio' | 'aux';
export type DhCodec =
  | 'h264'
  | 'h265'
  | 'mpeg4'
  | 'mjpeg'
  | 'g711a'
  | 'g711u'
  | 'aac'
  | 'pcm' // PCM8 / PCM16 (see meta.codecId)
  | 'g729'
  | 'g721'
  | 'g723'
  | 'g726'
  | 'adpcm'
  | 'amr'
  | 'mp2'
  | 'mp3'
  | 'json' // DHAV 0xF1 auxiliary frames some cameras fill with JSON text
  | 'unknown';

export interface DhTimeZone {
  /** -12..12, west negative. */
  hours: number;
  minutes: number;
  dst: boolean;
}

export interface DhEventFlags {
  raw: number;
  alarm: boolean;
  motion: boolean;
  videoLoss: boolean;
}

export interface DhGap {
  operateId: number;
  /** Gap start and end, Unix ms (startTime * 1000 + beginMs). */
  start: number;
  end: number;
}

/**
 * Metadata from DH extend headers / DHAV extensions; a field is present only when its packet carried it.
 * Frames whose metadata is only type, codec, I-frame interval (and DHAV subtype) share one frozen
 * object between them; copy it before changing it.
 */
export interface DhMeta {
  /** Raw packet type: DH byte 2 (0x10/0x20/0x21), DHAV byte 4 (0xFD, 0xFC, 0xF0, ...). */
  packetType: number;
  /** Vendor codec number (DH video/audio type, DHAV 0x81/0x83 codec), -1 when never signalled. */
  codecId: number;
  title?: string;
  timeZone?: DhTimeZone;
  events?: DhEventFlags;
  gap?: DhGap;
  /** Matches the playback `operateId` (the WV-V series HTTP API V2.40 §4.2.4); 0 on live streams. */
  operateId?: number;
  iFrameInterval?: number;
  /** DHAV byte 5. */
  subtype?: number;
}

/**
 * One media frame.
 *
 * Payload lifetime: `payload` is a view into the chunk given to `push()` when the frame lay inside
 * that one chunk, otherwise ONE exact-size copy made by the demuxer (DHAV sub-frame pieces are joined
 * by one more copy). Either way it stays valid after the callback returns, as long as the caller does
 * not modify chunks after pushing them (the Node stream contract). Copy it if you mean to mutate it.
 * With the `transientPayload` option, a payload that spanned chunks is valid only during `frame()`.
 * A view is a plain `Uint8Array` (cheaper to make than a `Buffer` view); use `Buffer.from(p.buffer,
 * p.byteOffset, p.length)` for Buffer methods.
 */
export interface DhFrame {
  format: DhFormat;
  kind: FrameKind;
  codec: DhCodec;
  /** I-frame / JPEG / every audio frame. */
  keyframe: boolean;
  /** 0 when unknown (carried over from the last frame of the channel that said). */
  width: number;
  height: number;
  fps: number;
  /** Audio only, 0 when unknown. */
  sampleRate: number;
  channels: number;
  /** Device channel (DH u16 @8, DHAV u8 @6). */
  channel: number;
  sequence: number;
  /**
   * Milliseconds, never backwards within a stream (channel + kind). DH: utc * 1000 + utcms.
   * DHAV: the device's 16-bit millisecond counter unwrapped at 65536. Use it for deltas only.
   */
  timestamp: number;
  /**
   * Wall clock, Date ms. DH: UTC (utc * 1000 + utcms). DHAV: the packed date is the camera's LOCAL
   * time with no zone, so it is encoded here as if it were UTC (1 s resolution).
   */
  time: number;
  checksumOk: boolean;
  /**
   * Present (true) on the first frame after a device clock step (a `discontinuity` event): the
   * device time went back by more than a second, and `timestamp` goes on from the last value.
   */
  discontinuity?: boolean;
  /** Absolute stream offset of the packet's first byte (of the first piece for joined frames). */
  offset: number;
  /** DHAV sub-frame pieces joined into this frame (1 when the frame was not split). */
  pieces: number;
  meta: DhMeta;
  /** H.264/H.265: Annex B. Audio: raw codec frames. See lifetime above. */
  payload: Uint8Array;
}

export type DhEvent =
  /** `streamId=<id>\r\n` text line of playBack.cgi bodies (the WV-V series HTTP API V2.40 §4.2.3). */
  | { type: 'preamble'; offset: number; streamId: string }
  /** 1024-byte "DAHUA" header of exported .dav files. */
  | { type: 'file-header'; offset: number; length: number }
  /** A run of 0xFF padding between DHAV packets. */
  | { type: 'padding'; offset: number; length: number }
  /**
   * The device clock stepped back by more than a second (DVR time changed, NTP, restart): DH `utc`, or
   * DHAV's date or millisecond counter. `from`/`to` are the device times (ms) before and after; the
   * frame's `timestamp` stays monotonic (it goes on from the last value) and carries `discontinuity`.
   */
  | { type: 'discontinuity'; offset: number; channel: number; kind: FrameKind; from: number; to: number }
  /** Bytes skipped before a packet could be trusted again; `error.code === 'DH_RESYNC'`. */
  | { type: 'resync'; offset: number; skipped: number; error: ProtocolError }
  /** DH_CHECKSUM, DH_BAD_LENGTH, DH_BAD_EXTEND, DH_BAD_TRAILER, DH_SUBFRAME, DH_TRUNCATED. */
  | { type: 'error'; error: ProtocolError };

export interface DhSink {
  frame(frame: DhFrame): void;
  event?(event: DhEvent): void;
}

export interface DhDemuxerOptions {
  /** Largest accepted packet (and joined DHAV frame), bytes. Over it: DH_BAD_LENGTH + resync. Default 8 MiB. */
  maxPacketSize?: number;
  /**
   * Payload lifetime trade-off. false (default): every payload is yours to keep (a view into the
   * pushed chunk, or one exact-size copy when it spanned chunks). true: a payload that spanned chunks
   * is assembled in one reused buffer and is valid only until `frame()` returns — no allocation per
   * frame, for recorders that write or parse the payload at once (fresh memory costs ~5x a copy into
   * a reused buffer on this machine; bench/dh-demux.bench.ts measures both).
   */
  transientPayload?: boolean;
}

export interface DhStats {
  frames: { video: number; audio: number; aux: number };
  /** Bytes pushed. */
  bytes: number;
  payloadBytes: number;
  resyncs: number;
  skippedBytes: number;
  paddingBytes: number;
  checksumMismatches: number;
  errors: number;
}

export const DEFAULT_MAX_PACKET_SIZE = 8 * 1024 * 1024;

export interface Demuxer {
  readonly format: DhFormat | 'auto';
  push(chunk: Uint8Array): void;
  end(): void;
  readonly stats: DhStats;
  /** Stream offset before which pushed chunks are no longer referenced (see `DhDemuxer.heldFrom`). */
  readonly heldFrom: number;
}
