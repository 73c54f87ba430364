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
import type { Socket } from 'node:net';
import { ProtocolError } from '../errors.js';
import { openSocket } from '../transport/connect.js';
import { RtspSession, VERSION } from '../rtsp/session/session.js';
import type { ConnectTarget, EndReason, PlayOptions, PlayResponse, RtspDescription, RtspFrame, RtspSessionOptions, RtspStats, RtspTrack, SessionState } from '../rtsp/session/types.js';
import type { RtpPacketView } from '../rtp/rtp-packet.js';
import type { RtcpPacket } from '../rtp/rtcp.js';
import type { WireTap } from '../capture/tap.js';
import { AsyncQueue } from './async-queue.js';

export { VERSION };
export type { RtspDescription, RtspFrame, RtspStats, RtspTrack, EndReason, SessionState, PlayOptions, PlayResponse };

export interface RtspClientOptions extends RtspSessionOptions {
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
  /** The sans-IO session this client drives. */
  readonly rtsp: RtspSession;
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
    const tap = options.tap;
    this.rtsp = new RtspSession(
      url,
      {
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
        deadline: (at) => this.arm(at),
        end: (reason, error) => this.onEnd(reason, error),
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
      },
      options,
    );
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
        done.push(await this.rtsp.setup(t.index, Date.now()));
      } catch (e) {
        if (e instanceof ProtocolError && e.context['collision'] === true && done.length > 0) {
          this.emit('warning', e);
          continue;
        }
        throw e;
      }
    }
    return done;
  }

  /**
   * PLAY (aggregate control). `range`: 'npt=0-', `{ npt: 10 }`, `{ clock: date }`...; a resume after
   * pause() sends none unless given; while playing, a new `range` seeks. Resolves with the answer's
   * Range, Scale, Speed and Rate-Control.
   */
  async play(opts: PlayOptions = {}): Promise<PlayResponse> {
    const s = this.rtsp.state;
    if (s === 'init' || s === 'described') await this.setup();
    return this.rtsp.play(Date.now(), opts);
  }

  async pause(): Promise<void> {
    await this.rtsp.pause(Date.now());
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
    openSocket({
      host: target.host,
      port: target.port,
      tls: target.scheme === 'rtsps',
      rejectUnauthorized: this.options.rejectUnauthorized,
      timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      signal: this.options.signal,
    }).then(
      (sock) => {
        if (this.rtsp.state === 'closed') {
          sock.destroy();
          return;
        }
        this.attach(sock, target);
        this.rtsp.connected(Date.now());
      },
      (e: unknown) => {
        const err = e instanceof ProtocolError ? e : new ProtocolError('CONNECTION_CLOSED', `cannot connect: ${String(e)}`, { cause: e });
        this.rtsp.connectFailed(err, Date.now());
      },
    );
  }

  private attach(sock: Socket, target: ConnectTarget): void {
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
    sock.on('data', (chunk: Buffer) => {
      const now = Date.now();
      tap?.data(id, 'in', chunk, now);
      // Answers to the server's requests in one chunk leave in one writev, not one syscall each.
      sock.cork();
      this.rtsp.receive(chunk, now);
      sock.uncork();
      this.checkBacklog(sock);
    });
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

  private arm(at: number): void {
    if (at === this.timerAt && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.rtsp.tick(Date.now());
    }, Math.max(0, at - Date.now()));
  }

  private onEnd(reason: EndReason, error: ProtocolError | undefined): void {
    this.queue.end(reason === 'error' ? error : undefined);
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
    this.arm(Infinity);
    this.sock?.destroy();
    await this.sockGone;
  }
}
