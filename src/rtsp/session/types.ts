/**
 * The public shapes of the sans-IO RTSP session (session.ts): tracks, frames, stats, options, the
 * per-track transport spec, and the sink a driver gives the session to receive its effects.
 */
import type { ProtocolError } from '../../errors.js';
import type { Frame } from '../../codec/types.js';
import type { MediaDescription, SessionDescription } from '../sdp.js';
import type { TransportSpec } from '../headers.js';
import type { RtpPacketView } from '../../rtp/rtp-packet.js';
import type { RtcpPacket } from '../../rtp/rtcp.js';
import type { OnvifReplayInfo } from '../../rtp/onvif-replay.js';
import type { RangeHeader, RangeInput } from '../range.js';

/** The session's states (RFC 2326 Appendix A.1 client state machine, plus `described` and `closed`). */
export type SessionState = 'init' | 'described' | 'ready' | 'playing' | 'paused' | 'closed';

/**
 * Why the session ended: `end` = the server ended the stream (RTCP BYE on every track, or the end of
 * a bounded Range); `error` = a failure (see the error); `closed` = the user closed it (or aborted:
 * the error then is the ABORTED one, its `cause` the signal's reason).
 */
export type EndReason = 'end' | 'error' | 'closed';

/**
 * How one track's RTP/RTCP travels (RFC 2326 §12.39). The session builds the SETUP Transport header
 * from it and reads the answer; it never opens a socket. A driver for UDP or multicast binds its
 * sockets first and passes the ports here, then feeds datagrams to `receiveRtp`/`receiveRtcp`.
 */
export type TrackTransport =
  /** RTP/AVP/TCP interleaved on the control connection; channels picked by the session when omitted. */
  | { kind: 'interleaved'; channels?: readonly [number, number] }
  /** RTP/AVP (UDP) unicast to our `clientPort` pair (RTP even, RTCP odd). */
  | { kind: 'udp'; clientPort: readonly [number, number] }
  /** RTP/AVP multicast; the server picks the group unless `destination`/`port` are given. */
  | { kind: 'multicast'; destination?: string; port?: readonly [number, number]; ttl?: number };

/** What the driver connects the control connection to (first connect and after a redirect). */
export interface ConnectTarget {
  scheme: 'rtsp' | 'rtsps';
  host: string;
  port: number;
  /** Request URL without credentials. */
  url: string;
}

export interface RtspTrack {
  /** Index of the media section in the SDP. */
  index: number;
  /** `video`, `audio`, `application`. */
  type: string;
  /** Our codec name when supported ('h264', 'h265', 'pcmu', 'pcma', 'aac', 'jpeg'), else the SDP encoding name lower-cased. */
  codec: string;
  /** camstream can depacketize this track (codec and RTP profile). */
  supported: boolean;
  /** Why the track is not supported, when it is not. */
  unsupportedReason?: string;
  /** The m= line's transport protocol (`RTP/AVP`, `RTP/SAVP`, ...). */
  profile: string;
  payloadType: number;
  clockRate: number;
  channels: number | undefined;
  fmtp: Record<string, string>;
  /** Absolute control URL (credentials never included). */
  control: string;
  media: MediaDescription;
  /** Interleaved RTP channel once set up over TCP (RTCP is channel + 1 unless the server says otherwise). */
  rtpChannel: number | undefined;
  rtcpChannel: number | undefined;
  /** SSRC: from the SETUP answer, then as learnt from the packets. */
  ssrc: number | undefined;
  /** The server's SETUP Transport answer (server_port, source, destination, ...). */
  transport?: TransportSpec;
  /** From the SDP's parameter sets at DESCRIBE, updated by in-band ones (H.264/H.265/JPEG). */
  width?: number;
  height?: number;
  /** RFC 6381 codec string (`avc1.42C01E`, `hvc1.1.6.L93.B0`) when known. */
  codecString?: string;
  /** Decoder configuration: H.264 `avcC` (ISO/IEC 14496-15 §5.3.3.1), H.265 `hvcC` (§8.3.3.1). */
  decoderConfig?: Uint8Array;
}

export interface RtspDescription {
  /** Request URL with credentials removed. */
  url: string;
  server: string | undefined;
  /** Methods from the OPTIONS answer's Public header. */
  methods: string[];
  /** 'Basic', 'Digest' or undefined when no authentication was asked for. */
  authScheme: string | undefined;
  authAlgorithm: string | undefined;
  contentBase: string;
  sdpText: string;
  sdp: SessionDescription;
  tracks: RtspTrack[];
}

export interface RtspFrame extends Frame {
  codec: Frame['codec'];
  /** Media type of the track (`video` / `audio`). */
  mediaType: string;
  /** The codec parameters (SPS/PPS/VPS, size) changed in-band with this frame: see the track's fields. */
  parametersChanged?: boolean;
  /**
   * The ONVIF replay extension of the frame's packets (ONVIF Streaming Specification §6.3): C and D
   * from its first packet, E and T from any; `wallClockMs` (on the frame too) is the recording time.
   */
  replay?: OnvifReplayInfo;
}

/** PLAY request options (RFC 2326 §10.5; ONVIF Streaming Specification §6 for the last two). */
export interface PlayOptions {
  /** `Range` (§12.29): a header value, or npt / clock / smpte values (see rtsp/range.ts). */
  range?: RangeInput;
  /** `Scale` (§12.34): 2 = twice as fast, -1 = reverse. */
  scale?: number;
  /** `Speed` (§12.35): delivery rate. */
  speed?: number;
  /** ONVIF `Rate-Control`: false asks the server to send as fast as the client reads (`Rate-Control: no`). */
  rateControl?: boolean;
  /** ONVIF `Immediate: yes`: a PLAY while playing takes effect at once (a seek). */
  immediate?: boolean;
}

/** What the PLAY answer said about the playback (RFC 2326 §12.29, §12.34, §12.35). */
export interface PlayResponse {
  /** The server's `Range` (where it actually starts and ends), when it sent a parseable one. */
  range: RangeHeader | undefined;
  scale: number | undefined;
  speed: number | undefined;
  /** ONVIF `Rate-Control` echo: false for `no`. */
  rateControl: boolean | undefined;
}

export interface RtspStats {
  bytesIn: number;
  rtpPackets: number;
  rtcpPackets: number;
  /** Packets the sequence numbers say never arrived (counted once, in the session's receive path). */
  lostPackets: number;
  duplicatePackets: number;
  badPackets: number;
  frames: number;
  /** Units dropped by the depacketizer (loss, corruption, caps). */
  droppedUnits: number;
  /** Interleaved frames on channels never set up (counted, dropped). */
  strayFrames: number;
  /** RTP packets whose payload type is not the track's (counted, dropped). */
  wrongPayloadType: number;
  /** RTP packets from an SSRC other than the track's (counted, dropped; see `ssrcPolicy`). */
  foreignSsrc: number;
  keepalivesSent: number;
  keepalivesUnanswered: number;
  serverRequests: number;
}

/**
 * Cameras send bogus RTP-Info values (Hikvision `seq=0`, moonfire-nvr #224; docs/camera-quirks.md
 * #16). `ignore-suspicious` (default) uses RTP-Info `seq`/`rtptime` to anchor the first packets only
 * when they agree with what arrives (seq within `maxDropout` before the first packet, rtptime within
 * 10 s of its timestamp), else warns once and starts from the first packet; `trust` always uses them;
 * `ignore` never does.
 */
export type RtpInfoPolicy = 'ignore-suspicious' | 'trust' | 'ignore';

/**
 * Which SSRC a track accepts (RFC 3550 §8.2: a source may change SSRC). `adopt` (default): the SSRC
 * of the SETUP answer, else of the first packet; packets from another SSRC are dropped, unless that
 * SSRC alone arrives for `ssrcAdoptAfter` packets in a row (a camera that restarted its encoder):
 * then it is adopted with a warning and a discontinuity. `strict`: never adopt. `ignore`: no check.
 */
export type SsrcPolicy = 'adopt' | 'strict' | 'ignore';

export interface RtspSessionOptions {
  username?: string;
  password?: string;
  /** Sent with every request: some cameras answer 401 without one (go2rtc #235). */
  userAgent?: string;
  /** Per request (default 10 s). */
  requestTimeoutMs?: number;
  /** No bytes at all for this long while playing ends the session with TIMEOUT (default 20 s). Time paused by backpressure does not count. */
  idleTimeoutMs?: number;
  /** No frame for this long while playing ends the session with TIMEOUT (default 30 s; 0 = off). */
  frameTimeoutMs?: number;
  /** A message or interleaved frame begun but not complete after this long ends the session (default 10 s). */
  headTimeoutMs?: number;
  /** Keep the session alive at timeout/2 (default true). */
  keepalive?: boolean;
  keepaliveIntervalMs?: number;
  /** Keepalive request (src/rtsp/policies.ts): 'auto' (default) = GET_PARAMETER when Public lists it, else OPTIONS. */
  keepaliveMethod?: 'auto' | 'GET_PARAMETER' | 'OPTIONS' | 'SET_PARAMETER';
  /** 'same-connection' (default) sends TEARDOWN; 'skip' just closes (src/rtsp/policies.ts). */
  teardownPolicy?: 'same-connection' | 'skip';
  /** Bounded wait for the TEARDOWN answer (default 2 s). */
  teardownTimeoutMs?: number;
  maxRedirects?: number;
  /** Which media types to SETUP by default (default: every supported track). */
  media?: readonly string[];
  output?: 'annexb' | 'avcc';
  lossMode?: 'drop' | 'flag';
  maxAccessUnitSize?: number;
  /** RTCP receiver reports every N ms while playing (default 5000; 0 = never; RFC 3550 §6.2). */
  receiverReportIntervalMs?: number;
  /** `stats` effect every N ms while playing (default 1000). */
  statsIntervalMs?: number;
  rtpInfoPolicy?: RtpInfoPolicy;
  ssrcPolicy?: SsrcPolicy;
  /** Consecutive packets from one new SSRC before `adopt` switches to it (default 8). */
  ssrcAdoptAfter?: number;
  /** How each track's media travels (default: TCP interleaved). */
  transport?: (track: RtspTrack) => TrackTransport;
  /** Our RTCP SSRC (default random). */
  ssrc?: number;
  /**
   * `Require` option tags sent on DESCRIBE, SETUP and PLAY (RFC 2326 §12.32): `onvif-replay` for
   * ONVIF playback, `www.onvif.org/ver20/backchannel` for talk-back (ONVIF Streaming Specification
   * §5.3, §6.2). A server that lacks one answers 551 (an RTSP_UNSUPPORTED error naming it).
   */
  require?: readonly string[];
}

/**
 * Where the session's effects go. Every method is called synchronously from a session input
 * (`receive`, `tick`, a verb, or a promise continuation of one).
 */
export interface RtspSessionSink {
  /** Bytes to write on the control connection (requests, answers to server requests, interleaved RTCP). */
  write(bytes: Uint8Array): void;
  /** Open (or, after a redirect, replace) the control connection; answer with `connected`/`connectFailed`. */
  connect(target: ConnectTarget): void;
  /** RTCP for a track whose transport is not interleaved (the transport driver routes it). */
  sendRtcp?(track: RtspTrack, bytes: Uint8Array): void;
  /** A track was set up: `track.transport` holds the server's answer (server_port, source, ...). */
  trackSetup?(track: RtspTrack, transport: TrackTransport): void;
  frame(frame: RtspFrame): void;
  warning(error: ProtocolError): void;
  /** The earliest time `tick(now)` must be called (same clock as `now`); Infinity = none. */
  deadline(at: number): void;
  /** Called once. The driver closes its connections after it. */
  end(reason: EndReason, error: ProtocolError | undefined): void;
  /** RTSP message text with credentials redacted (both directions). */
  message?(direction: 'in' | 'out', text: string): void;
  rtp?(track: RtspTrack, packet: RtpPacketView): void;
  rtcp?(track: RtspTrack, packets: RtcpPacket[]): void;
  stats?(stats: RtspStats): void;
}
