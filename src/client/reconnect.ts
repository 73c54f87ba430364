/**
 * Reconnect supervisor over RtspClient's public API (`start()`, `frames()`, `close()`, events):
 * one `frames()` that goes on across sessions. When a session is lost (connection closed or
 * refused, idle timeout, 454 Session Not Found, 5xx) or a live stream ends unexpectedly, the old
 * client is closed in the background (its own bounded TEARDOWN wait) and a new one is set up after
 * an exponential backoff with jitter. Permanent answers (authentication refused, 4xx such as 404
 * Not Found or 403 Forbidden, bad arguments) stop at once with their error.
 *
 * Across sessions: the first frame of each track after a gap carries `discontinuity: true`; a
 * recording resumes at a video keyframe (frames before it are skipped and counted); and
 * `presentationTime` continues on the recording's timeline: the new session's times are shifted to
 * start where the last frame ended plus the time the gap took (a gap is a gap, never a jump back).
 * `timestamp` / `extendedTimestamp` stay the new session's RTP values (new SSRC, new base).
 *
 * Options: `reconnect: { initialDelayMs, maxDelayMs, factor, jitter, maxAttempts }` (defaults 500
 * ms, 30 s, 2, 0.2, unlimited). Events: `reconnect` when a new session plays (why the previous one
 * ended and how long the media was down), `retry` for each failed attempt (its error and the next
 * delay), `session` with each session's description, and the clients' `warning`s.
 */
import { EventEmitter } from 'node:events';
import { ProtocolError, type ErrorCode } from '../errors.js';
import { RtspClient, type RtspClientOptions, type RtspDescription, type RtspFrame } from './rtsp-client.js';

export interface ReconnectPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** Failed attempts in a row before giving up with the last error (default Infinity). */
  maxAttempts: number;
}

export interface ReconnectingClientOptions extends RtspClientOptions {
  reconnect?: Partial<ReconnectPolicy>;
  /** Creates each session's client (tests; default `new RtspClient(url, options)`). */
  createClient?: (url: string, options: RtspClientOptions) => RtspClient;
  /** Random source for the jitter (tests). */
  random?: () => number;
}

export interface ReconnectEvent {
  /** Why the previous session ended: an error code, or 'end' (the stream ended). */
  reason: ErrorCode | 'end';
  error: ProtocolError | undefined;
  /** Attempts it took (1 = the first one worked). */
  attempts: number;
  /** From the last frame of the old session to the new session playing, ms. */
  downMs: number;
  /** Sessions so far, this one included. */
  session: number;
}

export interface RetryEvent {
  attempt: number;
  error: ProtocolError;
  delayMs: number;
}

export interface ReconnectStats {
  sessions: number;
  reconnects: number;
  failedAttempts: number;
  /** Frames skipped after a gap while waiting for a keyframe. */
  skippedUntilKeyframe: number;
}

export interface ReconnectingClientEvents {
  reconnect: [event: ReconnectEvent];
  retry: [event: RetryEvent];
  session: [description: RtspDescription, index: number];
  /** The session in use ended and a reconnect begins. */
  disconnect: [reason: ErrorCode | 'end', error: ProtocolError | undefined];
  warning: [error: ProtocolError];
}

export interface ReconnectingRtspClient {
  on<K extends keyof ReconnectingClientEvents>(event: K, listener: (...args: ReconnectingClientEvents[K]) => void): this;
  once<K extends keyof ReconnectingClientEvents>(event: K, listener: (...args: ReconnectingClientEvents[K]) => void): this;
  off<K extends keyof ReconnectingClientEvents>(event: K, listener: (...args: ReconnectingClientEvents[K]) => void): this;
  emit<K extends keyof ReconnectingClientEvents>(event: K, ...args: ReconnectingClientEvents[K]): boolean;
}

const PERMANENT_CODES = new Set<string>(['AUTH_FAILED', 'AUTH_UNSUPPORTED', 'AUTH_REQUIRED', 'INVALID_ARGUMENT', 'RTSP_UNSUPPORTED', 'RTSP_REDIRECT_LOOP', 'INVALID_STATE', 'ABORTED']);

/** True for answers that another attempt cannot change (RFC 2326 §7.1.1: 4xx is the client's fault; 454 is not). */
export function isPermanentError(e: unknown): boolean {
  if (!(e instanceof ProtocolError)) return true;
  if (PERMANENT_CODES.has(e.code)) return true;
  if (e.code === 'RTSP_STATUS') {
    const status = Number(e.context.status);
    return status >= 400 && status < 500 && status !== 408 && status !== 454;
  }
  return false;
}

const DEFAULT_POLICY: ReconnectPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2, maxAttempts: Number.POSITIVE_INFINITY };

export class ReconnectingRtspClient extends EventEmitter {
  readonly policy: ReconnectPolicy;
  readonly stats: ReconnectStats = { sessions: 0, reconnects: 0, failedAttempts: 0, skippedUntilKeyframe: 0 };
  private client: RtspClient | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly retired = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private description: RtspDescription | undefined;
  private framesTaken = false;

  constructor(
    readonly url: string,
    private readonly options: ReconnectingClientOptions = {},
  ) {
    super();
    this.policy = { ...DEFAULT_POLICY, ...options.reconnect };
    const p = this.policy;
    if (!(p.initialDelayMs >= 0 && p.maxDelayMs >= p.initialDelayMs && p.factor >= 1 && p.jitter >= 0 && p.jitter <= 1 && p.maxAttempts >= 1)) {
      throw new ProtocolError('INVALID_ARGUMENT', `reconnect policy out of range: ${JSON.stringify(p)}`);
    }
  }

  /** The current session's client (changes on reconnect). */
  get current(): RtspClient | undefined {
    return this.client;
  }

  /** First session: retried like later ones on transient errors; permanent ones reject. */
  async start(): Promise<RtspDescription> {
    const d = await this.connectWithRetry(undefined, undefined, 0);
    return d;
  }

  /** Delay before attempt `n` (1-based). */
  delayFor(attempt: number): number {
    const p = this.policy;
    const base = Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** (attempt - 1));
    const r = (this.options.random ?? Math.random)();
    return Math.max(0, Math.round(base * (1 + p.jitter * (2 * r - 1))));
  }

  private async openOnce(): Promise<RtspDescription> {
    const make = this.options.createClient ?? ((u, o) => new RtspClient(u, o));
    const c = make(this.url, this.options);
    c.on('warning', (e) => this.emit('warning', e));
    this.client = c;
    try {
      const d = await c.start();
      this.stats.sessions++;
      this.description = d;
      this.emit('session', d, this.stats.sessions);
      return d;
    } catch (e) {
      this.retire(c);
      this.client = undefined;
      throw e;
    }
  }

  /** Tries until a session plays; `reason`/`error` describe why the previous one ended. */
  private async connectWithRetry(reason: ErrorCode | 'end' | undefined, error: ProtocolError | undefined, downSince: number): Promise<RtspDescription> {
    let attempt = 0;
    let lastError: ProtocolError | undefined;
    for (;;) {
      if (this.closed) throw new ProtocolError('ABORTED', 'closed');
      attempt++;
      // A reconnect waits before every attempt (a server that drops each session at once is not
      // hammered); the first connection does not.
      if (reason !== undefined || attempt > 1) {
        const delayMs = this.delayFor(attempt);
        if (attempt > 1) this.emit('retry', { attempt: attempt - 1, error: lastError!, delayMs });
        await this.sleep(delayMs);
        if (this.closed) throw new ProtocolError('ABORTED', 'closed');
      }
      try {
        const d = await this.openOnce();
        if (this.closed) {
          this.retire(this.client!);
          throw new ProtocolError('ABORTED', 'closed');
        }
        if (reason !== undefined) {
          this.stats.reconnects++;
          this.emit('reconnect', { reason, error, attempts: attempt, downMs: Date.now() - downSince, session: this.stats.sessions });
        }
        return d;
      } catch (e) {
        if (this.closed) throw e;
        if (isPermanentError(e) || attempt >= this.policy.maxAttempts) throw e;
        this.stats.failedAttempts++;
        lastError = e as ProtocolError;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Closes an old client in the background (bounded by its teardown timeout); `close()` waits for these. */
  private retire(c: RtspClient): void {
    const p = c.close().catch(() => undefined);
    this.retired.add(p);
    void p.then(() => this.retired.delete(p));
  }

  /**
   * Frames from every session, one consumer. Ends when `close()` is called; rejects with a
   * permanent error, or the last error once `maxAttempts` attempts in a row failed.
   */
  frames(): AsyncIterable<RtspFrame> {
    if (this.framesTaken) throw new ProtocolError('INVALID_STATE', 'frames() was already called');
    if (!this.client) throw new ProtocolError('INVALID_STATE', 'frames() before start()');
    this.framesTaken = true;
    return { [Symbol.asyncIterator]: () => this.run() };
  }

  private async *run(): AsyncGenerator<RtspFrame> {
    let shift = 0; // seconds added to this session's presentation times
    let lastEnd = 0; // recording seconds where the last delivered frame ended
    let lastFrameAt = Date.now();
    let afterGap = false;
    let gapFlag = new Set<number>();
    let waitKeyframe = false;
    let sessionStartShift = true;
    try {
      for (;;) {
        const c = this.client;
        if (!c) return;
        // Resume at a keyframe only when a video track is set up (an audio-only session resumes at once).
        const hasVideo = c.rtsp.setupTracks.some((t) => t.type === 'video');
        let reason: ErrorCode | 'end' = 'end';
        let error: ProtocolError | undefined;
        try {
          for await (const f of c.frames()) {
            if (afterGap && waitKeyframe) {
              if (!(f.mediaType === 'video' && f.keyframe)) {
                this.stats.skippedUntilKeyframe++;
                continue;
              }
              waitKeyframe = false;
            }
            if (sessionStartShift) {
              // The first frame of a session after a gap: place it where the gap ends.
              if (afterGap) shift = lastEnd + Math.max(0.001, (Date.now() - lastFrameAt) / 1000) - f.presentationTime;
              sessionStartShift = false;
            }
            const pt = f.presentationTime + shift;
            const out: RtspFrame = pt === f.presentationTime ? f : { ...f, presentationTime: pt };
            if (afterGap && !gapFlag.has(f.track)) {
              gapFlag.add(f.track);
              out.discontinuity = true;
            }
            lastEnd = Math.max(lastEnd, pt);
            lastFrameAt = Date.now();
            yield out;
          }
          if (this.closed) return;
          reason = 'end';
          error = c.endError;
        } catch (e) {
          if (this.closed) return;
          if (isPermanentError(e)) throw e;
          error = e as ProtocolError;
          reason = error.code;
        }
        this.retire(c);
        this.client = undefined;
        this.emit('disconnect', reason, error);
        await this.connectWithRetry(reason, error, lastFrameAt);
        afterGap = true;
        gapFlag = new Set();
        waitKeyframe = hasVideo;
        sessionStartShift = true;
      }
    } finally {
      if (!this.closed) void this.close();
    }
  }

  /** Stops reconnecting, closes the current client and waits for every retired one (each bounded). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.wake?.();
    this.closing = (async () => {
      const c = this.client;
      this.client = undefined;
      if (c) this.retire(c);
      while (this.retired.size > 0) await Promise.all([...this.retired]);
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
