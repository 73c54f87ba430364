/**
 * G.711 RTP depacketizer (RFC 3551 §4.5.14, PCMU static PT 0 / PCMA static PT 8): one octet per
 * sample, no payload header. Each packet payload is one unit; its timestamp is the first sample's
 * (8000 Hz unless the SDP rtpmap says otherwise) and `sampleCount` = bytes / channels.
 *
 * Loss: a forward sequence gap marks the next unit `discontinuity: true` (the samples it carries are
 * complete; what was lost are whole units, so `loss` stays false). Old/duplicate packets are ignored.
 */
import { DepacketizerBase } from '../depacketizer-base.js';
import { OLD_PACKET, SequenceGap } from '../sequence-gap.js';
import type { AccessUnitSink, AudioAccessUnit } from '../types.js';
import { copyBytes } from '../../bytes/copy.js';

/** Moved to ../types.ts; re-exported for existing imports. */
export type { AudioAccessUnit } from '../types.js';

export interface G711DepacketizerOptions {
  /** 'pcmu' (µ-law, default) or 'pcma' (A-law). */
  codec?: 'pcmu' | 'pcma';
  /** rtpmap clock rate (default 8000). */
  sampleRate?: number;
  /** rtpmap channels (default 1; samples are interleaved per RFC 3551 §4.1). */
  channels?: number;
}

export interface G711DepacketizerStats {
  packets: number;
  units: number;
  lostPackets: number;
  oldPackets: number;
}

export class G711Depacketizer extends DepacketizerBase {
  readonly stats: G711DepacketizerStats = { packets: 0, units: 0, lostPackets: 0, oldPackets: 0 };
  readonly codec: 'pcmu' | 'pcma';
  readonly sampleRate: number;
  readonly channels: number;
  private readonly sink: AccessUnitSink<AudioAccessUnit>;
  private readonly seqGap = new SequenceGap(this.stats);
  private disc = false;

  constructor(sink: AccessUnitSink<AudioAccessUnit>, opts: G711DepacketizerOptions = {}) {
    super();
    this.sink = sink;
    this.codec = opts.codec ?? 'pcmu';
    this.sampleRate = opts.sampleRate ?? 8000;
    this.channels = Math.max(1, opts.channels ?? 1);
  }

  override pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, _marker: boolean, seq: number, lost?: number): void {
    const gap = this.seqGap.next(seq, lost);
    if (gap !== 0) {
      if (gap === OLD_PACKET) return;
      this.disc = true;
    }
    if (end <= start) return;
    // One exact copy: the unit is "yours to keep" while `buf` may be a reused socket buffer.
    const data = copyBytes(buf, start, end);
    const unit: AudioAccessUnit = {
      codec: this.codec,
      timestamp: timestamp >>> 0,
      sequenceNumber: seq,
      keyframe: true,
      data,
      loss: false,
      discontinuity: this.disc,
      sampleCount: Math.floor(data.length / this.channels),
      sampleRate: this.sampleRate,
      channels: this.channels,
    };
    this.disc = false;
    this.stats.units++;
    this.sink.onUnit(unit);
  }

  override flush(): void {
    // Nothing is ever held back.
  }

  override reset(): void {
    this.seqGap.reset();
    this.disc = true;
  }
}
