/**
 * Credential redaction for one direction of an RTSP or HTTP byte stream, streaming and sans-IO.
 *
 * What is removed:
 * - the value of `Authorization` and `Proxy-Authorization` (RFC 9110 §11.6.2, RFC 2326 §12.5) after the
 *   scheme name: `Authorization: Digest [redacted]` (a Digest response is enough to brute-force the
 *   password offline, so the whole value goes, username included);
 * - URL user information (`rtsp://user:pass@host/` -> `rtsp://host/`, RFC 3986 §3.2.1) anywhere in a
 *   message head, and in RTSP bodies (SDP `a=control:` and `Content-Base` echoes of the request URL);
 * - password-like query parameters in request lines (`?password=`, `&pwd=`, `loginpas=` ...);
 * - any literal given in `secrets` (the configured password, its percent-encoded form), in heads and
 *   held bodies;
 * - RTSP tunnelled over HTTP (the client's POST body is base64 RTSP, "Tunneling RTSP and RTP through
 *   HTTP", Apple QuickTime Streaming Server): decoded, redacted as RTSP, encoded again.
 *
 * Lengths change, so Content-Length is rewritten when a held RTSP body changes; the capture writer numbers
 * TCP sequence numbers by the bytes it writes, so they stay consistent.
 *
 * Media is never held: interleaved `$` frames (RFC 2326 §10.12) and HTTP response bodies go through as
 * ranges of the input chunk. A message head is held until its blank line (cap `maxHead`), an RTSP body
 * until complete (cap `maxBody`); over a cap the held bytes are redacted as they are and the stream
 * continues.
 */
import { Buffer } from 'node:buffer';

/**
 * Receives output pieces in order. `bytes` is valid only during the call. `redacted` says that this
 * piece differs from the input.
 */
export type RedactEmit = (bytes: Uint8Array, start: number, end: number, redacted: boolean) => void;

export interface RedactorOptions {
  /** Literals to remove wherever they appear in held text (replaced by `[redacted]`). */
  secrets?: readonly string[];
  maxHead?: number;
  maxBody?: number;
}

const enum St {
  Start,
  IlHeader,
  IlBody,
  Head,
  HeldBody,
  Body,
  Pass,
  Tunnel,
}

const LF = 0x0a;
const CR = 0x0d;
const DOLLAR = 0x24;

const AUTH_LINE = /^((?:proxy-)?authorization[ \t]*:[ \t]*)(\S+)?[^\r\n]*/gim;
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s"'<>]*@/gi;
const QUERY_SECRET = /([?&;](?:password|passwd|pass|pwd|pw|loginpas|login_pass|passwort|secret|token|auth)=)[^&\s"';]*/gi;

/** Redacts the credentials in a piece of message text (head or text body). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let t = text.replace(AUTH_LINE, (_m, name: string, scheme: string | undefined) => `${name}${scheme ? `${scheme} ` : ''}[redacted]`);
  t = t.replace(USERINFO, '$1').replace(QUERY_SECRET, '$1[redacted]');
  for (const s of secrets) if (s.length >= 1) t = t.split(s).join('[redacted]');
  return t;
}

/** Every form of a secret a capture must not contain: plain, percent-encoded, base64 `user:pass`. */
export function secretForms(username: string | undefined, password: string | undefined): string[] {
  const out = new Set<string>();
  if (password) {
    out.add(password);
    out.add(encodeURIComponent(password));
    if (username !== undefined) out.add(Buffer.from(`${username}:${password}`).toString('base64'));
  }
  return [...out].filter((s) => s.length >= 3);
}

export class StreamRedactor {
  /** Pieces that were changed. */
  redactions = 0;
  private st = St.Start;
  private hold = new Uint8Array(1024);
  private holdLen = 0;
  private headLen = 0;
  private nl = 0;
  private remaining = 0;
  private ilCount = 0;
  private readonly maxHead: number;
  private readonly maxBody: number;
  private readonly secrets: readonly string[];
  private tunnel: TunnelRedactor | undefined;

  constructor(
    readonly kind: 'rtsp' | 'http',
    private readonly options: RedactorOptions = {},
  ) {
    this.maxHead = options.maxHead ?? 64 * 1024;
    this.maxBody = options.maxBody ?? 64 * 1024;
    this.secrets = options.secrets ?? [];
  }

  push(b: Uint8Array, emit: RedactEmit): void {
    const n = b.length;
    let i = 0;
    let passFrom = 0;
    const flushPass = (to: number): void => {
      if (to > passFrom) emit(b, passFrom, to, false);
      passFrom = to;
    };
    while (i < n) {
      switch (this.st) {
        case St.Start: {
          const c = b[i]!;
          if (c === DOLLAR && this.kind === 'rtsp') {
            this.st = St.IlHeader;
            this.ilCount = 0;
            this.remaining = 0;
          } else if (c === CR || c === LF) {
            i++;
          } else {
            flushPass(i);
            this.st = St.Head;
            this.holdLen = 0;
            this.nl = 0;
          }
          break;
        }
        case St.IlHeader: {
          // '$', channel, length (16 bits, network order): passed through as they come.
          const c = b[i++]!;
          this.ilCount++;
          if (this.ilCount === 3) this.remaining = c << 8;
          else if (this.ilCount === 4) {
            this.remaining |= c;
            this.st = this.remaining > 0 ? St.IlBody : St.Start;
          }
          break;
        }
        case St.IlBody:
        case St.Body: {
          const take = Math.min(this.remaining, n - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.st = St.Start;
          break;
        }
        case St.Pass:
          i = n;
          break;
        case St.Tunnel:
          flushPass(i);
          this.tunnel!.push(b, i, n, emit);
          i = n;
          passFrom = n;
          break;
        case St.Head: {
          // Copy until the blank line that ends the head (CRLF CRLF or bare LF LF).
          while (i < n) {
            const c = b[i++]!;
            this.append(c);
            if (c === LF) {
              if (this.nl >= 1) {
                this.headDone(emit);
                break;
              }
              this.nl = 1;
            } else if (c === CR) this.nl = this.nl === 1 ? 2 : 0;
            else this.nl = 0;
            if (this.holdLen >= this.maxHead) {
              this.emitHeld(emit, this.holdLen, 0);
              this.st = St.Start;
              break;
            }
          }
          passFrom = i;
          break;
        }
        case St.HeldBody: {
          const take = Math.min(this.remaining, n - i);
          this.appendRange(b, i, i + take);
          i += take;
          this.remaining -= take;
          passFrom = i;
          if (this.remaining === 0) {
            this.emitHeld(emit, this.headLen, this.holdLen - this.headLen);
            this.st = St.Start;
          }
          break;
        }
      }
    }
    flushPass(n);
  }

  /** Emits what is still held (end of the connection). */
  flush(emit: RedactEmit): void {
    if ((this.st === St.Head || this.st === St.HeldBody) && this.holdLen > 0) {
      this.emitHeld(emit, this.holdLen, 0);
    }
    this.tunnel?.flush(emit);
    this.holdLen = 0;
    this.st = St.Start;
  }

  private append(c: number): void {
    if (this.holdLen === this.hold.length) this.growHold(this.holdLen + 1);
    this.hold[this.holdLen++] = c;
  }

  private appendRange(b: Uint8Array, s: number, e: number): void {
    if (this.holdLen + (e - s) > this.hold.length) this.growHold(this.holdLen + (e - s));
    this.hold.set(b.subarray(s, e), this.holdLen);
    this.holdLen += e - s;
  }

  private growHold(min: number): void {
    let size = this.hold.length * 2;
    while (size < min) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.hold.subarray(0, this.holdLen));
    this.hold = next;
  }

  private headDone(emit: RedactEmit): void {
    this.headLen = this.holdLen;
    const head = Buffer.from(this.hold.buffer, this.hold.byteOffset, this.headLen).toString('latin1');
    const firstLine = head.slice(0, head.indexOf('\n')).trim();
    const isResponse = /^(RTSP|HTTP)\/\d/i.test(firstLine);
    const cl = /^content-length[ \t]*:[ \t]*(\d+)/im.exec(head);
    const length = cl ? Number(cl[1]) : undefined;
    if (this.kind === 'rtsp') {
      if (length !== undefined && length > 0 && length <= this.maxBody) {
        this.st = St.HeldBody;
        this.remaining = length;
        return;
      }
      this.emitHeld(emit, this.headLen, 0);
      this.remaining = length ?? 0;
      this.st = this.remaining > 0 ? St.Body : St.Start;
      return;
    }
    // HTTP
    this.emitHeld(emit, this.headLen, 0);
    if (!isResponse) {
      if (/^POST\s/i.test(firstLine) && /^content-type[ \t]*:[ \t]*application\/x-rtsp-tunnelled/im.test(head)) {
        this.tunnel = new TunnelRedactor(this.options);
        this.st = St.Tunnel;
        return;
      }
      this.remaining = length ?? 0;
      this.st = this.remaining > 0 ? St.Body : St.Start;
      return;
    }
    const status = Number(/^\S+\s+(\d{3})/.exec(firstLine)?.[1] ?? 0);
    const chunked = /^transfer-encoding[ \t]*:.*chunked/im.test(head);
    if (!chunked && length !== undefined) {
      this.remaining = length;
      this.st = length > 0 ? St.Body : St.Start;
    } else if (status < 200 || status === 204 || status === 304) this.st = St.Start;
    // A streaming body (multipart, DH, chunked): media until the connection ends.
    else this.st = St.Pass;
  }

  /** Redacts and emits `hold[0, headLen + bodyLen)`, rewriting Content-Length when the body changes. */
  private emitHeld(emit: RedactEmit, headLen: number, bodyLen: number): void {
    const buf = Buffer.from(this.hold.buffer, this.hold.byteOffset, headLen + bodyLen);
    const headText = buf.toString('latin1', 0, headLen);
    let head = redactText(headText, this.secrets);
    let changed = head !== headText;
    let body: string | undefined;
    if (bodyLen > 0) {
      const bodyText = buf.toString('latin1', headLen, headLen + bodyLen);
      const red = redactText(bodyText, this.secrets);
      if (red !== bodyText) {
        body = red;
        changed = true;
        head = head.replace(/^(content-length[ \t]*:[ \t]*)\d+/im, `$1${Buffer.byteLength(red, 'latin1')}`);
      }
    }
    this.holdLen = 0;
    if (!changed) {
      emit(this.hold, 0, headLen + bodyLen, false);
      return;
    }
    this.redactions++;
    const out = Buffer.from(body !== undefined ? head + body : head + buf.toString('latin1', headLen, headLen + bodyLen), 'latin1');
    emit(out, 0, out.length, true);
  }
}

/**
 * The client-to-server half of an RTSP-over-HTTP tunnel: base64 text carrying RTSP requests. Decoded in
 * whole 4-character groups, redacted as RTSP, encoded again (3-byte groups; the rest at flush).
 */
class TunnelRedactor {
  private readonly inner: StreamRedactor;
  private quad = '';
  private carry: Buffer = Buffer.alloc(0);
  private changed = false;

  constructor(options: RedactorOptions) {
    this.inner = new StreamRedactor('rtsp', options);
  }

  push(b: Uint8Array, s: number, e: number, emit: RedactEmit): void {
    const text = this.quad + Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
    const whole = text.length - (text.length % 4);
    this.quad = text.slice(whole);
    const decoded: Buffer[] = [];
    // '=' padding may appear mid-stream (each request encoded on its own): decode group by group there.
    for (let at = 0; at < whole; ) {
      const pad = text.indexOf('=', at);
      const stop = pad < 0 || pad >= whole ? whole : pad - ((pad - at) % 4) + 4;
      decoded.push(Buffer.from(text.slice(at, stop), 'base64'));
      at = stop;
    }
    const pieces: Buffer[] = [];
    for (const d of decoded) {
      this.inner.push(d, (bytes, st, en, red) => {
        if (red) this.changed = true;
        pieces.push(Buffer.from(bytes.subarray(st, en)));
      });
    }
    this.out(Buffer.concat([this.carry, ...pieces]), false, emit);
  }

  flush(emit: RedactEmit): void {
    const pieces: Buffer[] = [];
    this.inner.flush((bytes, st, en, red) => {
      if (red) this.changed = true;
      pieces.push(Buffer.from(bytes.subarray(st, en)));
    });
    this.out(Buffer.concat([this.carry, ...pieces]), true, emit);
  }

  private out(all: Buffer, final: boolean, emit: RedactEmit): void {
    const n = final ? all.length : all.length - (all.length % 3);
    this.carry = Buffer.from(all.subarray(n));
    if (n === 0) return;
    const text = Buffer.from(all.subarray(0, n).toString('base64'), 'latin1');
    emit(text, 0, text.length, this.changed);
    this.changed = false;
  }
}
