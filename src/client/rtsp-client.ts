/**
 * RtspClient: composes the sans-IO layers into an RTSP/RTP session over TCP (interleaved, RFC 2326
 * §10.12). Control is promise based (`describe`, `setup`, `play`, `pause`, `close`); media comes out
 * of `frames()` as an async iterator; typed events expose raw RTSP messages, RTP/RTCP packets and
 * stats for debugging. This is the only RTSP code that owns a socket or a timer.
 *
 * Data flow (one way): socket chunk -> RtspStreamParser -> (message | interleaved frame)
 *   interleaved RTP -> RtpPacketView -> SequenceTracker -> depacketizer -> Frame -> AsyncQueue
 *   interleaved RTCP -> parseRtcp -> RtpClockMapper (wall clock)
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ProtocolError, type ErrorContext } from '../errors.js';
import { openSocket } from '../transport/connect.js';
import { RtspStreamParser, type RtspMessage } from '../rtsp/rtsp-parser.js';
import { encodeRequest, encodeResponse } from '../rtsp/encode.js';
import { parseRtspUrl, redactUrl, resolveControl, type RtspUrl } from '../rtsp/url.js';
import { parseSdp, type MediaDescription, type SessionDescription } from '../rtsp/sdp.js';
import { buildTransport, contentBase, parsePublic, parseRtpInfo, parseSession, parseTransport, type RtpInfoEntry } from '../rtsp/headers.js';
import type { ResponseHead } from '../message/head-parser.js';
import type { Headers } from '../message/headers.js';
import { Authenticator } from '../auth/authenticator.js';
import { RtpPacketView, RtpStatus, rtpError } from '../rtp/rtp-packet.js';
import { SeqEvent, SequenceTracker, TimestampExtender } from '../rtp/sequence.js';
import { RtpClockMapper, buildReceiverReport, lastSrField, tryParseRtcp, type RtcpPacket, type RtcpReportBlock } from '../rtp/rtcp.js';
import { encodeInterleaved } from '../rtsp/encode.js';
import { randomBytes } from 'node:crypto';
import type { AccessUnit, Depacketizer, Frame } from '../codec/types.js';
import { AsyncQueue } from './async-queue.js';
import { createDepacketizer, codecOf } from './depacketizers.js';
import type { WireTap } from '../capture/tap.js';
import { tapSocket } from '../capture/socket-tap.js';

export const VERSION = '0.1.0';

export interface RtspClientOptions {
  /** Override the URL's credentials (the URL's are percent-decoded). */
  username?: string;
  password?: string;
  /** Sent with every request: some cameras answer 401 without one (go2rtc #235). */
  userAgent?: string;
  connectTimeoutMs?: number;
  /** Per request (default 10 s). */
  requestTimeoutMs?: number;
  /** No bytes at all for this long while playing ends the session with TIMEOUT (default 20 s). */
  idleTimeoutMs?: number;
  /** Keep the session alive at timeout/2 (default true). */
  keepalive?: boolean;
  /** Override the keepalive interval (ms). */
  keepaliveIntervalMs?: number;
  /** Bounded wait for the TEARDOWN answer on close (default 2 s). */
  teardownTimeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Which media types to SETUP (default: every track with a supported codec). */
  media?: readonly string[];
  /** H.264/H.265 output framing (default 'annexb'). */
  output?: 'annexb' | 'avcc';
  /** Units with lost packets: 'drop' (default, reported as errors) or delivered flagged. */
  lossMode?: 'drop' | 'flag';
  /** Frames buffered for a slow consumer before the socket is paused (default 256). */
  frameQueueSize?: number;
  /** Access unit cap in bytes (default 16 MiB). */
  maxAccessUnitSize?: number;
  /** rtsps:// certificate check (default true; cameras often have self-signed certificates). */
  rejectUnauthorized?: boolean;
  /**
   * Send RTCP receiver reports on the interleaved RTCP channel every N ms (default 5000; 0 = never).
   * Some cameras stop streaming without them (gortsplib client.go: "some cameras require a maximum of
   * 5secs"; RFC 3550 §6.2).
   */
  receiverReportIntervalMs?: number;
  /** Emit a 'stats' event with a snapshot every N ms while playing (default 1000). */
  statsIntervalMs?: number;
  /** Shown every byte both ways (a pcapng capture, `camstream dump`): src/capture/tap.ts. */
  tap?: WireTap;
}

export interface RtspTrack {
  /** Index of the media section in the SDP. */
  index: number;
  /** `video`, `audio`, `application`. */
  type: string;
  /** Our codec name when supported ('h264', 'h265', 'pcmu', 'pcma', 'aac', 'jpeg'), else the SDP encoding name lower-cased. */
  codec: string;
  supported: boolean;
  payloadType: number;
  clockRate: number;
  channels: number | undefined;
  fmtp: Record<string, string>;
  /** Absolute control URL (credentials never included). */
  control: string;
  media: MediaDescription;
  /** Interleaved RTP channel once set up (RTCP is channel + 1 unless the server says otherwise). */
  rtpChannel: number | undefined;
  rtcpChannel: number | undefined;
  ssrc: number | undefined;
  /** From the SPS when known (H.264). */
  width?: number;
  height?: number;
  /** RFC 6381 codec string (`avc1.42C01E`) when known. */
  codecString?: string;
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
}

export interface RtspStats {
  bytesIn: number;
  rtpPackets: number;
  rtcpPackets: number;
  /** Packets the sequence numbers say never arrived. */
  lostPackets: number;
  duplicatePackets: number;
  badPackets: number;
  frames: number;
  /** Units dropped by the depacketizer (loss, corruption, caps). */
  droppedUnits: number;
  /** Interleaved frames on channels never set up (counted, dropped). */
  strayFrames: number;
  keepalivesSent: number;
  keepalivesUnanswered: number;
  serverRequests: number;
}

export interface RtspClientEvents {
  /** Every RTSP message, both directions, with credentials redacted. */
  message: [direction: 'in' | 'out', text: string];
  rtp: [track: RtspTrack, packet: RtpPacketView];
  rtcp: [track: RtspTrack, packets: RtcpPacket[]];
  /** Non-fatal problems: dropped units, bad packets, unanswered keepalives. */
  warning: [error: ProtocolError];
  /** A snapshot of the counters, every `statsIntervalMs` while playing. */
  stats: [stats: RtspStats];
  close: [];
}

interface Pending {
  method: string;
  resolve: (m: RtspMessage) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  /** Keepalives are fire-and-forget: no answer is not fatal. */
  keepalive: boolean;
}

interface TrackState {
  track: RtspTrack;
  depacketizer: Depacketizer;
  seq: SequenceTracker;
  ts: TimestampExtender;
  clock: RtpClockMapper;
  firstTs: number | undefined;
  /** A loss was seen since the last delivered unit: the next one carries `discontinuity`. */
  discontinuity: boolean;
  /** Last SR from this source: LSR field and arrival time, for the RR's DLSR (RFC 3550 §6.4.1). */
  lastSr: number;
  lastSrAt: number;
  mediaSsrc: number | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 305, 307, 308]);

/** Typed EventEmitter surface. */
export interface RtspClient {
  on<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  once<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  off<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  emit<K extends keyof RtspClientEvents>(event: K, ...args: RtspClientEvents[K]): boolean;
}

export class RtspClient extends EventEmitter {
  readonly options: RtspClientOptions;
  readonly stats: RtspStats = {
    bytesIn: 0,
    rtpPackets: 0,
    rtcpPackets: 0,
    lostPackets: 0,
    duplicatePackets: 0,
    badPackets: 0,
    frames: 0,
    droppedUnits: 0,
    strayFrames: 0,
    keepalivesSent: 0,
    keepalivesUnanswered: 0,
    serverRequests: 0,
  };
  private url: RtspUrl;
  private readonly auth: Authenticator;
  private sock: Socket | undefined;
  private parser: RtspStreamParser | undefined;
  private cseq = 0;
  private readonly pending = new Map<number, Pending>();
  private sessionId: string | undefined;
  private sessionTimeoutS: number | undefined;
  private methods: string[] = [];
  private description: RtspDescription | undefined;
  private readonly channels: (TrackState | undefined)[] = [];
  private readonly rtcpChannels: (TrackState | undefined)[] = [];
  private readonly states: TrackState[] = [];
  private readonly queue: AsyncQueue<RtspFrame>;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly ownSsrc = randomBytes(4).readUInt32BE(0);
  private idleTimer: NodeJS.Timeout | undefined;
  private lastData = 0;
  private playing = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private failure: ProtocolError | undefined;
  private readonly pkt = new RtpPacketView();
  private readonly onAbort = (): void => this.fail(new ProtocolError('ABORTED', 'aborted by signal', { context: this.ctx() }));

  constructor(url: string, options: RtspClientOptions = {}) {
    super();
    this.options = options;
    this.url = parseRtspUrl(url);
    const username = options.username ?? this.url.username;
    const password = options.password ?? this.url.password ?? '';
    this.auth = new Authenticator(username !== undefined ? { username, password } : undefined);
    this.queue = new AsyncQueue<RtspFrame>(options.frameQueueSize ?? 256, (paused) => {
      if (paused) this.sock?.pause();
      else this.sock?.resume();
    });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The request URL without credentials (safe to print). */
  get redactedUrl(): string {
    return redactUrl(this.url);
  }

  get session(): string | undefined {
    return this.sessionId;
  }

  get tracks(): RtspTrack[] {
    return this.description?.tracks ?? [];
  }

  /** Connects (if needed), sends OPTIONS and DESCRIBE (following redirects), parses the SDP. */
  async describe(): Promise<RtspDescription> {
    const maxRedirects = this.options.maxRedirects ?? 3;
    for (let hop = 0; ; hop++) {
      await this.ensureConnected();
      const options = await this.request('OPTIONS', this.url.requestUrl, {}, { allowStatus: (s) => s < 500 });
      const optHead = options.head as ResponseHead;
      if (REDIRECTS.has(optHead.status) && optHead.headers.get('location')) {
        await this.redirect(optHead.headers.get('location')!, hop, maxRedirects);
        continue;
      }
      this.methods = parsePublic(optHead.headers.get('public') ?? '');
      const res = await this.request('DESCRIBE', this.url.requestUrl, { Accept: 'application/sdp' }, { allowStatus: (s) => REDIRECTS.has(s) });
      const head = res.head as ResponseHead;
      if (REDIRECTS.has(head.status)) {
        const loc = head.headers.get('location');
        if (!loc) throw this.statusError('DESCRIBE', head);
        await this.redirect(loc, hop, maxRedirects);
        continue;
      }
      const sdpText = Buffer.from(res.body).toString('utf8');
      const sdp = parseSdp(sdpText);
      const base = contentBase(head.headers, this.url.requestUrl);
      const tracks = sdp.media.map((m, index) => this.makeTrack(m, index, base));
      this.description = {
        url: redactUrl(this.url),
        server: head.headers.get('server') ?? optHead.headers.get('server'),
        methods: this.methods,
        authScheme: this.auth.scheme,
        authAlgorithm: this.auth.algorithm,
        contentBase: base,
        sdpText,
        sdp,
        tracks,
      };
      return this.description;
    }
  }

  /**
   * SETUPs the chosen tracks over TCP interleaved (default: every supported track, or the media
   * types in `options.media`). Accepts the channels the server picks (docs/camera-quirks.md #15).
   */
  async setup(select?: (t: RtspTrack) => boolean): Promise<RtspTrack[]> {
    const desc = this.description ?? (await this.describe());
    const wanted = this.options.media;
    const chosen = desc.tracks.filter((t) => (select ? select(t) : t.supported && (!wanted || wanted.includes(t.type))));
    if (chosen.length === 0) {
      throw new ProtocolError('RTSP_UNSUPPORTED', `no track to set up (offered: ${desc.tracks.map((t) => `${t.type}/${t.codec}`).join(', ') || 'none'})`, { context: this.ctx() });
    }
    for (const t of chosen) {
      const ch = this.states.length * 2;
      const headers: Record<string, string> = { Transport: buildTransport({ profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [ch, ch + 1] }) };
      if (this.sessionId) headers['Session'] = this.sessionId;
      const res = await this.request('SETUP', t.control, headers);
      const head = res.head as ResponseHead;
      const sess = parseSession(head.headers.get('session') ?? '');
      if (!sess) throw new ProtocolError('RTSP_NO_SESSION', 'SETUP answer without a Session header', { context: this.ctx({ method: 'SETUP' }) });
      this.sessionId = sess.id;
      if (sess.timeout !== undefined) this.sessionTimeoutS = sess.timeout;
      const tr = head.headers.get('transport');
      const spec = tr ? parseTransport(tr) : undefined;
      if (spec && spec.lowerTransport !== 'TCP') {
        throw new ProtocolError('RTSP_BAD_TRANSPORT', `server answered a TCP SETUP with ${tr}`, { context: this.ctx({ method: 'SETUP' }) });
      }
      const [rtp, rtcp] = spec?.interleaved ?? [ch, ch + 1];
      t.rtpChannel = rtp;
      t.rtcpChannel = rtcp;
      t.ssrc = spec?.ssrc;
      this.addTrackState(t);
    }
    this.startKeepalive();
    return chosen;
  }

  /** PLAY (aggregate control). `range` e.g. 'npt=0-' or 'clock=20240101T000000Z-'. */
  async play(opts: { range?: string; scale?: number } = {}): Promise<void> {
    if (!this.sessionId) await this.setup();
    const headers: Record<string, string> = { Session: this.sessionId!, Range: opts.range ?? 'npt=0.000-' };
    if (opts.scale !== undefined) headers['Scale'] = String(opts.scale);
    this.playing = true;
    this.armIdle();
    this.startReports();
    const res = await this.request('PLAY', this.aggregateUrl(), headers);
    const info = (res.head as ResponseHead).headers.get('rtp-info');
    if (info) this.applyRtpInfo(parseRtpInfo(info));
  }

  async pause(): Promise<void> {
    if (!this.sessionId) return;
    await this.request('PAUSE', this.aggregateUrl(), { Session: this.sessionId });
    this.playing = false;
    this.disarmIdle();
    for (const s of this.states) s.depacketizer.flush();
  }

  /** Convenience: describe + setup + play. */
  async start(opts: { range?: string } = {}): Promise<RtspDescription> {
    const d = await this.describe();
    await this.setup();
    await this.play(opts);
    return d;
  }

  /**
   * Media frames from every set-up track, in arrival order. Single consumer. Ends when the session is
   * closed; rejects with the ProtocolError that ended the session otherwise. Each frame's `data` is
   * yours to keep.
   */
  frames(): AsyncIterable<RtspFrame> {
    return this.queue;
  }

  /** TEARDOWN (bounded wait), then releases the socket and every timer. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // The frame queue may have paused the socket (slow or gone consumer): control answers must
      // still be read, and frames arriving now are dropped by the closed queue.
      this.queue.end(this.failure);
      this.sock?.resume();
      if (this.sessionId && this.sock && !this.sock.destroyed && !this.failure) {
        try {
          await this.request('TEARDOWN', this.aggregateUrl(), { Session: this.sessionId }, { timeoutMs: this.options.teardownTimeoutMs ?? 2000, allowStatus: () => true });
        } catch {
          // Best effort: a camera that does not answer TEARDOWN must not hold the caller.
        }
      }
      this.shutdown();
      this.queue.end(this.failure);
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------
  // connection

  private async ensureConnected(): Promise<void> {
    if (this.sock && !this.sock.destroyed) return;
    if (this.closed) throw this.failure ?? new ProtocolError('CONNECTION_CLOSED', 'client is closed', { context: this.ctx() });
    const sock = await openSocket({
      host: this.url.host,
      port: this.url.port,
      tls: this.url.scheme === 'rtsps',
      rejectUnauthorized: this.options.rejectUnauthorized,
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal: this.options.signal,
    });
    this.sock = sock;
    if (this.options.tap) tapSocket(sock, this.options.tap, 'rtsp');
    this.parser = new RtspStreamParser({
      message: (m) => this.onMessage(m),
      interleaved: (ch, payload) => this.onInterleaved(ch, payload, 0, payload.length),
      // Frames inside one chunk arrive as a range: no view object per packet on the hot path.
      interleavedRange: (ch, buf, start, end) => this.onInterleaved(ch, buf, start, end),
      error: (e) => this.onParserError(e),
    });
    const parser = this.parser;
    sock.on('data', (chunk: Buffer) => {
      this.stats.bytesIn += chunk.length;
      this.lastData = Date.now();
      parser.push(chunk);
    });
    sock.on('error', (err) => this.fail(new ProtocolError('CONNECTION_CLOSED', `socket error: ${err.message}`, { context: this.ctx(), cause: err })));
    sock.on('close', () => {
      if (this.sock === sock && !this.closed) this.fail(new ProtocolError('CONNECTION_CLOSED', 'the server closed the connection', { offset: this.stats.bytesIn, context: this.ctx() }));
    });
  }

  private async redirect(location: string, hop: number, max: number): Promise<void> {
    if (hop + 1 > max) throw new ProtocolError('RTSP_REDIRECT_LOOP', `more than ${max} redirects`, { context: this.ctx() });
    const next = parseRtspUrl(resolveControl(this.url.requestUrl, location));
    // Credentials stay with the client (from the first URL or the options); the new URL's win if given.
    this.url = next;
    this.sock?.destroy();
    this.sock = undefined;
    this.rejectAll(new ProtocolError('CONNECTION_CLOSED', 'redirected', { context: this.ctx() }));
  }

  // ---------------------------------------------------------------------------------------------
  // requests

  private request(
    method: string,
    uri: string,
    headers: Record<string, string>,
    opts: { allowStatus?: (s: number) => boolean; timeoutMs?: number; keepalive?: boolean } = {},
  ): Promise<RtspMessage> {
    return this.requestOnce(method, uri, headers, opts).then(async (res) => {
      let r = res;
      // 401: answer the challenge (bounded by the authenticator: a second 401 for the same
      // non-stale challenge throws AUTH_FAILED at once).
      for (let tries = 0; (r.head as ResponseHead).status === 401 && tries < 4; tries++) {
        this.auth.handleUnauthorized((r.head as ResponseHead).headers.getAll('www-authenticate'), { method, url: redactUrl(uri) });
        r = await this.requestOnce(method, uri, headers, opts);
      }
      const head = r.head as ResponseHead;
      if (head.status === 401) throw this.statusError(method, head);
      if (head.status >= 200 && head.status < 300) {
        if (this.auth.scheme) this.auth.noteSuccess();
        return r;
      }
      if (opts.allowStatus?.(head.status)) return r;
      throw this.statusError(method, head);
    });
  }

  private requestOnce(method: string, uri: string, headers: Record<string, string>, opts: { timeoutMs?: number; keepalive?: boolean }): Promise<RtspMessage> {
    const sock = this.sock;
    if (!sock || sock.destroyed) return Promise.reject(this.failure ?? new ProtocolError('CONNECTION_CLOSED', 'not connected', { context: this.ctx({ method }) }));
    const cseq = ++this.cseq;
    const all: Record<string, string> = { CSeq: String(cseq), 'User-Agent': this.options.userAgent ?? `camstream/${VERSION}`, ...headers };
    const authz = this.auth.authorization(method, uri);
    if (authz) all['Authorization'] = authz;
    const bytes = encodeRequest(method, uri, all);
    if (this.listenerCount('message') > 0) this.emit('message', 'out', redactMessage(bytes));
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        this.pending.delete(cseq);
        const e = new ProtocolError('TIMEOUT', `${method} got no answer within ${timeoutMs} ms`, { context: this.ctx({ method, cseq }) });
        if (opts.keepalive) {
          this.stats.keepalivesUnanswered++;
          this.emit('warning', e);
          resolve({ head: { kind: 'response', protocol: 'RTSP/1.0', status: 0, reason: 'no answer', headers: undefined as unknown as Headers }, body: new Uint8Array(0), offset: -1 });
        } else reject(e);
      }, timeoutMs);
      this.pending.set(cseq, { method, resolve, reject, timer, keepalive: opts.keepalive ?? false });
      sock.write(bytes);
    });
  }

  private statusError(method: string, head: ResponseHead): ProtocolError {
    if (head.status === 401) {
      return new ProtocolError('AUTH_FAILED', `${method} ${redactUrl(this.url)}: 401 ${head.reason}`, { context: this.ctx({ method, status: head.status }) });
    }
    // RFC 2326 §11.3.x: say what the common refusals mean for this client.
    const hint =
      head.status === 461
        ? ' (the server does not offer RTP over TCP; camstream does not implement RTP over UDP yet)'
        : head.status === 454
          ? ' (the server no longer knows this session)'
          : head.status === 404
            ? ' (no such stream on this server)'
            : '';
    return new ProtocolError('RTSP_STATUS', `${method} ${redactUrl(this.url)} answered ${head.status} ${head.reason}${hint}`, { context: this.ctx({ method, status: head.status }) });
  }

  private onMessage(m: RtspMessage): void {
    if (this.listenerCount('message') > 0) this.emit('message', 'in', describeMessage(m));
    const head = m.head;
    if (head.kind === 'request') {
      // A request from the server (RFC 2326 §10: OPTIONS, GET_PARAMETER, ANNOUNCE, ...): answer it so
      // the server is not left waiting; methods we do not implement get 501.
      this.stats.serverRequests++;
      const cseq = head.headers.get('cseq') ?? '0';
      const ok = head.method === 'OPTIONS' || head.method === 'GET_PARAMETER' || head.method === 'SET_PARAMETER';
      const h: Record<string, string> = { CSeq: cseq.trim() };
      if (this.sessionId) h['Session'] = this.sessionId;
      this.sock?.write(encodeResponse(ok ? 200 : 501, ok ? 'OK' : 'Not Implemented', h));
      return;
    }
    const cseq = Number.parseInt(head.headers.get('cseq') ?? '', 10);
    const p = this.pending.get(cseq);
    if (!p) {
      this.emit('warning', new ProtocolError('RTSP_CSEQ_MISMATCH', `answer with unknown CSeq ${head.headers.get('cseq') ?? '(none)'}`, { offset: m.offset, context: this.ctx() }));
      return;
    }
    this.pending.delete(cseq);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  // ---------------------------------------------------------------------------------------------
  // media

  private makeTrack(m: MediaDescription, index: number, base: string): RtspTrack {
    const enc = m.rtpmap?.encoding ?? '';
    const codec = codecOf(enc, m.payloadTypes[0] ?? -1);
    return {
      index,
      type: m.type,
      codec: codec ?? enc.toLowerCase(),
      supported: codec !== undefined,
      payloadType: m.payloadTypes[0] ?? -1,
      clockRate: m.rtpmap?.clockRate ?? 90000,
      channels: m.rtpmap?.channels,
      fmtp: m.fmtp,
      control: resolveControl(base, m.control),
      media: m,
      rtpChannel: undefined,
      rtcpChannel: undefined,
      ssrc: undefined,
    };
  }

  private addTrackState(t: RtspTrack): void {
    const context = { track: t.index, channel: t.rtpChannel ?? -1 };
    const state: TrackState = {
      track: t,
      depacketizer: undefined as unknown as Depacketizer,
      seq: new SequenceTracker(),
      ts: new TimestampExtender(),
      clock: new RtpClockMapper(t.clockRate),
      firstTs: undefined,
      discontinuity: false,
      lastSr: 0,
      lastSrAt: 0,
      mediaSsrc: undefined,
    };
    const dep = createDepacketizer(t, {
      output: this.options.output ?? 'annexb',
      lossMode: this.options.lossMode ?? 'drop',
      maxAccessUnitSize: this.options.maxAccessUnitSize,
      context,
      onUnit: (u) => this.onUnit(state, u),
      onError: (e) => {
        this.stats.droppedUnits++;
        state.discontinuity = true;
        this.emit('warning', e);
      },
      onInfo: (info) => Object.assign(t, info),
    });
    if (!dep) throw new ProtocolError('RTSP_UNSUPPORTED', `no depacketizer for ${t.codec}`, { context: this.ctx({ track: t.index }) });
    state.depacketizer = dep;
    this.states.push(state);
    if (t.rtpChannel !== undefined) this.channels[t.rtpChannel] = state;
    if (t.rtcpChannel !== undefined) this.rtcpChannels[t.rtcpChannel] = state;
  }

  private onInterleaved(channel: number, buf: Uint8Array, start: number, end: number): void {
    const rtp = this.channels[channel];
    if (rtp) return this.onRtp(rtp, buf, start, end);
    const rtcp = this.rtcpChannels[channel];
    if (rtcp) return this.onRtcp(rtcp, buf.subarray(start, end));
    // Data on a channel never set up (moonfire-nvr #213, docs/camera-quirks.md #14): counted and dropped.
    this.stats.strayFrames++;
  }

  private onRtp(s: TrackState, buf: Uint8Array, start: number, end: number): void {
    const p = this.pkt;
    const st = p.parse(buf, start, end);
    if (st !== RtpStatus.Ok) {
      this.stats.badPackets++;
      this.emit('warning', rtpError(st, buf.subarray(start, end), { offset: this.stats.bytesIn, channel: s.track.rtpChannel }));
      return;
    }
    this.stats.rtpPackets++;
    s.mediaSsrc = p.ssrc;
    if (this.listenerCount('rtp') > 0) this.emit('rtp', s.track, p);
    const ev = s.seq.push(p.sequenceNumber);
    if (ev === SeqEvent.Duplicate || ev === SeqEvent.Old) {
      this.stats.duplicatePackets++;
      return;
    }
    if (ev === SeqEvent.Gap) {
      this.stats.lostPackets += s.seq.lastLost;
      s.discontinuity = true;
    }
    s.depacketizer.pushPayload(p.data, p.payloadOffset, p.payloadOffset + p.payloadLength, p.timestamp, p.marker, p.sequenceNumber);
  }

  private onRtcp(s: TrackState, payload: Uint8Array): void {
    const r = tryParseRtcp(payload);
    if (r instanceof ProtocolError) {
      // Broken RTCP is common (Tapo, mediamtx #1085): report, never end the session.
      this.emit('warning', r);
      return;
    }
    this.stats.rtcpPackets++;
    for (const pk of r) {
      if (pk.type !== 'sr') continue;
      s.clock.onSenderReport(pk);
      s.lastSr = lastSrField(pk);
      s.lastSrAt = Date.now();
    }
    if (this.listenerCount('rtcp') > 0) this.emit('rtcp', s.track, r);
  }

  private onUnit(s: TrackState, u: AccessUnit): void {
    const ext = s.ts.extend(u.timestamp);
    if (s.firstTs === undefined) s.firstTs = ext;
    const frame = u as RtspFrame;
    frame.track = s.track.index;
    frame.mediaType = s.track.type;
    frame.extendedTimestamp = ext;
    frame.presentationTime = (ext - s.firstTs) / s.track.clockRate;
    const wall = s.clock.wallClockMs(u.timestamp);
    if (wall !== undefined) frame.wallClockMs = wall;
    if (s.discontinuity) {
      frame.discontinuity = true;
      s.discontinuity = false;
    }
    this.stats.frames++;
    this.queue.push(frame);
  }

  private applyRtpInfo(entries: RtpInfoEntry[]): void {
    // RTP-Info is advisory: cameras send seq=0 (Hikvision), relative urls (mediamtx #250) or none at
    // all. Sequence tracking starts from the first packet either way, so nothing depends on it.
    void entries;
  }

  private aggregateUrl(): string {
    const d = this.description;
    if (!d) return this.url.requestUrl;
    return resolveControl(d.contentBase, d.sdp.control);
  }

  // ---------------------------------------------------------------------------------------------
  // keepalive, idle, teardown

  private startKeepalive(): void {
    if (this.options.keepalive === false || this.keepaliveTimer) return;
    const timeout = this.sessionTimeoutS ?? 60;
    const every = this.options.keepaliveIntervalMs ?? Math.max(1000, (timeout * 1000) / 2);
    // GET_PARAMETER when the server lists it (RFC 2326 §10.8), else OPTIONS (docs/camera-quirks.md #18).
    const method = this.methods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    this.keepaliveTimer = setInterval(() => {
      if (!this.sessionId || this.closed) return;
      this.stats.keepalivesSent++;
      const uri = method === 'OPTIONS' ? this.url.requestUrl : this.aggregateUrl();
      this.request(method, uri, { Session: this.sessionId }, { keepalive: true, timeoutMs: Math.min(every, 10_000), allowStatus: () => true }).catch((e: unknown) => {
        // Not fatal: some cameras never answer keepalives (gortsplib #412) or reject them.
        if (e instanceof ProtocolError) this.emit('warning', e);
      });
    }, every);
  }

  /** Receiver reports (RFC 3550 §6.4.2) and the periodic 'stats' event. */
  private startReports(): void {
    if (this.reportTimer) return;
    const rrEvery = this.options.receiverReportIntervalMs ?? 5000;
    const statsEvery = this.options.statsIntervalMs ?? 1000;
    let lastRr = Date.now();
    this.reportTimer = setInterval(() => {
      if (!this.playing) return;
      if (this.listenerCount('stats') > 0) this.emit('stats', { ...this.stats });
      if (rrEvery > 0 && Date.now() - lastRr >= rrEvery) {
        lastRr = Date.now();
        this.sendReceiverReports();
      }
    }, Math.max(100, Math.min(statsEvery, rrEvery > 0 ? rrEvery : statsEvery)));
  }

  private sendReceiverReports(): void {
    const sock = this.sock;
    if (!sock || sock.destroyed) return;
    for (const s of this.states) {
      if (s.track.rtcpChannel === undefined || s.mediaSsrc === undefined) continue;
      const c = s.seq.takeReportCounters();
      const block: RtcpReportBlock = {
        ssrc: s.mediaSsrc,
        fractionLost: c.fractionLost,
        cumulativeLost: c.cumulativeLost,
        extendedHighestSeq: c.extendedHighestSeq,
        jitter: 0,
        lastSr: s.lastSr,
        // DLSR in 1/65536 s since that SR arrived (0 when none yet).
        delaySinceLastSr: s.lastSrAt ? Math.min(0xffffffff, Math.round(((Date.now() - s.lastSrAt) / 1000) * 65536)) : 0,
      };
      sock.write(encodeInterleaved(s.track.rtcpChannel, buildReceiverReport({ ssrc: this.ownSsrc, reports: [block], cname: 'camstream' })));
    }
  }

  private armIdle(): void {
    const idle = this.options.idleTimeoutMs ?? 20_000;
    if (idle <= 0 || this.idleTimer) return;
    this.lastData = Date.now();
    const check = Math.min(1000, idle);
    this.idleTimer = setInterval(() => {
      if (this.playing && Date.now() - this.lastData > idle) {
        this.fail(new ProtocolError('TIMEOUT', `no data from the server for ${idle} ms`, { offset: this.stats.bytesIn, context: this.ctx() }));
      }
    }, check);
  }

  private disarmIdle(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
  }

  private onParserError(e: ProtocolError): void {
    // Garbage on the socket: the parser resyncs; we report. Oversized frames likewise.
    this.stats.badPackets++;
    this.emit('warning', e);
  }

  /** Ends the session with an error: frames() rejects with it after the queued frames. */
  private fail(e: ProtocolError): void {
    if (this.closed) return;
    this.failure = e;
    this.rejectAll(e);
    this.shutdown();
    this.queue.end(e);
  }

  private rejectAll(e: unknown): void {
    for (const [k, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(k);
      p.reject(e);
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.playing = false;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    if (this.reportTimer) clearInterval(this.reportTimer);
    this.reportTimer = undefined;
    this.disarmIdle();
    for (const s of this.states) s.depacketizer.flush();
    this.rejectAll(this.failure ?? new ProtocolError('CONNECTION_CLOSED', 'client closed', { context: this.ctx() }));
    this.sock?.destroy();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.emit('close');
  }

  private ctx(extra: ErrorContext = {}): ErrorContext {
    return { url: redactUrl(this.url), ...(this.sessionId ? { session: this.sessionId } : {}), ...extra };
  }
}

/** RTSP message text for the 'message' event with Authorization values redacted. */
function redactMessage(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1');
  return text.replace(/^(Authorization:\s*\S+)\s.*$/gim, '$1 [redacted]');
}

function describeMessage(m: RtspMessage): string {
  const h = m.head;
  const first = h.kind === 'response' ? `${h.protocol} ${h.status} ${h.reason}` : `${h.method} ${h.uri} ${h.protocol}`;
  const lines = [first];
  for (const [k, v] of h.headers) lines.push(`${k}: ${v}`);
  let text = lines.join('\r\n') + '\r\n\r\n';
  if (m.body.length > 0) text += Buffer.from(m.body).toString('utf8');
  return text;
}
