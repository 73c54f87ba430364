/**
 * RtspClient: the Node driver of the sans-IO RtspSession (rtsp/session/) over TCP or TLS
 * (`rtsps://`), RTP interleaved on the control connection (RFC 2326 §10.12). It owns the socket, ONE
 * timer (re-armed at the session's next deadline), the EventEmitter and the bounded frame queue;
 * every protocol decision is the session's. Control is promise based (`describe`, `setup`, `play`,
 * `pause`, `close`); media comes out of `frames()`.
 *
 *   socket chunk -> tap -> RtspSession.receive -> (answers | RTP -> track receiver -> frame) -> queue
 *   session effects: write -> socket (+ tap), deadline -> timer, end -> release everything
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ProtocolError } from '../errors.js';
import { openSocket, ReadBuffer } from '../transport/connect.js';
import { RtspSession, VERSION } from '../rtsp/session/session.js';
import type { ConnectTarget, EndReason, PlayOptions, PlayResponse, RtspDescription, RtspFrame, RtspSessionOptions, RtspSessionSink, RtspStats, RtspTrack, SessionState, TrackTransport } from '../rtsp/session/types.js';
import type { RtpPacketView } from '../rtp/rtp-packet.js';
import type { RtcpPacket } from '../rtp/rtcp.js';
import type { WireTap } from '../capture/tap.js';
import { AsyncQueue } from './async-queue.js';
import { openHttpTunnel } from '../transport/http-tunnel.js';
import { ClientTransports, DEFAULT_UDP_TIMEOUT_MS, type TransportInfo, type TransportMode, type UdpOptions } from './transport-select.js';

export { VERSION };
export type { RtspDescription, RtspFrame, RtspStats, RtspTrack, EndReason, SessionState, PlayOptions, PlayResponse, TransportInfo, TransportMode, UdpOptions };

export interface RtspClientOptions extends Omit<RtspSessionOptions, 'transport'> {
  /**
   * How media travels (client/transport-select.ts): 'tcp' (default), 'auto' (UDP, then TCP when the
   * server refuses UDP or no RTP arrives within `udpTimeoutMs`), 'udp', 'multicast', 'http' (RTSP
   * over an HTTP tunnel; HTTPS for rtsps:// URLs), or a function choosing per track.
   */
  transport?: TransportMode | ((track: RtspTrack) => TrackTransport);
  /** UDP and multicast: port range, socket receive buffer, reorder window. */
  udp?: UdpOptions;
  /** 'auto': no RTP over UDP this long after PLAY switches to TCP (default 3000 ms, as gortsplib). */
  udpTimeoutMs?: number;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Frames buffered for a slow consumer before the socket is paused (default 256). */
  frameQueueSize?: number;
  /** Bytes of frames buffered before the socket is paused (default 64 MiB). */
  frameQueueBytes?: number;
  /** rtsps:// certificate check (default true; cameras often have self-signed certificates). */
  rejectUnauthorized?: boolean;
  /** Bytes waiting to be written before the session fails with LIMIT_EXCEEDED (a server that never reads; default 1 MiB). */
  maxWriteBacklog?: number;
  /** Sees every byte in and out on every connection (after TLS decryption), with times. */
  tap?: WireTap;
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
  /** The session ended (see `endReason`, `endError`). */
  close: [];
  /** The transport was chosen or changed ('auto' falling back to TCP), with the reason. */
  transport: [info: TransportInfo];
}

/** Typed EventEmitter surface. */
export interface RtspClient {
  on<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  once<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  off<K extends keyof RtspClientEvents>(event: K, listener: (...args: RtspClientEvents[K]) => void): this;
  emit<K extends keyof RtspClientEvents>(event: K, ...args: RtspClientEvents[K]): boolean;
}

let nextConnectionId = 1;

export class RtspClient extends EventEmitter {
  readonly options: RtspClientOptions;
  private current: RtspSession;
  /** Our RTCP SSRC (also in the NAT punch). */
  private readonly ownSsrc: number;
  private readonly url: string;
  /** UDP/multicast sockets of the tracks (none over TCP). */
  private readonly udp: ClientTransports;
  private transportInfo: TransportInfo;
  private sessionAt = Infinity;
  private udpAt = Infinity;
  private sock: Socket | undefined;
  private sockId = 0;
  /** Settled when the current socket has emitted 'close' (its handle is gone). */
  private sockGone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly queue: AsyncQueue<RtspFrame>;
  private framesTaken = false;
  private closing: Promise<void> | undefined;
  private released = false;
  private readonly onAbort = (): void => this.abort();

  constructor(url: string, options: RtspClientOptions = {}) {
    super();
    this.options = options;
    this.url = url;
    // Default 'tcp' for the library (what every existing caller and capture expects); 'auto' is opt-in
    // and the CLI's default.
    const requested = typeof options.transport === 'string' ? options.transport : 'tcp';
    this.transportInfo = { requested, used: requested === 'auto' ? 'udp' : requested, reason: 'requested' };
    this.udp = new ClientTransports(
      {
        rtp: (i, b, s, e, now) => this.current.receiveRtp(i, b, s, e, now),
        rtcp: (i, b, s, e, now) => this.current.receiveRtcp(i, b, s, e, now),
        warning: (e) => this.emit('warning', e),
        schedule: (at) => {
          if (at < this.udpAt) {
            this.udpAt = at;
            this.rearm();
          }
        },
        now: () => Date.now(),
        tap: options.tap ? { tap: options.tap, nextId: () => nextConnectionId++ } : undefined,
      },
      options.udp,
    );
    this.ownSsrc = options.ssrc ?? randomBytes(4).readUInt32BE(0);
    this.current = this.newSession();
    this.queue = new AsyncQueue<RtspFrame>(
      options.frameQueueSize ?? 256,
      (paused) => {
        if (paused) this.sock?.pause();
        else this.sock?.resume();
        this.rtsp.setFlowPaused(paused, Date.now());
      },
      { maxBytes: options.frameQueueBytes ?? 64 * 1024 * 1024, sizeOf: (f) => f.data.byteLength, onReturn: () => void this.close() },
    );
    if (options.signal?.aborted) queueMicrotask(() => this.abort());
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The sans-IO session this client drives (a new one after 'auto' falls back to TCP). */
  get rtsp(): RtspSession {
    return this.current;
  }

  /** The transport in use and why (see TransportMode). */
  get transport(): TransportInfo {
    return { ...this.transportInfo };
  }

  /** Per-track UDP receive counters (reorder, duplicates, late, foreign senders); empty over TCP. */
  get udpStats(): ReturnType<ClientTransports['stats']> {
    return this.udp.stats();
  }

  private newSession(): RtspSession {
    const options = this.options;
    const tap = options.tap;
    // Effects of a session replaced by a fallback are ignored (it is closed, its socket dropped).
    const live = (): boolean => this.current === session;
    const sink: RtspSessionSink = {
        write: (bytes) => {
          const sock = this.sock;
          if (!sock || sock.destroyed) return;
          tap?.data(this.sockId, 'out', bytes, Date.now());
          sock.write(bytes);
          if (sock.writableCorked === 0) this.checkBacklog(sock);
        },
        connect: (target) => this.connect(target),
        frame: (f) => this.queue.push(f),
        warning: (e) => this.emit('warning', e),
        deadline: (at) => {
          if (!live()) return;
          this.sessionAt = at;
          this.rearm();
        },
        end: (reason, error) => {
          if (live()) this.onEnd(reason, error);
        },
        sendRtcp: (t, bytes) => this.udp.sendRtcp(t, bytes),
        message: (dir, text) => {
          if (this.listenerCount('message') > 0) this.emit('message', dir, text);
        },
        rtp: (t, p) => {
          if (this.listenerCount('rtp') > 0) this.emit('rtp', t, p);
        },
        rtcp: (t, p) => {
          if (this.listenerCount('rtcp') > 0) this.emit('rtcp', t, p);
        },
        stats: (s) => {
          if (this.listenerCount('stats') > 0) this.emit('stats', s);
        },
    };
    const fn = typeof options.transport === 'function' ? options.transport : undefined;
    const session: RtspSession = new RtspSession(this.url, sink, { ...options, transport: fn, ssrc: this.ownSsrc });
    return session;
  }

  get stats(): RtspStats {
    return this.rtsp.stats;
  }

  /** The request URL without credentials (safe to print). */
  get redactedUrl(): string {
    return this.rtsp.redactedUrl;
  }

  /** The RTSP session id once set up. */
  get session(): string | undefined {
    return this.rtsp.sessionIdentifier;
  }

  get state(): SessionState {
    return this.rtsp.state;
  }

  /** Why the session ended: 'end' (the server ended the stream), 'error' or 'closed'; undefined while it runs. */
  get endReason(): EndReason | undefined {
    return this.rtsp.endReason;
  }

  /** The error that ended the session ('error'), or the ABORTED error of an abort ('closed'). */
  get endError(): ProtocolError | undefined {
    return this.rtsp.endError;
  }

  get tracks(): RtspTrack[] {
    return this.rtsp.tracks;
  }

  /** What this client holds right now (for leak checks): its socket and its one timer. */
  get resources(): { socket: boolean; timer: boolean } {
    return { socket: this.sock !== undefined && !this.sock.destroyed, timer: this.timer !== undefined };
  }

  /**
   * Connects, sends OPTIONS and DESCRIBE (following redirects), parses the SDP. When it fails (refused,
   * 401, 404, ...) the client is closed: its socket is released even if the caller never calls
   * `close()` (which stays harmless).
   */
  async describe(): Promise<RtspDescription> {
    const d = this.rtsp.description;
    if (d && this.rtsp.state !== 'init') return d;
    try {
      return await this.rtsp.describe(Date.now());
    } catch (e) {
      if (!(e instanceof ProtocolError && e.code === 'INVALID_STATE')) await this.close();
      throw e;
    }
  }

  /**
   * SETUPs the chosen tracks (default: every supported track, or the media types in
   * `options.media`). A track the server puts on channels another track already uses is refused
   * with a warning.
   */
  async setup(select?: (t: RtspTrack) => boolean): Promise<RtspTrack[]> {
    const desc = await this.describe();
    const wanted = this.options.media;
    const chosen = desc.tracks.filter((t) => (select ? select(t) : t.supported && (!wanted || wanted.includes(t.type))));
    if (chosen.length === 0) {
      throw new ProtocolError('RTSP_UNSUPPORTED', `no track to set up (offered: ${desc.tracks.map((t) => `${t.type}/${t.codec}${t.supported ? '' : ` (${t.unsupportedReason ?? 'unsupported'})`}`).join(', ') || 'none'})`, {
        context: { url: this.redactedUrl },
      });
    }
    const done: RtspTrack[] = [];
    for (const t of chosen) {
      try {
        done.push(await this.setupTrack(t));
      } catch (e) {
        if (e instanceof ProtocolError && e.context['collision'] === true && done.length > 0) {
          this.emit('warning', e);
          continue;
        }
        throw e;
      }
    }
    this.emit('transport', this.transport);
    return done;
  }

  /** One SETUP with the transport of the current mode; 'auto' falls back to TCP on 461. */
  private async setupTrack(t: RtspTrack): Promise<RtspTrack> {
    if (typeof this.options.transport === 'function') return this.rtsp.setup(t.index, Date.now());
    const used = this.transportInfo.used;
    if (used === 'tcp' || used === 'http') return this.rtsp.setup(t.index, Date.now(), { kind: 'interleaved' });
    const family = this.sock?.remoteFamily === 'IPv6' ? 6 : 4;
    const spec = await this.udp.prepare(t, used, family);
    let track: RtspTrack;
    try {
      track = await this.rtsp.setup(t.index, Date.now(), spec);
    } catch (e) {
      // 461 Unsupported Transport, or a camera that answers a UDP SETUP with its interleaved
      // transport anyway (RFC 2326 §12.39 lets the server choose only among what was offered).
      const refused = e instanceof ProtocolError && (e.context['status'] === 461 || e.code === 'RTSP_BAD_TRANSPORT');
      if (this.transportInfo.requested === 'auto' && refused) {
        this.udp.close();
        this.transportInfo = { requested: 'auto', used: 'tcp', reason: 'udp-refused' };
        const why = e.context['status'] === 461 ? 'refused RTP over UDP (461)' : 'answered the UDP SETUP with another transport';
        this.emit('warning', new ProtocolError('RTSP_STATUS', `the server ${why}: using TCP interleaved`, { context: { url: this.redactedUrl, status: typeof e.context['status'] === 'number' ? e.context['status'] : 0, transport: 'tcp' }, cause: e }));
        return this.rtsp.setup(t.index, Date.now(), { kind: 'interleaved' });
      }
      throw e;
    }
    await this.udp.setUp(track, this.sock?.remoteAddress ?? '', this.sock?.localAddress ?? '', this.ownSsrc);
    return track;
  }

  /**
   * PLAY (aggregate control). `range`: 'npt=0-', `{ npt: 10 }`, `{ clock: date }`...; a resume after
   * pause() sends none unless given; while playing, a new `range` seeks. Resolves with the answer's
   * Range, Scale, Speed and Rate-Control. 'auto' over UDP: when no RTP arrives within
   * `udpTimeoutMs`, the session is torn down and PLAYed again over TCP (the answer is the new one's).
   */
  async play(opts: PlayOptions = {}): Promise<PlayResponse> {
    const s = this.rtsp.state;
    if (s === 'init' || s === 'described') await this.setup();
    const res = await this.rtsp.play(Date.now(), opts);
    const info = this.transportInfo;
    if (info.requested !== 'auto' || info.used !== 'udp' || this.udp.receivedRtp) return res;
    // 'auto': UDP was accepted, but does anything arrive? (A firewall or NAT may eat it.)
    const timeout = this.options.udpTimeoutMs ?? DEFAULT_UDP_TIMEOUT_MS;
    if (await this.udp.waitForRtp(timeout)) return res;
    if (this.rtsp.state !== 'playing' || this.closing) return res;
    return this.fallbackToTcp(timeout, opts);
  }

  /** Ends the UDP session (TEARDOWN) and starts the same stream again over TCP interleaved. */
  private async fallbackToTcp(timeout: number, opts: PlayOptions): Promise<PlayResponse> {
    this.emit('warning', new ProtocolError('TIMEOUT', `no RTP over UDP within ${timeout} ms after PLAY (a firewall or NAT in the way?): retrying over TCP interleaved`, { context: { url: this.redactedUrl, transport: 'tcp' } }));
    const old = this.current;
    const select = new Set(old.setupTracks.map((t) => t.index));
    await old.teardown(Date.now()).catch(() => undefined);
    this.udp.close();
    this.transportInfo = { requested: 'auto', used: 'tcp', reason: 'udp-timeout' };
    this.current = this.newSession();
    this.dropSocket();
    await this.setup((t) => select.has(t.index));
    return this.rtsp.play(Date.now(), opts);
  }

  async pause(): Promise<void> {
    await this.rtsp.pause(Date.now());
    this.udp.flush();
  }

  /** Convenience: describe + setup + play. */
  async start(opts: PlayOptions = {}): Promise<RtspDescription> {
    const d = await this.describe();
    try {
      await this.setup();
      await this.play(opts);
    } catch (e) {
      // start() is all or nothing: a failed SETUP or PLAY tears the session down (TEARDOWN sent).
      if (!(e instanceof ProtocolError && e.code === 'INVALID_STATE')) await this.close();
      throw e;
    }
    return d;
  }

  /**
   * Media frames from every set-up track, in arrival order; one consumer. Ends (done) when the
   * session ends with reason 'end' or 'closed' (close(), abort); rejects with the ProtocolError that
   * ended it otherwise. Leaving the loop early (`break`) closes the client. Each frame's `data` is
   * yours to keep. Throws INVALID_STATE when called twice or before any track is set up.
   */
  frames(): AsyncIterable<RtspFrame> {
    if (this.framesTaken) throw new ProtocolError('INVALID_STATE', 'frames() was already called: a client has one consumer', { context: { url: this.redactedUrl } });
    if (this.rtsp.setupTracks.length === 0) {
      throw new ProtocolError('INVALID_STATE', 'frames() before any track is set up: call start() (or setup() and play()) first', { context: { url: this.redactedUrl, state: this.rtsp.state } });
    }
    this.framesTaken = true;
    return this.queue;
  }

  /** TEARDOWN (bounded wait), then releases the socket and the timer. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      // The frame queue may have paused the socket (slow or gone consumer): control answers must
      // still be read; frames arriving now are dropped by the ended queue.
      this.queue.end();
      this.sock?.resume();
      if (this.rtsp.state !== 'closed') {
        try {
          await this.rtsp.teardown(Date.now());
        } catch {
          // already closing (an abort): the end effect releases everything
        }
      }
      await this.release();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------------------------------------

  private abort(): void {
    const reason: unknown = this.options.signal?.reason;
    const e = new ProtocolError('ABORTED', `aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { context: { url: this.redactedUrl }, cause: reason });
    if (this.rtsp.state === 'closed') return;
    this.queue.end();
    this.sock?.resume();
    this.rtsp.teardown(Date.now(), e).catch(() => undefined);
  }

  private connect(target: ConnectTarget): void {
    this.dropSocket();
    const o = {
      host: target.host,
      port: target.port,
      tls: target.scheme === 'rtsps',
      rejectUnauthorized: this.options.rejectUnauthorized,
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal: this.options.signal,
    };
    const readBuf = o.tls || this.transportInfo.used === 'http' ? undefined : new ReadBuffer();
    // RTSP over HTTP: the tunnel's GET/POST pair stands in for the control socket.
    const opened: Promise<Socket> =
      this.transportInfo.used === 'http'
        ? openHttpTunnel({ ...o, path: tunnelPath(target.url), userAgent: this.options.userAgent }).then((t) => t as unknown as Socket)
        : openSocket({ ...o, readInto: readBuf });
    opened.then(
      (sock) => {
        if (this.rtsp.state === 'closed') {
          sock.destroy();
          return;
        }
        this.attach(sock, target, readBuf);
        this.rtsp.connected(Date.now());
      },
      (e: unknown) => {
        const err = e instanceof ProtocolError ? e : new ProtocolError('CONNECTION_CLOSED', `cannot connect: ${String(e)}`, { cause: e });
        this.rtsp.connectFailed(err, Date.now());
      },
    );
  }

  private attach(sock: Socket, target: ConnectTarget, readBuf?: ReadBuffer): void {
    this.sock = sock;
    const id = nextConnectionId++;
    this.sockId = id;
    const tap = this.options.tap;
    tap?.open(
      { id, protocol: 'tcp', local: { address: sock.localAddress ?? '', port: sock.localPort ?? 0 }, remote: { address: sock.remoteAddress ?? target.host, port: sock.remotePort ?? target.port }, kind: 'rtsp' },
      Date.now(),
    );
    let error: Error | undefined;
    let gone!: () => void;
    this.sockGone = new Promise<void>((r) => (gone = r));
    const onChunk = (chunk: Buffer): void => {
      const now = Date.now();
      tap?.data(id, 'in', chunk, now);
      // Answers to the server's requests in one chunk leave in one writev, not one syscall each.
      sock.cork();
      this.rtsp.receive(chunk, now);
      sock.uncork();
      this.checkBacklog(sock);
    };
    // Plain TCP reads into one reused buffer (transport/connect.ts ReadBuffer): the session copies
    // what it keeps (payloads into the depacketizer's slab, straddling frames into scratch).
    if (readBuf) readBuf.attach(onChunk);
    else sock.on('data', onChunk);
    sock.on('error', (err) => {
      error = err;
    });
    sock.on('close', () => {
      tap?.close(id, Date.now());
      gone();
      if (this.sock !== sock) return;
      this.sock = undefined;
      const e = error
        ? new ProtocolError('CONNECTION_CLOSED', `socket error: ${error.message}`, { offset: this.stats.bytesIn, context: { url: this.redactedUrl }, cause: error })
        : undefined;
      this.rtsp.disconnected(Date.now(), e);
    });
  }

  /** A server that does not read our answers (or reports) must not grow our memory: fail past the cap. */
  private checkBacklog(sock: Socket): void {
    const max = this.options.maxWriteBacklog ?? 1024 * 1024;
    if (sock.writableLength > max && this.rtsp.state !== 'closed') {
      this.rtsp.fail(new ProtocolError('LIMIT_EXCEEDED', `more than ${max} bytes wait to be written: the server does not read`, { context: { url: this.rtsp.redactedUrl } }));
    }
  }

  private dropSocket(): void {
    const s = this.sock;
    this.sock = undefined;
    s?.destroy();
  }

  /** The one timer, at the earlier of the session's deadline and the reorder buffers'. */
  private rearm(): void {
    this.arm(Math.min(this.sessionAt, this.udpAt));
  }

  private arm(at: number): void {
    if (at === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      const now = Date.now();
      if (this.udpAt <= now) this.udpAt = this.udp.tick(now);
      if (this.sessionAt <= now) this.rtsp.tick(now);
      this.rearm();
    }, Math.max(0, at - Date.now()));
  }

  private onEnd(reason: EndReason, error: ProtocolError | undefined): void {
    this.udp.flush();
    this.udp.close();
    this.queue.end(reason === 'error' ? error : undefined);
    this.sessionAt = Infinity;
    this.udpAt = Infinity;
    this.arm(Infinity);
    const s = this.sock;
    if (s && !s.destroyed) {
      if (reason === 'end') {
        // Let the fire-and-forget TEARDOWN leave, then release the socket.
        s.end(() => s.destroy());
      } else s.destroy();
    }
    this.options.signal?.removeEventListener('abort', this.onAbort);
    queueMicrotask(() => this.emit('close'));
  }

  /** Waits (bounded) until the socket is gone: after close() no handle of this client is left. */
  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.udp.close();
    this.sessionAt = Infinity;
    this.udpAt = Infinity;
    this.arm(Infinity);
    this.sock?.destroy();
    await this.sockGone;
  }
}

/** Request target of the tunnel's GET and POST: the RTSP URL's path and query. */
function tunnelPath(url: string): string {
  const m = /^[a-z]+:\/\/[^/?#]*([^#]*)/i.exec(url);
  const p = m?.[1] ?? '/';
  return p.startsWith('/') ? p : `/${p}`;
}
