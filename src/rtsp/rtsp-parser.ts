/**
 * Sans-IO parser for one RTSP-over-TCP connection: RTSP responses, requests from the server and
 * interleaved binary frames, in any order (RFC 2326 §10.12):
 *
 *   +------+---------+----------------+---------------------+
 *   | 0x24 | channel | length (u16 BE)| payload (length B)  |
 *   | '$'  |   u8    |                |                     |
 *   +------+---------+----------------+---------------------+
 *
 * Output lifetimes: an interleaved payload or a message body that lies inside one pushed chunk is a
 * `subarray` view valid until the next `push` (copy it to keep it); one that straddles chunks is copied
 * once into an exact-size buffer that is yours. The parser keeps no reference to a chunk after `push`
 * returns, so a transport may reuse its read buffer.
 *
 * Tolerance: CR/LF between units is skipped silently; RTP that arrives before the PLAY response is
 * just frames (Reolink, v4l2rtspserver: docs/camera-quirks.md #14). Anything else that is neither a frame nor
 * a plausible start line is garbage: the parser resynchronises on the next `$` or `RTSP/` and reports
 * one `RTSP_RESYNC` per run of skipped bytes. Every buffer is bounded by the caps in the options.
 */
import { ProtocolError } from '../errors.js';
import {
  DEFAULT_MAX_HEAD_SIZE,
  DEFAULT_MAX_HEADER_COUNT,
  HeadEndScanner,
  START_PREFIX_MAX,
  classifyStartLine,
  contentLength,
  parseHead,
  type MessageHead,
} from '../message/head-parser.js';

export interface RtspMessage {
  readonly head: MessageHead;
  /** Body per Content-Length: a view valid until the next push, or an exact copy that is yours. */
  readonly body: Uint8Array;
  /** Absolute stream offset of the head's first byte. */
  readonly offset: number;
}

export interface RtspSink {
  message(msg: RtspMessage): void;
  /** `payload` is a view valid until the next push, or one exact copy (see the file comment). */
  interleaved(channel: number, payload: Uint8Array): void;
  /**
   * Optional hot path: when present, a frame lying wholly inside the pushed chunk is delivered as
   * `buf[start, end)` (valid until the next push) instead of through `interleaved`, so no view is
   * made per frame. A frame that straddles chunks is gathered in a reused buffer and delivered the
   * same way (also valid until the next push).
   */
  interleavedRange?(channel: number, buf: Uint8Array, start: number, end: number): void;
  error(e: ProtocolError): void;
}

export interface RtspParserOptions {
  maxHeadSize?: number;
  maxHeaderCount?: number;
  /** Body cap (default 1 MiB). A larger Content-Length is reported and its body skipped. */
  maxBodySize?: number;
  /** Interleaved payload cap (default 65535, the u16 limit). Larger frames are reported and skipped. */
  maxInterleavedSize?: number;
}

const enum State {
  Idle,
  FrameHeader,
  FrameBody,
  Head,
  Body,
  Skip,
  Garbage,
}

const RTSP_SLASH = Buffer.from('RTSP/', 'latin1');
const EMPTY = new Uint8Array(0);

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

export class RtspStreamParser {
  private readonly sink: RtspSink;
  private readonly maxHead: number;
  private readonly maxHeaders: number;
  private readonly maxBody: number;
  private readonly maxFrame: number;
  private readonly rangeSink: boolean;

  private state = State.Idle;
  /** Absolute offset of byte 0 of the segment being fed. */
  private base = 0;
  private pushed = 0;

  // '$' frame
  private readonly hdr = new Uint8Array(4);
  private hdrLen = 0;
  private frameChannel = 0;
  private frameBuf: Uint8Array = EMPTY;
  private frameLen = 0;
  private frameFill = 0;
  /**
   * With a range sink, a frame straddling chunks is gathered in one of two reused buffers and
   * delivered as a range (no allocation per chunk edge). Alternating keeps each valid until the next
   * push, as the range contract promises: only the frame straddling a chunk's end starts a fill, so
   * one fill per push (a resync replay can add one: see `scratchFor`).
   */
  private readonly scratch: Uint8Array[] = [EMPTY, EMPTY];
  private scratchIdx = 0;
  /** `pushed` when each scratch buffer was last delivered (-1: never). */
  private readonly scratchSent: number[] = [-1, -1];

  // message head: copied into one reused scratch buffer (grows by doubling up to maxHead)
  private headBuf: Uint8Array = new Uint8Array(1024);
  private headLen = 0;
  private headStart = 0;
  private headChecked = false;
  /** The head being read started as a resync candidate: it must begin with 'RTSP/'. */
  private resyncCandidate = false;
  private readonly scanner = new HeadEndScanner();

  // message body
  private head: MessageHead | undefined;
  private bodyBuf: Uint8Array = EMPTY;
  private bodyFill = 0;

  private skipLeft = 0;

  // garbage run
  private garbageStart = 0;
  private garbageCount = 0;

  constructor(sink: RtspSink, opts: RtspParserOptions = {}) {
    this.sink = sink;
    this.maxHead = opts.maxHeadSize ?? DEFAULT_MAX_HEAD_SIZE;
    this.maxHeaders = opts.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
    this.maxBody = opts.maxBodySize ?? 1024 * 1024;
    this.maxFrame = opts.maxInterleavedSize ?? 0xffff;
    this.rangeSink = typeof sink.interleavedRange === 'function';
  }

  /** A unit (message, frame or garbage run) is begun but not complete: a driver's head deadline runs. */
  get partial(): boolean {
    return this.state !== State.Idle;
  }

  /** Absolute count of bytes pushed so far. */
  get offset(): number {
    return this.pushed;
  }

  push(chunk: Uint8Array): void {
    const buf = asBuffer(chunk);
    this.feed(buf, this.pushed);
    this.pushed += buf.length;
  }

  /** Ends the stream: reports a pending garbage run and a unit cut short (`TRUNCATED`), then resets. */
  end(): void {
    this.flushGarbage();
    const at = this.pushed;
    switch (this.state) {
      case State.FrameHeader:
      case State.FrameBody:
        this.sink.error(new ProtocolError('TRUNCATED', 'stream ended inside an interleaved frame', { offset: at, context: { channel: this.frameChannel } }));
        break;
      case State.Head:
        this.sink.error(new ProtocolError('TRUNCATED', 'stream ended inside a message head', { offset: this.headStart }));
        break;
      case State.Body:
      case State.Skip:
        this.sink.error(new ProtocolError('TRUNCATED', 'stream ended inside a message body', { offset: at }));
        break;
      default:
        break;
    }
    this.reset();
  }

  /** Forgets any partial unit (e.g. after a reconnect). The offset keeps counting. */
  reset(): void {
    this.state = State.Idle;
    this.hdrLen = 0;
    this.frameBuf = EMPTY;
    this.headLen = 0;
    this.head = undefined;
    this.bodyBuf = EMPTY;
    this.garbageCount = 0;
    this.scanner.reset();
  }

  private feed(buf: Buffer, base: number): void {
    const saveBase = this.base;
    this.base = base;
    const end = buf.length;
    let p = 0;
    const sink = this.sink;
    while (p < end) {
      switch (this.state) {
        case State.Idle: {
          // Hot path: '$' frames lying wholly inside this chunk are emitted as views (or ranges).
          let c = buf[p]!;
          const maxFrame = this.maxFrame;
          if (this.rangeSink) {
            while (c === 0x24 /* '$' */ && p + 4 <= end) {
              const len = (buf[p + 2]! << 8) | buf[p + 3]!;
              const stop = p + 4 + len;
              if (stop > end || len > maxFrame) break;
              sink.interleavedRange!(buf[p + 1]!, buf, p + 4, stop);
              p = stop;
              if (p >= end) break;
              c = buf[p]!;
            }
          } else {
            while (c === 0x24 /* '$' */ && p + 4 <= end) {
              const len = (buf[p + 2]! << 8) | buf[p + 3]!;
              const stop = p + 4 + len;
              if (stop > end || len > maxFrame) break;
              sink.interleaved(buf[p + 1]!, buf.subarray(p + 4, stop));
              p = stop;
              if (p >= end) break;
              c = buf[p]!;
            }
          }
          if (p >= end) break;
          if (c === 0x24) {
            this.hdrLen = 0;
            this.state = State.FrameHeader;
          } else if (c === 0x0d || c === 0x0a) {
            p++;
          } else {
            this.startHead(p);
          }
          break;
        }
        case State.FrameHeader:
          p = this.frameHeader(buf, p, end);
          break;
        case State.FrameBody: {
          const n = Math.min(end - p, this.frameLen - this.frameFill);
          buf.copy(this.frameBuf, this.frameFill, p, p + n);
          this.frameFill += n;
          p += n;
          if (this.frameFill === this.frameLen) {
            const out = this.frameBuf;
            this.frameBuf = EMPTY;
            this.state = State.Idle;
            if (this.rangeSink) {
              this.scratchSent[this.scratchIdx] = this.pushed;
              sink.interleavedRange!(this.frameChannel, out, 0, this.frameLen);
            } else sink.interleaved(this.frameChannel, out);
          }
          break;
        }
        case State.Head:
          p = this.headBytes(buf, p, end);
          break;
        case State.Body: {
          const n = Math.min(end - p, this.bodyBuf.length - this.bodyFill);
          this.bodyBuf.set(buf.subarray(p, p + n), this.bodyFill);
          this.bodyFill += n;
          p += n;
          if (this.bodyFill === this.bodyBuf.length) {
            const body = this.bodyBuf;
            this.bodyBuf = EMPTY;
            this.emitMessage(body);
          }
          break;
        }
        case State.Skip: {
          const n = Math.min(end - p, this.skipLeft);
          this.skipLeft -= n;
          p += n;
          if (this.skipLeft === 0) this.state = State.Idle;
          break;
        }
        case State.Garbage:
          p = this.garbage(buf, p, end);
          break;
      }
    }
    this.base = saveBase;
  }

  /**
   * The scratch buffer not handed out last, grown to hold `len` bytes (doubling, up to maxFrame).
   * Replaced instead when it was delivered during this very push (two fills in one push: a frame
   * begun in replayed bytes, then the one straddling the chunk's end).
   */
  private scratchFor(len: number): Uint8Array {
    const i = (this.scratchIdx ^= 1);
    let b = this.scratch[i]!;
    if (b.length < len || this.scratchSent[i] === this.pushed) {
      b = new Uint8Array(Math.min(this.maxFrame, Math.max(len, b.length * 2, 2048)));
      this.scratch[i] = b;
    }
    return b;
  }

  private frameHeader(buf: Buffer, p: number, end: number): number {
    while (this.hdrLen < 4 && p < end) this.hdr[this.hdrLen++] = buf[p++]!;
    if (this.hdrLen < 4) return p;
    const len = (this.hdr[2]! << 8) | this.hdr[3]!;
    this.frameChannel = this.hdr[1]!;
    if (len > this.maxFrame) {
      this.sink.error(
        new ProtocolError('RTSP_BAD_INTERLEAVED', `interleaved frame of ${len} bytes over the ${this.maxFrame}-byte cap`, {
          offset: this.base + p - 4,
          context: { channel: this.frameChannel, length: len },
        }),
      );
      this.skipLeft = len;
      this.state = len > 0 ? State.Skip : State.Idle;
      return p;
    }
    if (p + len <= end) {
      this.state = State.Idle;
      if (this.rangeSink) this.sink.interleavedRange!(this.frameChannel, buf, p, p + len);
      else this.sink.interleaved(this.frameChannel, buf.subarray(p, p + len));
      return p + len;
    }
    // Straddles chunks: one copy, filled as the pieces arrive (exact-size and yours for
    // `interleaved`; a reused scratch buffer for `interleavedRange`).
    this.frameBuf = this.rangeSink ? this.scratchFor(len) : Buffer.allocUnsafe(len);
    this.frameLen = len;
    this.frameFill = 0;
    this.state = State.FrameBody;
    return p;
  }

  private startHead(p: number, fromGarbage = false): void {
    this.state = State.Head;
    this.headLen = 0;
    this.headStart = this.base + p;
    this.headChecked = false;
    this.resyncCandidate = fromGarbage;
    this.scanner.reset();
  }

  private headBytes(buf: Buffer, p: number, end: number): number {
    if (!this.headChecked) {
      // Copy at most the rest of the start line (bounded by START_PREFIX_MAX) and classify it.
      let nl = buf.indexOf(0x0a /* LF */, p);
      if (nl < 0 || nl >= end) nl = -1;
      const lineEnd = nl < 0 ? end : nl;
      const take = Math.min(lineEnd - p, START_PREFIX_MAX - this.headLen);
      const complete = nl >= 0 && p + take === nl;
      const stop = complete ? nl + 1 : p + take;
      this.appendHead(buf, p, stop - p);
      this.scanner.scan(buf, p, stop);
      if (this.resyncCandidate) {
        // Out of garbage only 'RTSP/' restarts a message, whether or not a chunk edge cut it: the
        // same rule as the in-chunk search, so the output does not depend on the chunking.
        const n = Math.min(this.headLen, RTSP_SLASH.length);
        for (let i = 0; i < n; i++) {
          if (this.headBuf[i] !== RTSP_SLASH[i]) {
            this.rejectHead();
            return stop;
          }
        }
        if (n < RTSP_SLASH.length) return stop;
        this.resyncCandidate = false;
      }
      const lineLen = complete ? this.headLen - 1 : this.headLen;
      const verdict = classifyStartLine(this.headBuf, 0, lineLen, complete);
      if (verdict < 0) {
        this.rejectHead();
        return stop;
      }
      if (verdict === 0) {
        if (this.headLen >= START_PREFIX_MAX) {
          this.rejectHead();
        }
        return stop;
      }
      this.headChecked = true;
      this.flushGarbage();
      p = stop;
      if (p >= end) return p;
    }
    const he = this.scanner.scan(buf, p, end);
    const stop = he < 0 ? end : he;
    if (this.headLen + (stop - p) > this.maxHead) {
      this.sink.error(
        new ProtocolError('MSG_HEAD_TOO_LARGE', `message head over the ${this.maxHead}-byte cap`, {
          offset: this.headStart,
          bytes: this.headBuf.subarray(0, Math.min(64, this.headLen)),
        }),
      );
      // The head is the first maxHead bytes from headStart, however they were chunked; the resync
      // starts at the first byte over the cap. Bytes of it already copied into headBuf are fed again.
      const cap = this.headStart + this.maxHead;
      const here = this.base + p;
      this.state = State.Garbage;
      this.garbageCount = 0;
      if (cap >= here) {
        this.headLen = 0;
        return p + (cap - here);
      }
      const replay = Buffer.from(this.headBuf.subarray(cap - this.headStart, this.headLen));
      this.headLen = 0;
      this.feed(replay, cap);
      return p;
    }
    this.appendHead(buf, p, stop - p);
    if (he < 0) return end;
    p = he;

    let head: MessageHead;
    try {
      head = parseHead(this.headBuf.subarray(0, this.headLen), { maxHeadSize: this.maxHead, maxHeaderCount: this.maxHeaders });
    } catch (e) {
      this.state = State.Idle;
      this.headLen = 0;
      this.sink.error(this.locate(e, this.headStart));
      return p;
    }
    this.headLen = 0;
    this.head = head;
    let len = 0;
    try {
      len = contentLength(head.headers, this.maxBody) ?? 0;
    } catch (e) {
      const err = this.locate(e, this.headStart);
      this.sink.error(err);
      this.head = undefined;
      if (err.code === 'MSG_BODY_TOO_LARGE') {
        this.skipLeft = Number(err.context['length'] ?? 0);
        this.state = this.skipLeft > 0 ? State.Skip : State.Idle;
        return p;
      }
      len = 0; // unusable Content-Length: treat as no body (RFC 2326 §12.14 default)
      this.head = head;
    }
    if (len === 0) {
      this.emitMessage(EMPTY);
      return p;
    }
    if (p + len <= end) {
      this.emitMessage(buf.subarray(p, p + len));
      return p + len;
    }
    this.bodyBuf = Buffer.allocUnsafe(len);
    this.bodyFill = 0;
    this.state = State.Body;
    return p;
  }

  private emitMessage(body: Uint8Array): void {
    const head = this.head!;
    this.head = undefined;
    this.state = State.Idle;
    this.sink.message({ head, body, offset: this.headStart });
  }

  /**
   * The unit that started at `headStart` is not a message: its first byte is garbage and the bytes
   * after it (all still in headBuf, at most START_PREFIX_MAX) are fed again in resync mode.
   */
  private rejectHead(): void {
    const start = this.headStart;
    const replay = Buffer.from(this.headBuf.subarray(1, this.headLen));
    this.headLen = 0;
    if (this.garbageCount === 0) this.garbageStart = start;
    this.garbageCount++;
    this.state = State.Garbage;
    this.feed(replay, start + 1);
  }

  private garbage(buf: Buffer, p: number, end: number): number {
    let d = buf.indexOf(0x24 /* '$' */, p);
    if (d < 0 || d >= end) d = end;
    let r = buf.indexOf(RTSP_SLASH, p);
    if (r < 0 || r >= end) {
      r = end;
      // A prefix of 'RTSP/' cut by the chunk edge is a candidate too.
      for (let k = Math.max(p, end - 4); k < end; k++) {
        let ok = true;
        for (let j = 0; k + j < end; j++) if (buf[k + j] !== RTSP_SLASH[j]) ok = false;
        if (ok) {
          r = k;
          break;
        }
      }
    }
    const k = Math.min(d, r);
    if (this.garbageCount === 0) this.garbageStart = this.base + p;
    this.garbageCount += k - p;
    if (k >= end) return end;
    if (k === d) {
      this.flushGarbage();
      this.hdrLen = 0;
      this.state = State.FrameHeader;
    } else {
      this.startHead(k, true); // reported once its start line is confirmed (or joins the run if not)
    }
    return k;
  }

  private flushGarbage(): void {
    if (this.garbageCount === 0) return;
    const n = this.garbageCount;
    this.garbageCount = 0;
    this.sink.error(
      new ProtocolError('RTSP_RESYNC', `skipped ${n} bytes that were neither a '$' frame nor an RTSP message`, {
        offset: this.garbageStart,
        context: { skipped: n },
      }),
    );
  }

  private appendHead(src: Uint8Array, from: number, n: number): void {
    if (n <= 0) return;
    const need = this.headLen + n;
    if (need > this.headBuf.length) {
      const next = new Uint8Array(Math.max(need, Math.min(this.headBuf.length * 2, this.maxHead + START_PREFIX_MAX)));
      next.set(this.headBuf.subarray(0, this.headLen));
      this.headBuf = next;
    }
    this.headBuf.set(src.subarray(from, from + n), this.headLen);
    this.headLen = need;
  }

  private locate(e: unknown, offset: number): ProtocolError {
    if (e instanceof ProtocolError) {
      return e.offset >= 0 ? e : new ProtocolError(e.code, e.message.replace(/^[A-Z_]+: /, ''), { offset, context: e.context });
    }
    throw e;
  }
}
