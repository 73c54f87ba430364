/**
 * PlaybackCamera: an RTSP server on loopback that plays a recording back the way recorders and
 * cameras with storage do, and takes talk-back audio. The recording is corpus/ H.264 (100 frames,
 * 25 fps, a key frame every 25) stamped from `recordingStart`, optionally repeated.
 *
 * What it serves (TCP interleaved, RFC 2326 §10.12):
 * - `/cam/playback?channel=1&starttime=YYYY_MM_DD_HH_MM_SS&endtime=...` (WV-V series HTTP API V2.40
 *   §4.1.2, times in the camera's `timeZone`): the part of the recording between the two times;
 *   any other path: the whole recording.
 * - `Range` npt / clock (RFC 2326 §12.29), `Scale` (§12.34, negative = reverse: GOPs last to first,
 *   each GOP's frames in decoding order), `Speed`, PAUSE then PLAY without Range resumes where it
 *   stopped, PLAY with a new Range seeks (at once: ONVIF `Immediate: yes` is the only behaviour).
 * - ONVIF replay (ONVIF Streaming Specification §6) when a request carries `Require: onvif-replay`:
 *   every packet gets the 0xABAC extension (absolute time, C on key frames, D on the first frame
 *   after a jump, E on the recording's last frame, T on the range's last frame, the PLAY CSeq);
 *   `Rate-Control: no` sends as fast as the socket takes it (otherwise paced at fps x |Scale|).
 * - RTCP sender reports mapping RTP time to the recording's absolute time (RFC 3550 §6.4.1), and at
 *   the end of the range an RTCP BYE (§6.6), then optionally closing the connection.
 * - An ONVIF backchannel (ONVIF Streaming Specification §5.3) when DESCRIBE carries
 *   `Require: www.onvif.org/ver20/backchannel`: a `sendonly` audio track (PCMU, PCMA, and
 *   mpeg4-generic AAC when configured); RTP from the client arrives over TCP interleaved or UDP and
 *   is kept in `backchannel` for tests. `backchannelLimit` reproduces cameras that take one
 *   talking client at a time (Dahua): a further backchannel SETUP is answered 503.
 * - A `Require` option it does not know is answered 551 Option not supported (RFC 2326 §12.32).
 *
 * RTP timestamps increase in sending order whatever the direction (one frame = 3600 ticks), so
 * they order packets; the recording time of a frame is in the replay extension and the SRs.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { listen, closeServer } from './listen.js';
import { loadH264, type H264Source } from './media-source.js';
import { RtspStreamParser, type RtspMessage } from '../rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeResponse } from '../rtsp/encode.js';
import { parseTransport } from '../rtsp/headers.js';
import { formatRange, formatScale, parseRangeHeader, parseScale, type MediaRange } from '../rtsp/range.js';
import { parsePlaybackQuery, type DeviceTimeZone } from '../rtsp/playback.js';
import { H264Packetizer } from '../codec/h264/packetizer.js';
import { RtpPacketView, RtpStatus } from '../rtp/rtp-packet.js';
import { tryParseRtcp } from '../rtp/rtcp.js';
import { unixMsToNtp, withOnvifReplay } from '../rtp/onvif-replay.js';

export const ONVIF_REPLAY_REQUIREMENT = 'onvif-replay';
export const ONVIF_BACKCHANNEL_REQUIREMENT = 'www.onvif.org/ver20/backchannel';

export type BackchannelCodec = 'pcmu' | 'pcma' | 'aac';

export interface PlaybackCameraOptions {
  host?: string;
  port?: number;
  /** Absolute time of the recording's first frame (default 2024-01-02T03:04:05Z). */
  recordingStart?: Date;
  /** The zone of `/cam/playback` starttime/endtime (default 0 = UTC). */
  timeZone?: DeviceTimeZone;
  /** Passes of the corpus in the recording (default 1: 4 s). */
  repeat?: number;
  /** 'realtime' paces at fps x |Scale| unless `Rate-Control: no`; 'fast' never paces (default 'realtime'). */
  pace?: 'realtime' | 'fast';
  /** At the end of the range: RTCP BYE ('bye', default), BYE then close ('bye-close'), close only ('close'), nothing ('silence'). */
  end?: 'bye' | 'bye-close' | 'close' | 'silence';
  /** Backchannel codecs offered, in order (default PCMU, PCMA). */
  backchannelCodecs?: readonly BackchannelCodec[];
  /** Talking clients at a time (default unlimited; Dahua: 1). */
  backchannelLimit?: number;
  /**
   * After answering a PLAY that seeks, send this many more frames of the old position first (still
   * stamped with the old PLAY's CSeq), as a server with queued data does (default 0).
   */
  staleFramesAfterSeek?: number;
  h264?: H264Source;
}

export interface BackchannelPacket {
  transport: 'tcp' | 'udp';
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Uint8Array;
  /** Date.now() when it arrived. */
  arrivedAt: number;
}

export interface PlaybackCameraStats {
  connections: number;
  requests: Record<string, number>;
  rtpPackets: number;
  framesSent: number;
  byes: number;
  backchannelSenderReports: number;
}

interface Frame {
  index: number;
  nalus: Uint8Array[];
  key: boolean;
  /** Absolute time, ms since the epoch. */
  time: number;
}

interface Conn {
  sock: Socket;
  sessions: PbSession[];
  closed: boolean;
}

interface Backchannel {
  transport: 'tcp' | 'udp';
  channel: number;
  rtp: UdpSocket | undefined;
  rtcp: UdpSocket | undefined;
}

class PbSession {
  readonly id = randomBytes(6).toString('hex').toUpperCase();
  videoChannel = -1;
  videoControl = '';
  packetizer = new H264Packetizer({ payloadType: 96, ssrc: randomBytes(4).readUInt32BE(0), initialSequenceNumber: randomBytes(2).readUInt16BE(0) });
  rtpTs = randomBytes(4).readUInt32BE(0);
  backchannel: Backchannel | undefined;
  replay = false;
  /** [first, end) frame indices this URL may play. */
  first = 0;
  last = 0;
  order: number[] = [];
  cursor = 0;
  playing = false;
  timer: NodeJS.Timeout | undefined;
  scale = 1;
  rateControl = true;
  cseq = 0;
  /** Frame index to resume at after PAUSE (undefined: not paused). */
  resumeAt: number | undefined;
  sentSinceSr = 0;
  /** The previous frame sent, to mark discontinuities (D bit). */
  prevSent = -2;
}

const FRAME_TICKS = 3600;

export class PlaybackCamera {
  readonly stats: PlaybackCameraStats = { connections: 0, requests: {}, rtpPackets: 0, framesSent: 0, byes: 0, backchannelSenderReports: 0 };
  /** Every request as `METHOD uri` plus its Require/Range/Scale/Speed/Rate-Control/Immediate headers. */
  readonly requestLog: { method: string; uri: string; headers: Record<string, string> }[] = [];
  /** `stats.framesSent` when each PLAY request arrived (what a client can have seen before its answer). */
  readonly framesSentAtPlay: number[] = [];
  /** Backchannel RTP packets received, in arrival order. */
  readonly backchannel: BackchannelPacket[] = [];
  readonly frames: Frame[];
  readonly fps: number;
  private readonly opts: Required<Omit<PlaybackCameraOptions, 'port' | 'h264' | 'backchannelLimit'>> & { backchannelLimit: number };
  private readonly staleFrames: number;
  private server: Server | undefined;
  private readonly conns = new Set<Conn>();
  private readonly media: H264Source;
  private listenPort: number;

  constructor(options: PlaybackCameraOptions = {}) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      recordingStart: options.recordingStart ?? new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      timeZone: options.timeZone ?? 0,
      repeat: Math.max(1, options.repeat ?? 1),
      pace: options.pace ?? 'realtime',
      end: options.end ?? 'bye',
      backchannelCodecs: options.backchannelCodecs ?? ['pcmu', 'pcma'],
      backchannelLimit: options.backchannelLimit ?? Number.POSITIVE_INFINITY,
      staleFramesAfterSeek: options.staleFramesAfterSeek ?? 0,
    };
    this.staleFrames = this.opts.staleFramesAfterSeek;
    this.listenPort = options.port ?? 0;
    this.media = options.h264 ?? loadH264();
    this.fps = this.media.fps;
    const start = this.opts.recordingStart.getTime();
    this.frames = [];
    for (let r = 0; r < this.opts.repeat; r++) {
      for (const nalus of this.media.units) {
        const index = this.frames.length;
        this.frames.push({ index, nalus, key: nalus.some((n) => (n[0]! & 0x1f) === 5), time: start + (index * 1000) / this.fps });
      }
    }
  }

  get port(): number {
    return this.listenPort;
  }

  /** First frame's absolute time (ms since the epoch). */
  get recordingStart(): number {
    return this.opts.recordingStart.getTime();
  }

  /** Recording length in seconds. */
  get duration(): number {
    return this.frames.length / this.fps;
  }

  url(path = '/recording'): string {
    return `rtsp://${this.opts.host}:${this.listenPort}${path}`;
  }

  async start(): Promise<this> {
    const server = createServer((sock) => this.accept(sock));
    this.listenPort = await listen(server, this.opts.host, this.listenPort);
    this.server = server;
    return this;
  }

  stop(): Promise<void> {
    for (const c of this.conns) {
      for (const s of c.sessions) this.release(s);
      c.sock.destroy();
    }
    this.conns.clear();
    const server = this.server;
    this.server = undefined;
    return closeServer(server);
  }

  get openConnections(): number {
    return this.conns.size;
  }

  /** Sessions that have a backchannel set up right now. */
  get talkingSessions(): number {
    let n = 0;
    for (const c of this.conns) for (const s of c.sessions) if (s.backchannel) n++;
    return n;
  }

  private accept(sock: Socket): void {
    this.stats.connections++;
    sock.setNoDelay(true);
    const conn: Conn = { sock, sessions: [], closed: false };
    this.conns.add(conn);
    const parser = new RtspStreamParser({
      message: (m) => this.onMessage(conn, m),
      interleaved: (ch, payload) => this.onInterleaved(conn, ch, payload),
      error: () => undefined,
    });
    sock.on('data', (d: Buffer) => parser.push(d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      conn.closed = true;
      this.conns.delete(conn);
      for (const s of conn.sessions) this.release(s);
    });
  }

  private release(s: PbSession): void {
    this.stopSending(s);
    if (s.backchannel) {
      s.backchannel.rtp?.close();
      s.backchannel.rtcp?.close();
      s.backchannel = undefined;
    }
  }

  private onMessage(conn: Conn, m: RtspMessage): void {
    if (m.head.kind !== 'request') return;
    const req = m.head;
    const h = req.headers;
    const cseq = (h.get('cseq') ?? '0').trim();
    this.stats.requests[req.method] = (this.stats.requests[req.method] ?? 0) + 1;
    const logged: Record<string, string> = {};
    for (const k of ['require', 'range', 'scale', 'speed', 'rate-control', 'immediate', 'transport']) {
      const v = h.get(k);
      if (v !== undefined) logged[k] = v;
    }
    this.requestLog.push({ method: req.method, uri: req.uri, headers: logged });
    const reply = (status: number, reason: string, headers: Record<string, string> = {}, body?: string): void => {
      if (!conn.sock.destroyed) conn.sock.write(encodeResponse(status, reason, { CSeq: cseq, Server: 'camstream PlaybackCamera', ...headers }, body));
    };
    const requires = h.getAll('require').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
    const unknown = requires.filter((r) => r !== ONVIF_REPLAY_REQUIREMENT && r !== ONVIF_BACKCHANNEL_REQUIREMENT);
    if (unknown.length > 0) return reply(551, 'Option not supported', { Unsupported: unknown.join(', ') });
    const sessionId = h.get('session')?.split(';')[0]?.trim();
    const session = sessionId ? conn.sessions.find((s) => s.id === sessionId) : undefined;
    if (session && requires.includes(ONVIF_REPLAY_REQUIREMENT)) session.replay = true;

    switch (req.method) {
      case 'OPTIONS':
        return reply(200, 'OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER' });
      case 'DESCRIBE': {
        let window: [number, number];
        try {
          window = this.window(req.uri);
        } catch {
          return reply(400, 'Bad Request');
        }
        if (window[1] <= window[0]) return reply(404, 'Not Found');
        const base = `${req.uri.replace(/^(rtsps?:\/\/)[^/@]*@/i, '$1').replace(/\/$/, '')}/`;
        return reply(200, 'OK', { 'Content-Base': base, 'Content-Type': 'application/sdp' }, this.sdp(window, requires.includes(ONVIF_BACKCHANNEL_REQUIREMENT)));
      }
      case 'SETUP':
        return this.setup(conn, req.uri, h.get('transport'), sessionId, session, requires, reply);
      case 'PLAY': {
        if (!session) return reply(454, 'Session Not Found');
        this.framesSentAtPlay.push(this.stats.framesSent);
        return this.play(conn, session, Number.parseInt(cseq, 10) || 0, h.get('range'), h.get('scale'), h.get('rate-control'), reply);
      }
      case 'PAUSE': {
        if (!session) return reply(454, 'Session Not Found');
        if (session.playing) {
          session.resumeAt = session.order[session.cursor] ?? session.order.at(-1);
          this.stopSending(session);
        }
        return reply(200, 'OK', { Session: session.id });
      }
      case 'GET_PARAMETER':
        return reply(200, 'OK', session ? { Session: session.id } : {});
      case 'TEARDOWN':
        if (session) {
          this.release(session);
          conn.sessions.splice(conn.sessions.indexOf(session), 1);
        }
        return reply(200, 'OK', session ? { Session: session.id } : {});
      default:
        return reply(501, 'Not Implemented');
    }
  }

  /** [first, end) frame indices for a request URI (the §4.1.2 query, else everything). */
  private window(uri: string): [number, number] {
    if (!/\/cam\/playback\?/i.test(uri)) return [0, this.frames.length];
    const q = parsePlaybackQuery(uri, this.opts.timeZone);
    const first = Math.max(0, Math.ceil(((q.start.getTime() - this.recordingStart) * this.fps) / 1000));
    const end = q.end ? Math.min(this.frames.length, Math.ceil(((q.end.getTime() - this.recordingStart) * this.fps) / 1000)) : this.frames.length;
    return [this.gopStart(Math.min(first, this.frames.length)), end];
  }

  private gopStart(i: number): number {
    let k = Math.min(i, this.frames.length - 1);
    while (k > 0 && !this.frames[k]!.key) k--;
    return Math.max(0, k);
  }

  private sdp(window: [number, number], backchannel: boolean): string {
    const sps = Buffer.from(this.media.sps).toString('base64');
    const pps = Buffer.from(this.media.pps).toString('base64');
    const pli = Buffer.from(this.media.sps.subarray(1, 4)).toString('hex').toUpperCase();
    const lines = [
      'v=0',
      `o=- ${Date.now()} 1 IN IP4 ${this.opts.host}`,
      's=camstream PlaybackCamera',
      't=0 0',
      'a=control:*',
      `a=range:${formatRange({ unit: 'clock', start: this.frames[window[0]]!.time, end: this.frames[window[0]]!.time + ((window[1] - window[0]) * 1000) / this.fps })}`,
      'm=video 0 RTP/AVP 96',
      'c=IN IP4 0.0.0.0',
      'a=rtpmap:96 H264/90000',
      `a=fmtp:96 packetization-mode=1;profile-level-id=${pli};sprop-parameter-sets=${sps},${pps}`,
      `a=framerate:${this.fps}`,
      'a=control:trackID=0',
      'a=x-onvif-track:VIDEO001',
      'a=recvonly',
    ];
    if (backchannel) {
      const pts = this.opts.backchannelCodecs.map((c) => (c === 'pcmu' ? 0 : c === 'pcma' ? 8 : 97));
      lines.push(`m=audio 0 RTP/AVP ${pts.join(' ')}`, 'c=IN IP4 0.0.0.0');
      for (const c of this.opts.backchannelCodecs) {
        if (c === 'pcmu') lines.push('a=rtpmap:0 PCMU/8000');
        if (c === 'pcma') lines.push('a=rtpmap:8 PCMA/8000');
        if (c === 'aac') lines.push('a=rtpmap:97 MPEG4-GENERIC/16000/1', 'a=fmtp:97 streamtype=5;profile-level-id=15;mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3');
      }
      lines.push('a=control:trackID=5', 'a=x-onvif-track:AUDIO_BACKCHANNEL', 'a=sendonly');
    }
    return lines.join('\r\n') + '\r\n';
  }

  private setup(
    conn: Conn,
    uri: string,
    transport: string | undefined,
    sessionId: string | undefined,
    existing: PbSession | undefined,
    requires: string[],
    reply: (status: number, reason: string, headers?: Record<string, string>) => void,
  ): void {
    if (sessionId && !existing) return reply(454, 'Session Not Found');
    const t = transport ? parseTransport(transport.split(',')[0]!) : undefined;
    if (!t) return reply(461, 'Unsupported Transport');
    const backchannel = /trackID=5\/?$/.test(uri);
    if (backchannel && this.talkingSessions >= this.opts.backchannelLimit) {
      // Dahua: one talking client at a time; a second backchannel is refused.
      return reply(503, 'Service Unavailable');
    }
    if (!backchannel && t.lowerTransport !== 'TCP') return reply(461, 'Unsupported Transport');
    const s = existing ?? new PbSession();
    if (!existing) {
      try {
        [s.first, s.last] = this.window(uri.replace(/\/trackID=\d+\/?$/, ''));
      } catch {
        return reply(400, 'Bad Request');
      }
      conn.sessions.push(s);
    }
    if (requires.includes(ONVIF_REPLAY_REQUIREMENT)) s.replay = true;
    const headers = { Session: `${s.id};timeout=60` };
    if (!backchannel) {
      const ch = t.interleaved?.[0] ?? 0;
      s.videoChannel = ch;
      s.videoControl = uri;
      return reply(200, 'OK', { ...headers, Transport: `RTP/AVP/TCP;unicast;interleaved=${ch}-${ch + 1};ssrc=${s.packetizer.ssrc.toString(16).toUpperCase().padStart(8, '0')}` });
    }
    if (t.lowerTransport === 'TCP') {
      const ch = t.interleaved?.[0] ?? 2;
      s.backchannel = { transport: 'tcp', channel: ch, rtp: undefined, rtcp: undefined };
      return reply(200, 'OK', { ...headers, Transport: `RTP/AVP/TCP;unicast;interleaved=${ch}-${ch + 1}` });
    }
    // UDP: two sockets on loopback; only datagrams from the client's own address are taken.
    const peer = conn.sock.remoteAddress;
    const rtp = createSocket('udp4');
    const rtcp = createSocket('udp4');
    const bc: Backchannel = { transport: 'udp', channel: -1, rtp, rtcp };
    s.backchannel = bc;
    rtp.on('message', (msg, rinfo) => {
      if (rinfo.address === peer) this.onBackchannelRtp('udp', msg);
    });
    rtcp.on('message', (msg, rinfo) => {
      if (rinfo.address === peer) this.onBackchannelRtcp(msg);
    });
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
    let bound = 0;
    const done = (): void => {
      if (++bound < 2) return;
      const a = rtp.address().port;
      const b = rtcp.address().port;
      reply(200, 'OK', { ...headers, Transport: `RTP/AVP;unicast;client_port=${t.clientPort?.[0] ?? 0}-${t.clientPort?.[1] ?? 0};server_port=${a}-${b}` });
    };
    rtp.bind(0, '127.0.0.1', done);
    rtcp.bind(0, '127.0.0.1', done);
  }

  /** Frame index of an npt (seconds from the URL's first frame) or clock (ms since the epoch) position. */
  private frameIndexAt(unit: MediaRange['unit'], value: number | 'now' | undefined, s: PbSession): number | undefined {
    if (typeof value !== 'number') return undefined;
    if (unit === 'npt') return s.first + Math.round(value * this.fps);
    if (unit === 'clock') return Math.round(((value - this.recordingStart) * this.fps) / 1000);
    return undefined;
  }

  private play(
    conn: Conn,
    s: PbSession,
    cseq: number,
    rangeText: string | undefined,
    scaleText: string | undefined,
    rateControl: string | undefined,
    reply: (status: number, reason: string, headers?: Record<string, string>) => void,
  ): void {
    let range: MediaRange | undefined;
    let scale = s.scale;
    try {
      range = rangeText !== undefined ? parseRangeHeader(rangeText).range : undefined;
      if (scaleText !== undefined) scale = parseScale(scaleText);
    } catch {
      return reply(400, 'Bad Request');
    }
    if (scale === 0) return reply(400, 'Bad Request');
    const wasPlaying = s.playing;
    const oldCseq = s.cseq;
    if (s.videoChannel < 0 && !s.backchannel) return reply(455, 'Method Not Valid in This State');
    s.scale = scale;
    s.rateControl = rateControl?.trim().toLowerCase() !== 'no';
    s.cseq = cseq;
    const reverse = scale < 0;
    let start: number;
    let explicit = false;
    const asked = range && (range.unit === 'npt' || range.unit === 'clock') ? this.frameIndexAt(range.unit, range.start, s) : undefined;
    if (asked !== undefined) {
      explicit = true;
      start = asked;
    } else start = s.resumeAt ?? (reverse ? s.last - 1 : s.first);
    if (start < s.first || start >= s.last) return reply(457, 'Invalid Range');
    let stop = reverse ? s.first : s.last;
    if (range && (range.unit === 'npt' || range.unit === 'clock')) {
      const e = this.frameIndexAt(range.unit, range.end, s);
      if (e !== undefined) stop = reverse ? Math.max(s.first, e) : Math.min(s.last, Math.max(e, start + 1));
    }
    // A decoder needs the key frame: an explicit forward position starts at its GOP (as recorders
    // do); a resume continues exactly where PAUSE stopped.
    if (explicit && !reverse) start = Math.max(s.first, this.gopStart(start));
    const order: number[] = [];
    if (!reverse) {
      for (let i = start; i < stop; i++) order.push(i);
    } else {
      // Reverse: GOPs from the one holding `start` down to `stop`, each played forward.
      let gopEnd = start + 1;
      for (let g = this.gopStart(start); gopEnd > stop; g = this.gopStart(g - 1)) {
        for (let i = Math.max(g, stop); i < gopEnd; i++) order.push(i);
        gopEnd = g;
        if (g === 0) break;
      }
    }
    const staleOrder = wasPlaying && this.staleFrames > 0 ? s.order.slice(s.cursor, s.cursor + this.staleFrames) : [];
    this.stopSending(s);
    s.order = order;
    s.cursor = 0;
    s.resumeAt = undefined;
    s.prevSent = -2;
    // Reverse: the answer starts where it was asked to (the GOP holding it is sent first).
    const first = reverse ? start : (order[0] ?? start);
    const lastIdx = order.length > 0 ? (reverse ? stop : order.at(-1)! + 1) : start;
    const clockUnit = range?.unit === 'clock';
    const t = (i: number): number => this.recordingStart + (i * 1000) / this.fps;
    const rangeAnswer = clockUnit
      ? formatRange({ unit: 'clock', start: t(first), end: t(lastIdx) })
      : formatRange({ unit: 'npt', start: (first - s.first) / this.fps, end: (lastIdx - s.first) / this.fps });
    const headers: Record<string, string> = {
      Session: s.id,
      Range: rangeAnswer,
      Scale: formatScale(scale),
      'RTP-Info': `url=${s.videoControl};seq=${s.packetizer.sequenceNumber};rtptime=${s.rtpTs >>> 0}`,
    };
    if (rateControl !== undefined) headers['Rate-Control'] = s.rateControl ? 'yes' : 'no';
    reply(200, 'OK', headers);
    if (staleOrder.length > 0) {
      // Queued data of the previous position, stamped with the previous PLAY's CSeq.
      const [newOrder, newCseq] = [order, s.cseq];
      s.order = staleOrder;
      s.cursor = 0;
      s.cseq = oldCseq;
      while (s.cursor < s.order.length) this.sendFrame(conn, s, true);
      s.order = newOrder;
      s.cursor = 0;
      s.cseq = newCseq;
      s.prevSent = -2;
    }
    if (s.videoChannel >= 0) this.startSending(conn, s);
  }

  private stopSending(s: PbSession): void {
    s.playing = false;
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
  }

  private startSending(conn: Conn, s: PbSession): void {
    s.playing = true;
    s.sentSinceSr = Number.POSITIVE_INFINITY;
    const paced = this.opts.pace === 'realtime' && s.rateControl;
    const interval = 1000 / this.fps / Math.abs(s.scale);
    const began = Date.now();
    const tick = (): void => {
      s.timer = undefined;
      if (!s.playing || conn.closed) return;
      const due = paced ? Math.min(s.order.length, Math.floor((Date.now() - began) / interval) + 1) : s.order.length;
      let budget = paced ? Number.POSITIVE_INFINITY : 16;
      while (s.playing && s.cursor < due && budget-- > 0) this.sendFrame(conn, s);
      if (!s.playing) return;
      if (s.cursor >= s.order.length) return this.finish(conn, s);
      if (!paced && conn.sock.writableNeedDrain) {
        conn.sock.once('drain', () => s.playing && !s.timer && (s.timer = setTimeout(tick, 0)));
        return;
      }
      s.timer = setTimeout(tick, paced ? Math.max(1, interval / 2) : 0);
    };
    s.timer = setTimeout(tick, 0);
  }

  private sendFrame(conn: Conn, s: PbSession, stale = false): void {
    const index = s.order[s.cursor]!;
    const f = this.frames[index]!;
    const ts = s.rtpTs >>> 0;
    if (s.sentSinceSr >= this.fps) {
      this.senderReport(conn, s, ts, f.time);
      s.sentSinceSr = 0;
    }
    const packets = s.packetizer.packetize(f.nalus, ts);
    const lastOfRange = !stale && s.cursor === s.order.length - 1;
    const jump = index !== s.prevSent + 1;
    for (const p of packets) {
      const pkt = s.replay
        ? withOnvifReplay(p, {
            wallClockMs: f.time,
            cleanPoint: f.key,
            discontinuity: jump,
            endOfSection: index === this.frames.length - 1,
            terminal: lastOfRange,
            cseq: s.cseq,
          })
        : p;
      this.stats.rtpPackets++;
      if (!conn.sock.destroyed) conn.sock.write(encodeInterleaved(s.videoChannel, pkt));
    }
    this.stats.framesSent++;
    s.prevSent = index;
    s.sentSinceSr++;
    s.rtpTs = (s.rtpTs + FRAME_TICKS) >>> 0;
    s.cursor++;
  }

  /** RFC 3550 §6.4.1 SR: RTP time `rtp` is the recording instant `timeMs`. */
  private senderReport(conn: Conn, s: PbSession, rtp: number, timeMs: number): void {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(s.packetizer.ssrc, 4);
    const [sec, frac] = unixMsToNtp(timeMs);
    sr.writeUInt32BE(sec, 8);
    sr.writeUInt32BE(frac, 12);
    sr.writeUInt32BE(rtp >>> 0, 16);
    sr.writeUInt32BE(this.stats.rtpPackets >>> 0, 20);
    if (!conn.sock.destroyed) conn.sock.write(encodeInterleaved(s.videoChannel + 1, sr));
  }

  private finish(conn: Conn, s: PbSession): void {
    s.playing = false;
    s.resumeAt = undefined;
    const end = this.opts.end;
    if (end === 'bye' || end === 'bye-close') {
      // RFC 3550 §6.6 BYE with the reason "end of range".
      const reason = Buffer.from('end of range', 'latin1');
      const len = 8 + 1 + reason.length;
      const padded = (len + 3) & ~3;
      const bye = Buffer.alloc(padded);
      bye[0] = 0x81;
      bye[1] = 203;
      bye.writeUInt16BE(padded / 4 - 1, 2);
      bye.writeUInt32BE(s.packetizer.ssrc, 4);
      bye[8] = reason.length;
      reason.copy(bye, 9);
      this.stats.byes++;
      if (!conn.sock.destroyed) conn.sock.write(encodeInterleaved(s.videoChannel + 1, bye));
    }
    if (end === 'close' || end === 'bye-close') conn.sock.end();
  }

  private onInterleaved(conn: Conn, channel: number, payload: Uint8Array): void {
    for (const s of conn.sessions) {
      const bc = s.backchannel;
      if (!bc || bc.transport !== 'tcp') continue;
      if (channel === bc.channel) return this.onBackchannelRtp('tcp', payload);
      if (channel === bc.channel + 1) return this.onBackchannelRtcp(payload);
    }
  }

  private readonly view = new RtpPacketView();

  private onBackchannelRtp(transport: 'tcp' | 'udp', data: Uint8Array): void {
    const v = this.view;
    if (v.parse(data) !== RtpStatus.Ok) return;
    this.backchannel.push({
      transport,
      payloadType: v.payloadType,
      sequenceNumber: v.sequenceNumber,
      timestamp: v.timestamp,
      ssrc: v.ssrc,
      marker: v.marker,
      payload: Uint8Array.from(v.payload),
      arrivedAt: Date.now(),
    });
  }

  private onBackchannelRtcp(data: Uint8Array): void {
    const r = tryParseRtcp(data);
    if (Array.isArray(r)) for (const p of r) if (p.type === 'sr') this.stats.backchannelSenderReports++;
  }
}
