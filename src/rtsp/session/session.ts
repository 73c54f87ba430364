/**
 * RtspSession: the RTSP client session as a sans-IO state machine (RFC 2326 §A.1). Bytes and time go
 * in (`receive(bytes, now)`, `receiveRtp/receiveRtcp(track, ...)` for other transports, `tick(now)`,
 * the verbs); effects come out through the sink given at construction (bytes to write, RTCP to send,
 * frames, warnings, the next deadline, the end and its reason). It owns no socket and no timer: a
 * driver (client/rtsp-client.ts for TCP/TLS) does the I/O and keeps ONE timer at `sink.deadline`.
 *
 *   state:  init --describe--> described --setup--> ready --play--> playing <--pause/play--> paused
 *           any --teardown / failure / server end--> closed
 *
 * Every verb checks the state and throws INVALID_STATE otherwise (a second setup of a track, play
 * before setup, anything after close). Verbs return promises settled by later `receive`/`tick`
 * calls; only one verb runs at a time (`teardown` may interrupt).
 */
import { ProtocolError, type ErrorContext } from '../../errors.js';
import { RtspStreamParser, type RtspMessage } from '../rtsp-parser.js';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../encode.js';
import { parseRtspUrl, redactUrl, resolveControl, type RtspUrl } from '../url.js';
import { buildTransport, parsePublic, type TransportRequest } from '../headers.js';
import type { ResponseHead } from '../../message/head-parser.js';
import { Authenticator } from '../../auth/authenticator.js';
import { RtpPacketView } from '../../rtp/rtp-packet.js';
import { randomBytes } from 'node:crypto';
import { parseDescribe, parsePlay, parseSetup, rtpInfoFor } from './parse.js';
import { formatScale, formatSpeed, parseScale, parseSpeed, rangeValue, tryParseRangeHeader } from '../range.js';
import { TrackReceiver, type ReceiverHost } from './receiver.js';
import type { ConnectTarget, EndReason, PlayOptions, PlayResponse, RtspDescription, RtspFrame, RtspSessionOptions, RtspSessionSink, RtspStats, RtspTrack, SessionState, TrackTransport } from './types.js';

export const VERSION = '0.1.0';

const REDIRECTS = new Set([301, 302, 303, 305, 307, 308]);

interface Pending {
  method: string;
  resolve: (m: RtspMessage) => void;
  reject: (e: unknown) => void;
  deadline: number;
  timeoutMs: number;
  keepalive: boolean;
}

interface RequestOptions {
  allowStatus?: (s: number) => boolean;
  timeoutMs?: number;
  keepalive?: boolean;
}

export function emptyStats(): RtspStats {
  return {
    bytesIn: 0,
    rtpPackets: 0,
    rtcpPackets: 0,
    lostPackets: 0,
    duplicatePackets: 0,
    badPackets: 0,
    frames: 0,
    droppedUnits: 0,
    strayFrames: 0,
    wrongPayloadType: 0,
    foreignSsrc: 0,
    keepalivesSent: 0,
    keepalivesUnanswered: 0,
    serverRequests: 0,
  };
}

export class RtspSession {
  readonly options: RtspSessionOptions;
  readonly stats: RtspStats = emptyStats();
  private _state: SessionState = 'init';
  private _endReason: EndReason | undefined;
  private _endError: ProtocolError | undefined;
  private readonly sink: RtspSessionSink;
  private url: RtspUrl;
  private auth: Authenticator;
  /** `scheme://host:port` the credentials were given for. */
  private credentialOrigin: string;
  private redirectedAway = false;
  private readonly parser: RtspStreamParser;
  private isConnected = false;
  private connectWaiter: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private cseq = 0;
  private readonly pending = new Map<number, Pending>();
  private sessionId: string | undefined;
  private sessionTimeoutS: number | undefined;
  private methods: string[] = [];
  private _description: RtspDescription | undefined;
  private aggregate: string | undefined;
  private readonly receivers: TrackReceiver[] = [];
  private readonly byTrack: (TrackReceiver | undefined)[] = [];
  private readonly channels: (TrackReceiver | undefined)[] = new Array(256).fill(undefined);
  private readonly rtcpChannels: (TrackReceiver | undefined)[] = new Array(256).fill(undefined);
  private readonly pkt = new RtpPacketView();
  private readonly host: ReceiverHost;
  private busy: string | undefined;
  private closing = false;
  private now = 0;
  // deadlines (ms on the caller's clock; Infinity = off)
  private keepaliveAt = Infinity;
  private reportAt = Infinity;
  private statsAt = Infinity;
  private lastDataAt = 0;
  private lastFrameAt = 0;
  private partialSince: number | undefined;
  private unitsSeen = 0;
  private flowPaused = false;
  private shownDeadline = Number.NaN;
  private rangeEnd: number | undefined;
  private rangeStart = 0;
  private _lastPlay: PlayResponse | undefined;
  private nearEndShown = false;
  private readonly ownSsrc: number;

  constructor(url: string, sink: RtspSessionSink, options: RtspSessionOptions = {}) {
    this.options = options;
    this.sink = sink;
    this.url = parseRtspUrl(url);
    const username = options.username ?? this.url.username;
    const password = options.password ?? this.url.password ?? '';
    this.auth = new Authenticator(username !== undefined ? { username, password } : undefined);
    this.credentialOrigin = origin(this.url);
    this.ownSsrc = options.ssrc ?? randomBytes(4).readUInt32BE(0);
    this.parser = new RtspStreamParser({
      message: (m) => this.onMessage(m),
      interleaved: (ch, payload) => this.onInterleaved(ch, payload, 0, payload.length),
      interleavedRange: (ch, buf, start, end) => this.onInterleaved(ch, buf, start, end),
      error: (e) => {
        this.stats.badPackets++;
        this.sink.warning(e);
      },
    });
    const stats = this.stats;
    this.host = {
      stats,
      frame: (_r, f) => this.onFrame(f),
      warning: (e) => this.sink.warning(e),
      ended: () => this.onTrackEnded(),
      ...(sink.rtp ? { rtp: (t, p) => sink.rtp!(t, p) } : {}),
      ...(sink.rtcp ? { rtcp: (t, p) => sink.rtcp!(t, p) } : {}),
    };
  }

  get state(): SessionState {
    return this._state;
  }

  /** Why the session ended (undefined while it runs). */
  get endReason(): EndReason | undefined {
    return this._endReason;
  }

  get endError(): ProtocolError | undefined {
    return this._endError;
  }

  get description(): RtspDescription | undefined {
    return this._description;
  }

  /** What the latest PLAY answer said (Range, Scale, Speed, Rate-Control). */
  get lastPlay(): PlayResponse | undefined {
    return this._lastPlay;
  }

  get tracks(): RtspTrack[] {
    return this._description?.tracks ?? [];
  }

  get sessionIdentifier(): string | undefined {
    return this.sessionId;
  }

  get redactedUrl(): string {
    return redactUrl(this.url);
  }

  /** Tracks set up so far, in SETUP order. */
  get setupTracks(): RtspTrack[] {
    return this.receivers.map((r) => r.track);
  }

  // ---------------------------------------------------------------------------------------------
  // inputs from the driver

  /** The control connection asked for by `sink.connect` is open. */
  connected(now: number): void {
    this.advance(now);
    this.isConnected = true;
    this.parser.reset();
    this.partialSince = undefined;
    const w = this.connectWaiter;
    this.connectWaiter = undefined;
    w?.resolve();
  }

  /** The connection could not be opened: the session ends with `error`. */
  connectFailed(error: ProtocolError, now: number): void {
    this.advance(now);
    const w = this.connectWaiter;
    this.connectWaiter = undefined;
    w?.reject(error);
    this.fail(error);
  }

  /** The control connection closed (by the server or the network). */
  disconnected(now: number, error?: ProtocolError): void {
    this.advance(now);
    if (!this.isConnected) return;
    this.isConnected = false;
    if (this.closed || this.closing) return;
    if (this._state === 'playing' && this.nearRangeEnd()) {
      // A recorder that closes the connection after the last frame of a bounded range: the end.
      for (const r of this.receivers) r.end();
      if (!this.closed) this.finish('end', undefined);
      return;
    }
    this.fail(error ?? new ProtocolError('CONNECTION_CLOSED', 'the server closed the connection', { offset: this.stats.bytesIn, context: this.ctx() }));
  }

  /** Bytes from the control connection (RTSP messages and interleaved frames). */
  receive(bytes: Uint8Array, now: number): void {
    if (this.closed) return;
    this.now = now;
    this.lastDataAt = now;
    this.stats.bytesIn += bytes.length;
    const before = this.unitsSeen;
    this.parser.push(bytes);
    if (this.closed) return;
    if (this.parser.partial) {
      if (this.partialSince === undefined || this.unitsSeen !== before) {
        const was = this.partialSince;
        this.partialSince = now;
        if (was === undefined) this.updateDeadline();
      }
    } else this.partialSince = undefined;
  }

  /** RTP for track `trackIndex` from another transport (UDP, multicast): `buf[start, end)`. */
  receiveRtp(trackIndex: number, buf: Uint8Array, start: number, end: number, now: number): void {
    if (this.closed) return;
    this.now = now;
    this.lastDataAt = now;
    this.stats.bytesIn += end - start;
    const r = this.byTrack[trackIndex];
    if (r) r.rtp(buf, start, end, now);
    else this.stats.strayFrames++;
  }

  receiveRtcp(trackIndex: number, buf: Uint8Array, start: number, end: number, now: number): void {
    if (this.closed) return;
    this.now = now;
    this.lastDataAt = now;
    this.stats.bytesIn += end - start;
    const r = this.byTrack[trackIndex];
    if (r) r.rtcp(buf, start, end, now);
    else this.stats.strayFrames++;
  }

  /**
   * The consumer paused (true) or resumed (false) the flow. While paused the idle and no-frame
   * timeouts do not run: a slow consumer is not a silent server.
   */
  setFlowPaused(paused: boolean, now: number): void {
    this.advance(now);
    if (this.flowPaused === paused) return;
    this.flowPaused = paused;
    if (!paused) {
      this.lastDataAt = Math.max(this.lastDataAt, now);
      this.lastFrameAt = Math.max(this.lastFrameAt, now);
    }
    this.updateDeadline();
  }

  /** Time passed: runs whatever deadline is due (request timeouts, keepalive, reports, idle). */
  tick(now: number): void {
    this.advance(now);
    if (this.closed) return;
    // The driver's timer is spent: always announce the next deadline, even when it did not move.
    this.shownDeadline = Number.NaN;
    for (const [cseq, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(cseq);
      const e = new ProtocolError('TIMEOUT', `${p.method} got no answer within ${p.timeoutMs} ms`, { context: this.ctx({ method: p.method, cseq }) });
      if (p.keepalive) {
        this.stats.keepalivesUnanswered++;
        this.sink.warning(e);
      }
      p.reject(e);
      if (this.closed) return;
    }
    if (this.partialSince !== undefined && now - this.partialSince >= this.headTimeout) {
      this.fail(new ProtocolError('TIMEOUT', `a message begun ${now - this.partialSince} ms ago is still incomplete`, { offset: this.stats.bytesIn, context: this.ctx() }));
      return;
    }
    if (this._state === 'playing' && !this.flowPaused) {
      const idle = this.idleLimit();
      if (idle > 0 && now - this.lastDataAt >= idle) {
        if (this.nearRangeEnd()) {
          for (const r of this.receivers) r.end();
          if (!this.closed) this.finishEnd();
          return;
        }
        this.fail(new ProtocolError('TIMEOUT', `no data from the server for ${now - this.lastDataAt} ms`, { offset: this.stats.bytesIn, context: this.ctx() }));
        return;
      }
      const ft = this.options.frameTimeoutMs ?? 30_000;
      if (ft > 0 && now - this.lastFrameAt >= ft) {
        this.fail(new ProtocolError('TIMEOUT', `no frame for ${now - this.lastFrameAt} ms while playing`, { offset: this.stats.bytesIn, context: this.ctx() }));
        return;
      }
    }
    if (now >= this.keepaliveAt) this.sendKeepalive();
    if (now >= this.reportAt) {
      this.sendReports();
      const every = this.options.receiverReportIntervalMs ?? 5000;
      this.reportAt = every > 0 ? now + every : Infinity;
    }
    if (now >= this.statsAt) {
      this.sink.stats?.({ ...this.stats });
      this.statsAt = now + (this.options.statsIntervalMs ?? 1000);
    }
    this.updateDeadline();
  }

  // ---------------------------------------------------------------------------------------------
  // verbs

  /** OPTIONS + DESCRIBE (following redirects): `init` -> `described`. */
  describe(now: number): Promise<RtspDescription> {
    return this.verb('describe', ['init'], now, async () => {
      const maxRedirects = this.options.maxRedirects ?? 3;
      for (let hop = 0; ; hop++) {
        await this.ensureConnected();
        const options = await this.request('OPTIONS', this.url.requestUrl, {}, { allowStatus: (s) => s < 500 });
        const optHead = options.head as ResponseHead;
        if (REDIRECTS.has(optHead.status) && optHead.headers.get('location')) {
          await this.redirect(optHead.headers.get('location')!, hop, maxRedirects);
          continue;
        }
        this.methods = optHead.status < 300 ? parsePublic(optHead.headers.get('public') ?? '') : [];
        const res = await this.request('DESCRIBE', this.url.requestUrl, { Accept: 'application/sdp' }, { allowStatus: (s) => REDIRECTS.has(s) });
        const head = res.head as ResponseHead;
        if (REDIRECTS.has(head.status)) {
          const loc = head.headers.get('location');
          if (!loc) throw this.statusError('DESCRIBE', head);
          await this.redirect(loc, hop, maxRedirects);
          continue;
        }
        const d = parseDescribe(this.url.requestUrl, head, res.body);
        for (const note of d.notes) this.sink.warning(new ProtocolError('RTSP_UNSUPPORTED', note, { context: this.ctx() }));
        this.aggregate = d.aggregateControl;
        this._description = {
          url: redactUrl(this.url),
          server: head.headers.get('server') ?? optHead.headers.get('server'),
          methods: this.methods,
          authScheme: this.auth.scheme,
          authAlgorithm: this.auth.algorithm,
          contentBase: d.contentBase,
          sdpText: d.sdpText,
          sdp: d.sdp,
          tracks: d.tracks,
        };
        this.enter('described', 'describe');
        return this._description;
      }
    });
  }

  /**
   * SETUP of one track (`described`/`ready` -> `ready`). `transport` defaults to
   * `options.transport(track)`, else TCP interleaved on the next free channel pair.
   */
  setup(trackIndex: number, now: number, transport?: TrackTransport): Promise<RtspTrack> {
    return this.verb('setup', ['described', 'ready'], now, async () => {
      const t = this.tracks[trackIndex];
      if (!t) throw new ProtocolError('INVALID_ARGUMENT', `no track ${trackIndex} (the SDP has ${this.tracks.length})`, { context: this.ctx() });
      if (this.byTrack[trackIndex]) throw new ProtocolError('INVALID_STATE', `track ${trackIndex} is already set up`, { context: this.ctx({ track: trackIndex }) });
      if (!t.supported) throw new ProtocolError('RTSP_UNSUPPORTED', `track ${trackIndex} (${t.type}/${t.codec}): ${t.unsupportedReason ?? 'not supported'}`, { context: this.ctx({ track: trackIndex }) });
      const spec = transport ?? this.options.transport?.(t) ?? { kind: 'interleaved' };
      const req: TransportRequest = { profile: 'RTP/AVP' };
      let want: readonly [number, number] | undefined;
      if (spec.kind === 'interleaved') {
        want = spec.channels ?? this.freeChannels();
        Object.assign(req, { lowerTransport: 'TCP', delivery: 'unicast', interleaved: want });
      } else if (spec.kind === 'udp') {
        Object.assign(req, { lowerTransport: 'UDP', delivery: 'unicast', clientPort: spec.clientPort });
      } else {
        Object.assign(req, { lowerTransport: 'UDP', delivery: 'multicast' });
        if (spec.destination !== undefined) req.destination = spec.destination;
        if (spec.ttl !== undefined) req.ttl = spec.ttl;
        if (spec.port) req.extra = { port: `${spec.port[0]}-${spec.port[1]}` };
      }
      const headers: Record<string, string> = { Transport: buildTransport(req) };
      if (this.sessionId) headers['Session'] = this.sessionId;
      const res = await this.request('SETUP', t.control, headers).catch((e: unknown) => {
        if (e instanceof ProtocolError && e.context['status'] === 461) {
          const what = spec.kind === 'interleaved' ? 'RTP over TCP (interleaved)' : spec.kind === 'udp' ? 'RTP over UDP' : 'RTP over multicast';
          throw new ProtocolError('RTSP_STATUS', `${e.message.replace(/^[A-Z_]+: /, '').replace(/ \(the server does not offer.*\)$/, '')} (the server does not offer ${what}; try another transport)`, { context: e.context, cause: e });
        }
        throw e;
      });
      const head = res.head as ResponseHead;
      const s = parseSetup(head);
      if (this.sessionId !== undefined && s.sessionId !== this.sessionId) {
        this.sink.warning(new ProtocolError('RTSP_NO_SESSION', `SETUP of track ${trackIndex} answered another session id; keeping the first`, { context: this.ctx({ method: 'SETUP' }) }));
      } else this.sessionId = s.sessionId;
      if (s.timeout !== undefined) this.sessionTimeoutS = s.timeout;
      const tr = s.transport;
      if (tr) t.transport = tr;
      if (spec.kind === 'interleaved') {
        if (tr && tr.lowerTransport !== 'TCP') {
          throw new ProtocolError('RTSP_BAD_TRANSPORT', `server answered a TCP SETUP with ${tr.protocol}`, { context: this.ctx({ method: 'SETUP' }) });
        }
        const [rtp, rtcp] = tr?.interleaved ?? want!;
        if (this.channels[rtp] || this.rtcpChannels[rtp] || this.channels[rtcp] || this.rtcpChannels[rtcp]) {
          // Both SETUPs answered interleaved=0-1: the streams could not be told apart. Refuse this one.
          throw new ProtocolError('RTSP_BAD_TRANSPORT', `track ${trackIndex}: the server put it on interleaved channels ${rtp}-${rtcp}, already used by another track; not set up`, {
            context: this.ctx({ method: 'SETUP', track: trackIndex, collision: true }),
          });
        }
        t.rtpChannel = rtp;
        t.rtcpChannel = rtcp;
      } else if (tr && tr.lowerTransport === 'TCP') {
        throw new ProtocolError('RTSP_BAD_TRANSPORT', `server answered a UDP SETUP with ${tr.protocol}`, { context: this.ctx({ method: 'SETUP' }) });
      }
      t.ssrc = tr?.ssrc;
      if (this.closed || this.closing) throw this.stateError('setup');
      const r = new TrackReceiver(
        t,
        spec,
        this.host,
        {
          output: this.options.output ?? 'annexb',
          lossMode: this.options.lossMode ?? 'drop',
          maxAccessUnitSize: this.options.maxAccessUnitSize,
          rtpInfoPolicy: this.options.rtpInfoPolicy ?? 'ignore-suspicious',
          ssrcPolicy: this.options.ssrcPolicy ?? 'adopt',
          ssrcAdoptAfter: this.options.ssrcAdoptAfter ?? 8,
        },
        this.pkt,
        { track: t.index, channel: t.rtpChannel ?? -1 },
      );
      this.receivers.push(r);
      this.byTrack[t.index] = r;
      if (t.rtpChannel !== undefined) this.channels[t.rtpChannel] = r;
      if (t.rtcpChannel !== undefined) this.rtcpChannels[t.rtcpChannel] = r;
      this.sink.trackSetup?.(t, spec);
      if (this._state === 'described') {
        this.enter('ready', 'setup');
        this.scheduleKeepalive(this.now);
      }
      return t;
    });
  }

  /**
   * PLAY (aggregate control): `ready`/`paused` -> `playing`. The first PLAY sends `Range`
   * (`opts.range`, default `npt=0.000-`); a PLAY that resumes after PAUSE sends none unless asked
   * (RFC 2326 §10.5: it resumes where it paused). A PLAY while `playing` with a new Range is a seek
   * on the same session (with `immediate`, ONVIF `Immediate: yes`). Resolves with what the answer
   * said about the range and rate.
   */
  play(now: number, opts: PlayOptions = {}): Promise<PlayResponse> {
    return this.verb('play', ['ready', 'paused', 'playing'], now, async () => {
      const seek = this._state === 'playing';
      // While playing, a PLAY must change something (a seek or a new Scale); a bare one is refused.
      if (seek && opts.range === undefined && opts.scale === undefined) throw this.stateError('play');
      const headers: Record<string, string> = { Session: this.sessionId! };
      if (opts.range !== undefined) headers['Range'] = rangeValue(opts.range);
      else if (this._state === 'ready') headers['Range'] = 'npt=0.000-';
      if (opts.scale !== undefined) headers['Scale'] = formatScale(opts.scale);
      if (opts.speed !== undefined) headers['Speed'] = formatSpeed(opts.speed);
      if (opts.rateControl !== undefined) headers['Rate-Control'] = opts.rateControl ? 'yes' : 'no';
      if (opts.immediate) headers['Immediate'] = 'yes';
      for (const r of this.receivers) r.onPlayRequest(this.cseq + 1, seek);
      const res = await this.request('PLAY', this.aggregateUrl(), headers);
      const rh = (res.head as ResponseHead).headers;
      // The answer's CSeq is the one the request went out with (after any 401 retry).
      const playCseq = Number.parseInt(rh.get('cseq') ?? '0', 10) || 0;
      const p = parsePlay(res.head as ResponseHead);
      const range = tryParseRangeHeader(rh.get('range'));
      const num = (v: string | undefined, f: (t: string) => number): number | undefined => {
        try {
          return v === undefined ? undefined : f(v);
        } catch {
          return undefined;
        }
      };
      const rc = rh.get('rate-control')?.trim().toLowerCase();
      this._lastPlay = { range, scale: num(rh.get('scale'), parseScale), speed: num(rh.get('speed'), parseSpeed), rateControl: rc === undefined ? undefined : rc !== 'no' };
      const r0 = range?.range;
      const clockStart = r0?.unit === 'clock' ? r0.start : undefined;
      for (const r of this.receivers) {
        r.onPlay(playCseq, clockStart);
        r.applyRtpInfo(rtpInfoFor(p.rtpInfo, r.track, this.receivers.length));
      }
      this.rangeEnd = undefined;
      this.nearEndShown = false;
      if (r0?.unit === 'npt' && r0.end !== undefined) {
        this.rangeEnd = r0.end;
        this.rangeStart = typeof r0.start === 'number' ? r0.start : 0;
      } else if (r0?.unit === 'clock' && r0.end !== undefined) {
        this.rangeEnd = r0.end / 1000;
        this.rangeStart = r0.start / 1000;
      }
      this.enter('playing', 'play');
      this.lastDataAt = this.now;
      this.lastFrameAt = this.now;
      const rr = this.options.receiverReportIntervalMs ?? 5000;
      this.reportAt = rr > 0 ? this.now + rr : Infinity;
      this.statsAt = this.sink.stats ? this.now + (this.options.statsIntervalMs ?? 1000) : Infinity;
      return this._lastPlay;
    });
  }

  /** PAUSE: `playing` -> `paused`; the units in progress are flushed. */
  pause(now: number): Promise<void> {
    return this.verb('pause', ['playing'], now, async () => {
      await this.request('PAUSE', this.aggregateUrl(), { Session: this.sessionId! });
      this.enter('paused', 'pause');
      this.reportAt = Infinity;
      this.statsAt = Infinity;
      for (const r of this.receivers) r.depacketizer.flush();
    });
  }

  /**
   * TEARDOWN (bounded by `teardownTimeoutMs`, never failing) and the end: `closed`, reason
   * `closed`, with `reason` as the error when given (an abort). Allowed in every state but
   * `closed`; interrupts a verb in progress.
   */
  async teardown(now: number, reason?: ProtocolError): Promise<void> {
    this.advance(now);
    if (this.closed || this.closing) throw this.stateError('teardown');
    this.closing = true;
    const abortError = reason ?? new ProtocolError('CONNECTION_CLOSED', 'the session was closed', { context: this.ctx() });
    this.connectWaiter?.reject(abortError);
    this.connectWaiter = undefined;
    for (const [k, p] of this.pending) {
      if (p.keepalive) continue;
      this.pending.delete(k);
      p.reject(abortError);
    }
    if (this.sessionId && this.isConnected && this.options.teardownPolicy !== 'skip') {
      try {
        await this.request('TEARDOWN', this.aggregateUrl(), { Session: this.sessionId }, { timeoutMs: this.options.teardownTimeoutMs ?? 2000, allowStatus: () => true });
      } catch {
        // Best effort: a camera that does not answer TEARDOWN must not hold the caller.
      }
    }
    this.finish('closed', reason);
  }

  /**
   * Sends a packet we produce (talk-back RTP or its RTCP, ONVIF Streaming Specification §5.3) on an
   * interleaved channel of the control connection (RFC 2326 §10.12). False when not connected.
   */
  sendInterleaved(channel: number, packet: Uint8Array): boolean {
    if (!this.isConnected || this.closed || channel < 0 || channel > 255) return false;
    this.sink.write(encodeInterleaved(channel, packet));
    return true;
  }

  /** Ends the session with an error now (the driver's own failures: write backlog, I/O). */
  fail(e: ProtocolError): void {
    this.finish('error', e);
  }

  // ---------------------------------------------------------------------------------------------
  // internals

  private get closed(): boolean {
    return this._state === 'closed';
  }

  private get headTimeout(): number {
    return this.options.headTimeoutMs ?? 10_000;
  }

  private advance(now: number): void {
    if (now > this.now) this.now = now;
  }

  private async verb<T>(name: string, allowed: readonly SessionState[], now: number, fn: () => Promise<T>): Promise<T> {
    this.advance(now);
    if (this.closed || this.closing || !allowed.includes(this._state)) throw this.stateError(name);
    if (this.busy) throw new ProtocolError('INVALID_STATE', `${name}() while ${this.busy}() is in progress`, { context: this.ctx({ state: this._state }) });
    this.busy = name;
    try {
      return await fn();
    } finally {
      this.busy = undefined;
      if (!this.closed) this.updateDeadline();
    }
  }

  /**
   * A verb's state change, made when its answer arrived. The session may have ended meanwhile (an
   * RTCP BYE in the same chunk as the PLAY answer, a failure): then `closed` stays and the verb fails.
   */
  private enter(state: SessionState, verb: string): void {
    if (this.closed && this._endReason === 'end') return; // the verb worked; the stream already ended
    if (this.closed || this.closing) throw this._endError ?? this.stateError(verb);
    this._state = state;
  }

  private stateError(verb: string): ProtocolError {
    const why =
      this.closed
        ? `the session is closed (${this._endReason ?? 'closed'}${this._endError ? `: ${this._endError.code}` : ''})`
        : this.closing
          ? 'the session is closing'
          : verb === 'play' && (this._state === 'init' || this._state === 'described')
            ? 'no track is set up yet'
            : `not allowed in state '${this._state}'`;
    return new ProtocolError('INVALID_STATE', `${verb}(): ${why}`, { context: this.ctx({ state: this._state, verb }) });
  }

  private ensureConnected(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.sink.connect(this.target());
    });
  }

  private target(): ConnectTarget {
    return { scheme: this.url.scheme as 'rtsp' | 'rtsps', host: this.url.host, port: this.url.port, url: this.url.requestUrl };
  }

  private async redirect(location: string, hop: number, max: number): Promise<void> {
    if (hop + 1 > max) throw new ProtocolError('RTSP_REDIRECT_LOOP', `more than ${max} redirects`, { context: this.ctx() });
    const next = parseRtspUrl(resolveControl(this.url.requestUrl, location));
    if (origin(next) !== this.credentialOrigin) {
      // Credentials go only to the origin they were given for (as browsers and the HTTP client do):
      // a redirect elsewhere needs its own in the Location URL.
      this.auth = new Authenticator(next.username !== undefined ? { username: next.username, password: next.password ?? '' } : undefined);
      this.credentialOrigin = origin(next);
      this.redirectedAway = next.username === undefined;
    }
    this.url = next;
    this.isConnected = false;
    this.parser.reset();
    const e = new ProtocolError('CONNECTION_CLOSED', 'redirected', { context: this.ctx() });
    for (const [k, p] of this.pending) {
      this.pending.delete(k);
      p.reject(e);
    }
    await this.ensureConnected();
  }

  private async request(method: string, uri: string, headers: Record<string, string>, opts: RequestOptions = {}): Promise<RtspMessage> {
    let r = await this.send(method, uri, headers, opts);
    // 401: answer the challenge (bounded by the authenticator: a second 401 for the same non-stale
    // challenge is AUTH_FAILED at once; stale=true at most maxStaleRetries times).
    for (let tries = 0; (r.head as ResponseHead).status === 401 && tries < 4; tries++) {
      const head = r.head as ResponseHead;
      try {
        this.auth.handleUnauthorized(head.headers.getAll('www-authenticate'), { method, url: redactUrl(uri) });
      } catch (e) {
        throw this.authError(method, head, e);
      }
      r = await this.send(method, uri, headers, opts);
    }
    const head = r.head as ResponseHead;
    if (head.status === 401) throw this.statusError(method, head);
    if (head.status >= 200 && head.status < 300) {
      if (this.auth.scheme) this.auth.noteSuccess();
      return r;
    }
    if (opts.allowStatus?.(head.status)) return r;
    throw this.statusError(method, head);
  }

  private authError(method: string, head: ResponseHead, e: unknown): unknown {
    if (!(e instanceof ProtocolError)) return e;
    const where = `${method} ${redactUrl(this.url)} answered ${head.status} ${head.reason}`;
    const scheme = this.auth.scheme ?? String(e.context['schemes'] ?? '');
    const detail =
      e.code === 'AUTH_REQUIRED' && this.redirectedAway
        ? 'the server asks for credentials; after a redirect to another origin the original credentials are not sent (give credentials in the redirect target)'
        : e.code === 'AUTH_FAILED'
          ? `credentials refused (${scheme})`
          : e.message.replace(/^[A-Z_]+: /, '');
    return new ProtocolError(e.code, `${where}: ${detail}`, { context: this.ctx({ method, status: head.status, scheme }), cause: e });
  }

  private send(method: string, uri: string, headers: Record<string, string>, opts: RequestOptions): Promise<RtspMessage> {
    if (!this.isConnected || this.closed) {
      return Promise.reject(this._endError ?? new ProtocolError('CONNECTION_CLOSED', 'not connected', { context: this.ctx({ method }) }));
    }
    const cseq = ++this.cseq;
    const all: Record<string, string> = { CSeq: String(cseq), 'User-Agent': this.options.userAgent ?? `camstream/${VERSION}`, ...headers };
    const require = this.options.require;
    if (require && require.length > 0 && (method === 'DESCRIBE' || method === 'SETUP' || method === 'PLAY')) all['Require'] = require.join(', ');
    const authz = this.auth.authorization(method, uri);
    if (authz) all['Authorization'] = authz;
    const bytes = encodeRequest(method, uri, all);
    if (this.sink.message) this.sink.message('out', redactText(Buffer.from(bytes).toString('latin1')));
    const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs ?? 10_000;
    return new Promise<RtspMessage>((resolve, reject) => {
      this.pending.set(cseq, { method, resolve, reject, deadline: this.now + timeoutMs, timeoutMs, keepalive: opts.keepalive ?? false });
      this.sink.write(bytes);
      this.updateDeadline();
    });
  }

  private statusError(method: string, head: ResponseHead): ProtocolError {
    if (head.status === 401) {
      return new ProtocolError('AUTH_FAILED', `${method} ${redactUrl(this.url)} answered 401 ${head.reason}: credentials refused (${this.auth.scheme ?? 'none'})`, {
        context: this.ctx({ method, status: head.status }),
      });
    }
    if (head.status === 551) {
      // RFC 2326 §12.32: the server lists the Require tags it does not support in Unsupported.
      const which = head.headers.get('unsupported') ?? (this.options.require ?? []).join(', ');
      return new ProtocolError('RTSP_UNSUPPORTED', `${method} ${redactUrl(this.url)} answered 551 ${head.reason}: the server does not support ${which}`, {
        context: this.ctx({ method, status: head.status, unsupported: which }),
      });
    }
    if (head.status === 454) {
      return new ProtocolError('RTSP_SESSION_NOT_FOUND', `${method} ${redactUrl(this.url)} answered 454 ${head.reason} (the server no longer knows this session)`, {
        context: this.ctx({ method, status: head.status }),
      });
    }
    // RFC 2326 §11.3.x: say what the common refusals mean for this client.
    const hint =
      head.status === 461 ? ' (the server does not offer this transport; try another: RTP over TCP, UDP or multicast)' : head.status === 404 ? ' (no such stream on this server)' : '';
    return new ProtocolError('RTSP_STATUS', `${method} ${redactUrl(this.url)} answered ${head.status} ${head.reason}${hint}`, { context: this.ctx({ method, status: head.status }) });
  }

  private onMessage(m: RtspMessage): void {
    this.unitsSeen++;
    const head = m.head;
    if (this.sink.message) this.sink.message('in', redactText(describeMessage(m)));
    if (head.kind === 'request') {
      // A request from the server (RFC 2326 §10: OPTIONS, GET_PARAMETER, ANNOUNCE, ...): answer it so
      // the server is not left waiting; methods we do not implement get 501.
      this.stats.serverRequests++;
      const cseq = (head.headers.get('cseq') ?? '0').trim().slice(0, 16);
      const ok = head.method === 'OPTIONS' || head.method === 'GET_PARAMETER' || head.method === 'SET_PARAMETER';
      const h: Record<string, string> = { CSeq: /^\d+$/.test(cseq) ? cseq : '0' };
      if (this.sessionId) h['Session'] = this.sessionId;
      this.sink.write(encodeResponse(ok ? 200 : 501, ok ? 'OK' : 'Not Implemented', h));
      return;
    }
    const cseq = Number.parseInt(head.headers.get('cseq') ?? '', 10);
    const p = this.pending.get(cseq);
    if (!p) {
      this.sink.warning(new ProtocolError('RTSP_CSEQ_MISMATCH', `answer with unknown CSeq ${(head.headers.get('cseq') ?? '(none)').slice(0, 16)}`, { offset: m.offset, context: this.ctx() }));
      return;
    }
    this.pending.delete(cseq);
    if (p.keepalive && head.status === 454) {
      // The session is gone server-side: nothing more will come. A reconnect layer recognises the code.
      this.fail(this.statusError(p.method, head));
      return;
    }
    p.resolve(m);
    this.updateDeadline();
  }

  private onInterleaved(channel: number, buf: Uint8Array, start: number, end: number): void {
    this.unitsSeen++;
    const rtp = this.channels[channel];
    if (rtp) return rtp.rtp(buf, start, end, this.now);
    const rtcp = this.rtcpChannels[channel];
    if (rtcp) return rtcp.rtcp(buf, start, end, this.now);
    // Data on a channel never set up (moonfire-nvr #213, docs/camera-quirks.md #14): counted and dropped.
    this.stats.strayFrames++;
  }

  private onFrame(f: RtspFrame): void {
    this.lastFrameAt = this.now;
    this.sink.frame(f);
    if (this.rangeEnd !== undefined && !this.nearEndShown && this.nearRangeEnd()) {
      // The end of a bounded Range is near: the short end-of-data deadline starts now.
      this.nearEndShown = true;
      this.updateDeadline();
    }
  }

  private onTrackEnded(): void {
    if (this.closed || this.closing) return;
    if (this.receivers.every((r) => r.ended)) this.finishEnd();
  }

  /** The server ended the stream: TEARDOWN is sent without waiting, the session ends with `end`. */
  private finishEnd(): void {
    if (this.sessionId && this.isConnected) {
      this.send('TEARDOWN', this.aggregateUrl(), { Session: this.sessionId }, { timeoutMs: 1 }).catch(() => undefined);
    }
    this.finish('end', undefined);
  }

  private finish(reason: EndReason, error: ProtocolError | undefined): void {
    if (this.closed) return;
    this._state = 'closed';
    this._endReason = reason;
    this._endError = error;
    this.closing = false;
    const e = error ?? new ProtocolError('CONNECTION_CLOSED', reason === 'end' ? 'the stream ended' : 'the session was closed', { context: this.ctx() });
    this.connectWaiter?.reject(e);
    this.connectWaiter = undefined;
    for (const [k, p] of this.pending) {
      this.pending.delete(k);
      p.reject(e);
    }
    for (const r of this.receivers) if (!r.ended) r.depacketizer.flush();
    this.keepaliveAt = this.reportAt = this.statsAt = Infinity;
    this.partialSince = undefined;
    this.shownDeadline = Infinity;
    this.sink.deadline(Infinity);
    this.sink.end(reason, error);
  }

  private idleLimit(): number {
    const idle = this.options.idleTimeoutMs ?? 20_000;
    if (this.nearRangeEnd()) return idle > 0 ? Math.min(idle, 1000) : 1000;
    return idle;
  }

  /**
   * PLAY answered a bounded Range and every track has delivered all but its last second (counted in
   * replay times when the server sends them, so Scale and reverse play count right).
   */
  private nearRangeEnd(): boolean {
    const end = this.rangeEnd;
    if (end === undefined || this.receivers.length === 0) return false;
    const len = Math.abs(end - this.rangeStart);
    return this.receivers.every((r) => r.ended || r.playedSpan >= len - 1);
  }

  private scheduleKeepalive(now: number): void {
    if (this.options.keepalive === false) return;
    this.keepaliveAt = now + this.keepaliveInterval();
  }

  private keepaliveInterval(): number {
    const timeout = this.sessionTimeoutS ?? 60;
    return this.options.keepaliveIntervalMs ?? Math.max(1000, (timeout * 1000) / 2);
  }

  private sendKeepalive(): void {
    const every = this.keepaliveInterval();
    this.keepaliveAt = this.now + every;
    if (!this.sessionId || !this.isConnected || this.closing) return;
    // GET_PARAMETER when the server lists it (RFC 2326 §10.8), else OPTIONS (docs/camera-quirks.md #18).
    const chosen = this.options.keepaliveMethod ?? 'auto';
    const method = chosen !== 'auto' ? chosen : this.methods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    const uri = method === 'OPTIONS' ? this.url.requestUrl : this.aggregateUrl();
    this.stats.keepalivesSent++;
    this.request(method, uri, { Session: this.sessionId }, { keepalive: true, timeoutMs: Math.min(every, this.options.requestTimeoutMs ?? 10_000), allowStatus: () => true }).catch(
      (e: unknown) => {
        // Not fatal: some cameras never answer keepalives (gortsplib #412) or refuse them. A 454
        // already ended the session in onMessage; a timeout was counted and reported in tick().
        if (e instanceof ProtocolError && e.code !== 'TIMEOUT' && !this.closed) this.sink.warning(e);
      },
    );
  }

  private sendReports(): void {
    for (const r of this.receivers) {
      const rr = r.receiverReport(this.ownSsrc, this.now);
      if (!rr) continue;
      if (r.track.rtcpChannel !== undefined && r.transport.kind === 'interleaved') {
        if (this.isConnected) this.sink.write(encodeInterleaved(r.track.rtcpChannel, rr));
      } else this.sink.sendRtcp?.(r.track, rr);
    }
  }

  private updateDeadline(): void {
    if (this.closed) return;
    let at = Math.min(this.keepaliveAt, this.reportAt, this.statsAt);
    for (const p of this.pending.values()) if (p.deadline < at) at = p.deadline;
    if (this.partialSince !== undefined) at = Math.min(at, this.partialSince + this.headTimeout);
    if (this._state === 'playing' && !this.flowPaused) {
      const idle = this.idleLimit();
      if (idle > 0) at = Math.min(at, this.lastDataAt + idle);
      const ft = this.options.frameTimeoutMs ?? 30_000;
      if (ft > 0) at = Math.min(at, this.lastFrameAt + ft);
    }
    if (at !== this.shownDeadline) {
      this.shownDeadline = at;
      this.sink.deadline(at);
    }
  }

  private freeChannels(): [number, number] {
    for (let ch = 0; ch < 255; ch += 2) {
      if (!this.channels[ch] && !this.rtcpChannels[ch] && !this.channels[ch + 1] && !this.rtcpChannels[ch + 1]) return [ch, ch + 1];
    }
    throw new ProtocolError('LIMIT_EXCEEDED', 'no free interleaved channel pair', { context: this.ctx() });
  }

  private aggregateUrl(): string {
    return this.aggregate ?? this.url.requestUrl;
  }

  private ctx(extra: ErrorContext = {}): ErrorContext {
    return { url: redactUrl(this.url), ...(this.sessionId ? { session: this.sessionId } : {}), ...extra };
  }
}

function origin(u: RtspUrl): string {
  return `${u.scheme}://${u.host.toLowerCase()}:${u.port}`;
}

/** Message text with every Authorization / Proxy-Authorization value redacted (both directions). */
export function redactText(text: string): string {
  return text.replace(/^((?:Proxy-)?Authorization[ \t]*:[ \t]*)([^\r\n]*)/gim, (_m, name: string, value: string) => {
    const scheme = /^\S+/.exec(value)?.[0] ?? '';
    return `${name}${scheme} [redacted]`;
  });
}

function describeMessage(m: RtspMessage): string {
  const h = m.head;
  const first = h.kind === 'response' ? `${h.protocol} ${h.status} ${h.reason}` : `${h.method} ${h.uri} ${h.protocol}`;
  const lines = [first];
  for (const [k, v] of h.headers) lines.push(`${k}: ${v}`);
  let text = lines.join('\r\n') + '\r\n\r\n';
  if (m.body.length > 0) text += Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('utf8');
  return text;
}
