/**
 * One track's receive path (the only one): RTP packet -> payload type and SSRC checks -> sequence
 * tracking (loss counted once, here) -> depacketizer -> frame with extended timestamp, presentation
 * time (RTP-Info anchored when trusted) and wall-clock time (RTCP SR). RTCP: sender reports, BYE.
 * Sans-IO: the session calls it with bytes and `now`; effects go back through `ReceiverHost`.
 */
import { ProtocolError } from '../../errors.js';
import { RtpPacketView, RtpStatus, rtpError } from '../../rtp/rtp-packet.js';
import { SeqEvent, SequenceTracker, TimestampExtender } from '../../rtp/sequence.js';
import { RtpClockMapper, buildReceiverReport, lastSrField, tryParseRtcp, type RtcpPacket, type RtcpReportBlock } from '../../rtp/rtcp.js';
import type { AccessUnit, Depacketizer } from '../../codec/types.js';
import type { RtpInfoEntry } from '../headers.js';
import { createDepacketizer } from './depacketizers.js';
import { ONVIF_REPLAY_PROFILE, parseOnvifReplay, type OnvifReplayInfo } from '../../rtp/onvif-replay.js';
import type { RtpInfoPolicy, RtspFrame, RtspStats, RtspTrack, SsrcPolicy, TrackTransport } from './types.js';

export interface ReceiverHost {
  readonly stats: RtspStats;
  frame(r: TrackReceiver, f: RtspFrame): void;
  warning(e: ProtocolError): void;
  ended(r: TrackReceiver): void;
  rtp?(track: RtspTrack, p: RtpPacketView): void;
  rtcp?(track: RtspTrack, packets: RtcpPacket[]): void;
}

export interface ReceiverOptions {
  output: 'annexb' | 'avcc';
  lossMode: 'drop' | 'flag';
  maxAccessUnitSize: number | undefined;
  rtpInfoPolicy: RtpInfoPolicy;
  ssrcPolicy: SsrcPolicy;
  ssrcAdoptAfter: number;
}

/** How far RTP-Info may be from the first packet before `ignore-suspicious` distrusts it. */
const MAX_INFO_SEQ_GAP = 1000;
const MAX_INFO_TIME_S = 10;

export class TrackReceiver {
  readonly track: RtspTrack;
  readonly transport: TrackTransport;
  readonly depacketizer: Depacketizer;
  readonly seq = new SequenceTracker();
  /** The track's SSRC as accepted (undefined until the first packet, or from SETUP). */
  ssrc: number | undefined;
  /** RTCP BYE received (or the session ended the track). */
  ended = false;
  /** Presentation time of the last frame (s). */
  position = 0;
  private readonly host: ReceiverHost;
  private readonly opts: ReceiverOptions;
  private readonly pkt: RtpPacketView;
  private readonly ts = new TimestampExtender();
  private readonly clock: RtpClockMapper;
  private ssrcFromSetup = false;
  private accepted = 0;
  private candidate = -1;
  private candidateCount = 0;
  private firstSeq = -1;
  private firstTs = 0;
  /** Extended timestamp of presentation time 0 (undefined until known). */
  private origin: number | undefined;
  private infoSeq: number | undefined;
  private infoTime: number | undefined;
  private infoChecked = true;
  private discontinuity = false;
  private paramsChanged = false;
  private warnedPt = false;
  private warnedSsrc = false;
  private lastSr = 0;
  private lastSrAt = 0;
  private now = 0;
  // ONVIF replay (ONVIF Streaming Specification §6.3): the extension of the unit being received and
  // of the one before (a unit may be completed by the next unit's first packet).
  private replayCur: { ts: number; info: OnvifReplayInfo; started?: boolean } | undefined;
  private replayPrev: { ts: number; info: OnvifReplayInfo; started?: boolean } | undefined;
  /** Low byte of the latest PLAY's CSeq, and whether the server has ever echoed one. */
  private playCseq: number | undefined;
  private cseqEchoed = false;
  private firstWall: number | undefined;
  private wallSpan = 0;
  /** PLAY answered `Range: clock=` and no better clock: recording time = start + presentation time. */
  private clockStart: number | undefined;
  private clockPts: number | undefined;

  constructor(track: RtspTrack, transport: TrackTransport, host: ReceiverHost, opts: ReceiverOptions, pkt: RtpPacketView, context: Record<string, string | number>) {
    this.track = track;
    this.transport = transport;
    this.host = host;
    this.opts = opts;
    this.pkt = pkt;
    this.clock = new RtpClockMapper(track.clockRate > 0 ? track.clockRate : 90000);
    if (track.ssrc !== undefined && opts.ssrcPolicy !== 'ignore') {
      this.ssrc = track.ssrc;
      this.ssrcFromSetup = true;
    }
    const dep = createDepacketizer(track, {
      output: opts.output,
      lossMode: opts.lossMode,
      maxAccessUnitSize: opts.maxAccessUnitSize,
      context,
      onUnit: (u) => this.onUnit(u),
      onError: (e) => {
        host.stats.droppedUnits++;
        this.discontinuity = true;
        host.warning(e);
      },
      onInfo: (info) => this.onInfo(info),
    });
    if (!dep) throw new ProtocolError('RTSP_UNSUPPORTED', `no depacketizer for ${track.codec}`, { context: { track: track.index } });
    this.depacketizer = dep;
  }

  /** Hot path: one RTP packet `buf[start, end)`; nothing is kept past the call but depacketizer copies. */
  rtp(buf: Uint8Array, start: number, end: number, now: number): void {
    const stats = this.host.stats;
    const p = this.pkt;
    const st = p.parse(buf, start, end);
    if (st !== RtpStatus.Ok) {
      stats.badPackets++;
      this.host.warning(rtpError(st, buf.subarray(start, end), { offset: stats.bytesIn, channel: this.track.rtpChannel }));
      return;
    }
    stats.rtpPackets++;
    if (this.ended) return;
    if (p.payloadType !== this.track.payloadType) {
      // A server that sends two tracks on one channel, or comfort noise (RFC 3389) we did not set up.
      stats.wrongPayloadType++;
      if (!this.warnedPt) {
        this.warnedPt = true;
        this.host.warning(new ProtocolError('RTP_BAD_PACKET', `track ${this.track.index} expects payload type ${this.track.payloadType}, got ${p.payloadType}: dropped`, { context: { track: this.track.index, payloadType: p.payloadType } }));
      }
      return;
    }
    if (p.ssrc !== this.ssrc && !this.checkSsrc(p.ssrc)) return;
    // A packet from before the latest PLAY (replay CSeq): counted in the sequence, not depacketized.
    const stale = p.extensionProfile === ONVIF_REPLAY_PROFILE && !this.replayPacket(p);
    this.now = now;
    if (this.host.rtp) this.host.rtp(this.track, p);
    const ev = this.seq.push(p.sequenceNumber);
    let lost = 0;
    switch (ev) {
      case SeqEvent.InOrder:
        break;
      case SeqEvent.Gap:
        lost = this.seq.lastLost;
        stats.lostPackets += lost;
        this.discontinuity = true;
        break;
      case SeqEvent.Duplicate:
      case SeqEvent.Old:
        stats.duplicatePackets++;
        return;
      case SeqEvent.Restart:
        this.depacketizer.reset();
        this.discontinuity = true;
        break;
    }
    if (this.firstSeq < 0) this.first(p.sequenceNumber, p.timestamp);
    if (stale) return;
    const rep = this.replayCur;
    if (lost > 0 && rep !== undefined && rep.ts === p.timestamp && rep.info.discontinuity && !rep.started) {
      // ONVIF replay D bit on the first packet of a unit: the server says the gap lies before this
      // unit (a seek flushed packets that had sequence numbers), so the unit itself is whole.
      this.depacketizer.reset();
      lost = 0;
    }
    if (rep !== undefined && rep.ts === p.timestamp) rep.started = true;
    // The loss counted here is the depacketizer's too: it does not re-derive it.
    this.depacketizer.pushPayload(p.data, p.payloadOffset, p.payloadOffset + p.payloadLength, p.timestamp, p.marker, p.sequenceNumber, lost);
  }

  /**
   * Reads a packet's replay extension. Returns false for a packet left over from before the latest
   * PLAY (a seek): its CSeq byte is an older PLAY's, once the server has shown it echoes them
   * (GStreamer 1.22 always sends 0: then nothing is dropped).
   */
  private replayPacket(p: RtpPacketView): boolean {
    let info: OnvifReplayInfo | undefined;
    try {
      info = parseOnvifReplay(p.extensionProfile, p.data, p.extensionOffset, p.extensionLength, this.host.stats.bytesIn);
    } catch (e) {
      if (e instanceof ProtocolError) this.host.warning(e);
      return true;
    }
    if (!info) return true;
    if (this.playCseq !== undefined && this.playCseq !== 0) {
      if (info.cseq === this.playCseq) this.cseqEchoed = true;
      else if (this.cseqEchoed) return false;
    }
    const cur = this.replayCur;
    if (cur && cur.ts === p.timestamp) {
      // E and T may sit on a unit's last packet only.
      cur.info.endOfSection ||= info.endOfSection;
      cur.info.terminal ||= info.terminal;
    } else {
      this.replayPrev = cur;
      this.replayCur = { ts: p.timestamp, info };
    }
    return true;
  }

  /**
   * A PLAY request goes out with CSeq `cseq`. From now on replay packets stamped with an older PLAY's
   * CSeq are stale (the answer and the new data may share one read, ahead of the answer's promise).
   * A PLAY while playing (a seek) drops the unit in progress and marks the next one discontinuous.
   */
  onPlayRequest(cseq: number, seek: boolean): void {
    this.playCseq = cseq & 0xff;
    if (seek) {
      this.depacketizer.reset();
      this.replayCur = this.replayPrev = undefined;
      this.discontinuity = true;
    }
  }

  /** The PLAY was answered with CSeq `cseq`; `clockStart`: the answer's `Range: clock=` start (ms), if any. */
  onPlay(cseq: number, clockStart: number | undefined): void {
    this.playCseq = cseq & 0xff;
    this.clockStart = clockStart;
    this.clockPts = undefined;
    this.firstWall = undefined;
    this.wallSpan = 0;
  }

  /** Seconds of media delivered since the latest PLAY: from replay times when present, else presentation time. */
  get playedSpan(): number {
    return this.firstWall !== undefined ? this.wallSpan : this.position;
  }

  /** Returns true when the packet's SSRC is (now) the track's. */
  private checkSsrc(ssrc: number): boolean {
    const policy = this.opts.ssrcPolicy;
    if (policy === 'ignore') return true;
    if (this.ssrc === undefined) {
      this.ssrc = ssrc;
      this.track.ssrc = ssrc;
      return true;
    }
    if (this.accepted === 0 && this.ssrcFromSetup && policy === 'adopt') {
      // The SETUP answer's ssrc= is a hint some servers get wrong (gortsplib #121): the packets win.
      this.host.warning(new ProtocolError('RTP_BAD_PACKET', `track ${this.track.index}: SETUP announced SSRC ${hex(this.ssrc)}, packets carry ${hex(ssrc)}; using the packets'`, { context: { track: this.track.index } }));
      this.adopt(ssrc);
      return true;
    }
    if (policy === 'adopt') {
      if (ssrc === this.candidate) {
        if (++this.candidateCount >= this.opts.ssrcAdoptAfter) {
          this.host.warning(new ProtocolError('RTP_BAD_PACKET', `track ${this.track.index}: the source changed SSRC ${hex(this.ssrc)} -> ${hex(ssrc)} (RFC 3550 §8.2); following the new one`, { context: { track: this.track.index } }));
          this.adopt(ssrc);
          this.seq.reset();
          this.depacketizer.reset();
          this.discontinuity = true;
          return true;
        }
      } else {
        this.candidate = ssrc;
        this.candidateCount = 1;
      }
    }
    this.host.stats.foreignSsrc++;
    if (!this.warnedSsrc) {
      this.warnedSsrc = true;
      this.host.warning(new ProtocolError('RTP_BAD_PACKET', `track ${this.track.index}: packet from SSRC ${hex(ssrc)}, not the track's ${hex(this.ssrc)}: dropped`, { context: { track: this.track.index } }));
    }
    return false;
  }

  private adopt(ssrc: number): void {
    this.ssrc = ssrc;
    this.track.ssrc = ssrc;
    this.candidate = -1;
    this.candidateCount = 0;
  }

  private first(seq: number, ts: number): void {
    this.firstSeq = seq;
    this.firstTs = ts >>> 0;
    this.accepted = 1;
    if (!this.infoChecked) this.checkInfo();
  }

  /** RTP-Info of the PLAY answer (RFC 2326 §12.33): anchors the first packet's seq and time. */
  applyRtpInfo(e: RtpInfoEntry | undefined): void {
    if (this.opts.rtpInfoPolicy === 'ignore' || !e) return;
    this.infoSeq = e.seq;
    this.infoTime = e.rtptime;
    this.infoChecked = false;
    if (this.firstSeq >= 0) this.checkInfo();
  }

  private checkInfo(): void {
    this.infoChecked = true;
    const trust = this.opts.rtpInfoPolicy === 'trust';
    const problems: string[] = [];
    if (this.infoSeq !== undefined) {
      const lost = (this.firstSeq - this.infoSeq) & 0xffff;
      if (trust || lost <= MAX_INFO_SEQ_GAP) {
        if (lost > 0) {
          this.host.stats.lostPackets += lost;
          this.discontinuity = true;
        }
      } else problems.push(`seq=${this.infoSeq} but the first packet is ${this.firstSeq}`);
    }
    if (this.infoTime !== undefined && this.origin === undefined) {
      const delta = (this.firstTs - this.infoTime) | 0;
      if (trust || Math.abs(delta) <= MAX_INFO_TIME_S * this.clock.clockRate) {
        this.origin = this.ts.extend(this.firstTs) - delta;
      } else problems.push(`rtptime=${this.infoTime} but the first packet has ${this.firstTs}`);
    }
    if (problems.length > 0) {
      this.host.warning(new ProtocolError('RTSP_BAD_RTP_INFO', `track ${this.track.index}: RTP-Info ignored (${problems.join('; ')}; docs/camera-quirks.md #16)`, { context: { track: this.track.index } }));
    }
  }

  rtcp(buf: Uint8Array, start: number, end: number, now: number): void {
    const r = tryParseRtcp(buf.subarray(start, end));
    if (r instanceof ProtocolError) {
      // Broken RTCP is common (Tapo, mediamtx #1085): report, never end the session.
      this.host.warning(r);
      return;
    }
    this.host.stats.rtcpPackets++;
    let bye = false;
    for (const pk of r) {
      if (pk.type === 'sr') {
        if (this.ssrc !== undefined && pk.ssrc !== this.ssrc && this.opts.ssrcPolicy !== 'ignore') continue;
        this.clock.onSenderReport(pk);
        this.lastSr = lastSrField(pk);
        this.lastSrAt = now;
      } else if (pk.type === 'bye') {
        if (this.ssrc === undefined || this.opts.ssrcPolicy === 'ignore' || pk.ssrcs.includes(this.ssrc)) bye = true;
      }
    }
    if (this.host.rtcp) this.host.rtcp(this.track, r);
    if (bye && !this.ended) this.end();
  }

  /** Ends the track: the unit in progress is flushed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.depacketizer.flush();
    this.host.ended(this);
  }

  /** RR + SDES (RFC 3550 §6.4.2) for this track's source, or undefined before its first packet. */
  receiverReport(ownSsrc: number, now: number): Uint8Array | undefined {
    if (this.ssrc === undefined || this.accepted === 0) return undefined;
    const c = this.seq.takeReportCounters();
    const block: RtcpReportBlock = {
      ssrc: this.ssrc,
      fractionLost: c.fractionLost,
      cumulativeLost: c.cumulativeLost,
      extendedHighestSeq: c.extendedHighestSeq,
      jitter: 0,
      lastSr: this.lastSr,
      // DLSR in 1/65536 s since that SR arrived (0 when none yet).
      delaySinceLastSr: this.lastSrAt ? Math.min(0xffffffff, Math.round(((now - this.lastSrAt) / 1000) * 65536)) : 0,
    };
    return buildReceiverReport({ ssrc: ownSsrc, reports: [block], cname: 'camstream' });
  }

  private onInfo(info: { width?: number; height?: number; codecString?: string; decoderConfig?: Uint8Array }): void {
    const t = this.track;
    const changed =
      (info.width !== undefined && info.width !== t.width) ||
      (info.height !== undefined && info.height !== t.height) ||
      (info.codecString !== undefined && info.codecString.toLowerCase() !== t.codecString?.toLowerCase()) ||
      (info.decoderConfig !== undefined && !sameBytes(info.decoderConfig, t.decoderConfig));
    if (!changed) return;
    // The first in-band set of a track whose SDP carried none is news, not a change.
    if (t.codecString !== undefined || t.width !== undefined) this.paramsChanged = true;
    if (info.width !== undefined) t.width = info.width;
    if (info.height !== undefined) t.height = info.height;
    if (info.codecString !== undefined) t.codecString = info.codecString;
    if (info.decoderConfig !== undefined) t.decoderConfig = info.decoderConfig;
  }

  private onUnit(u: AccessUnit): void {
    const t = this.track;
    const ext = this.ts.extend(u.timestamp);
    if (this.origin === undefined) this.origin = ext;
    const frame = u as RtspFrame;
    frame.track = t.index;
    frame.mediaType = t.type;
    frame.extendedTimestamp = ext;
    frame.presentationTime = (ext - this.origin) / t.clockRate;
    this.position = frame.presentationTime;
    const wall = this.clock.wallClockMs(u.timestamp);
    if (wall !== undefined) frame.wallClockMs = wall;
    if (this.discontinuity) {
      frame.discontinuity = true;
      this.discontinuity = false;
    }
    if (this.paramsChanged) {
      frame.parametersChanged = true;
      this.paramsChanged = false;
    }
    const rep = this.replayCur?.ts === u.timestamp ? this.replayCur.info : this.replayPrev?.ts === u.timestamp ? this.replayPrev.info : undefined;
    if (rep) {
      frame.replay = rep;
      frame.wallClockMs = rep.wallClockMs;
      if (rep.discontinuity) frame.discontinuity = true;
      if (this.firstWall === undefined) this.firstWall = rep.wallClockMs;
      this.wallSpan = Math.max(this.wallSpan, Math.abs(rep.wallClockMs - this.firstWall) / 1000);
    } else if (this.clockStart !== undefined && wall === undefined) {
      if (this.clockPts === undefined) this.clockPts = frame.presentationTime;
      frame.wallClockMs = this.clockStart + (frame.presentationTime - this.clockPts) * 1000;
    }
    this.host.stats.frames++;
    this.host.frame(this, frame);
    // T: the last unit of the requested range: nothing follows.
    if (rep?.terminal) this.end();
  }

  get lastNow(): number {
    return this.now;
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (!b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
