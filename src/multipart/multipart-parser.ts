/**
 * Sans-IO multipart/x-mixed-replace parser (RFC 2046 §5.1, the MJPEG / camera-event variant).
 *
 *   stream   = [preamble] 1*( delimiter headers body ) [close-delimiter epilogue]
 *   delimiter line (tolerant read, RFC 2046 §5.1.1 strict form is CRLF "--" boundary CRLF):
 *
 *   +---------+------+----------+----------+----------+------+----------+---------+
 *   | [CR]LF? | "--" | SP/HT*   | boundary | SP/HT*   | "--"?| SP/HT*   | [CR]LF  |
 *   +---------+------+----------+----------+----------+------+----------+---------+
 *     optional  (more '-' when the   the WV-V series HTTP API V2.40 event stream: "-- myboundary \r\n"
 *     (quirk)    declared boundary
 *                itself began "--")
 *
 * The CRLF before "--" belongs to the delimiter, not to the body (RFC 2046 §5.1.1).
 *
 * Body framing:
 *  - Content-Length fast path: the body is skipped by length without being scanned, then a delimiter
 *    must follow (CR/LF/SP/HT allowed in between: the WV-V series HTTP API V2.40 writes `\r\n\r\n` after each body). When
 *    one does not, the declared length was wrong (the WV-V series HTTP API V2.40's MDResult event declares 38 bytes for a
 *    longer text; the IP Camera Standard API 5.0.0's eventdata parts declare 74 for 76 bytes) and the part is re-read by
 *    scanning from its body start (`stats.fallbacks`).
 *  - No Content-Length: a native `indexOf` of a short (< 8 byte) prefix of the boundary token, then
 *    verification around the hit (short needles take the fast memchr path in V8/Node).
 *
 * Output lifetime: `part.body` is a view into a pushed chunk when it lies in one chunk (valid as long
 * as the caller leaves that chunk untouched), otherwise ONE exact-size copy that is the caller's.
 * Bodies are emitted once the following delimiter has been seen (so a wrong Content-Length can be
 * detected); `flush()` delivers a complete Content-Length body early (event streams, low latency).
 *
 * Bounds: part body (`maxPartSize`), header block bytes and count, delimiter padding. A part over its
 * cap is reported and skipped without being buffered; parsing resumes at the next delimiter.
 */
import { ByteQueue } from '../bytes/byte-queue.js';
import { ProtocolError, type ErrorCode } from '../errors.js';

export interface MultipartPart {
  /** Header fields by lower-case name; repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** The part's Content-Type value ('' when absent). */
  contentType: string;
  /** Declared Content-Length; may differ from body.length when the camera got it wrong. */
  contentLength?: number;
  /** View or one exact copy (see the module comment for its lifetime). */
  body: Uint8Array;
  /** 0-based index of the part in the stream (skipped parts keep their index). */
  index: number;
  /** Absolute stream offset of the first body byte. */
  offset: number;
}

export interface MultipartSink {
  part(p: MultipartPart): void;
  /** Non-fatal problems: the part concerned is dropped and parsing goes on. */
  error?(e: ProtocolError): void;
}

export interface MultipartOptions {
  /** Largest body delivered; bigger parts are reported and skipped (default 16 MiB). */
  maxPartSize?: number;
  /** Largest header block of one part (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Most header lines in one part (default 64). */
  maxHeaders?: number;
  /** Preamble bytes tolerated before the first delimiter is reported missing (default 64 KiB). */
  maxPreamble?: number;
  /**
   * Assemble bodies that span chunks in one reused scratch buffer instead of a fresh exact-size copy
   * (default false). `part.body` is then valid only until `part()` returns: for consumers that
   * write or decode each part at once. Saves an allocation per part (about 2x faster copies: fresh
   * memory is cold).
   */
  transientBodies?: boolean;
}

export interface MultipartStats {
  /** Parts delivered to the sink. */
  parts: number;
  /** Bytes pushed. */
  bytes: number;
  /** Times framing was lost and the parser hunted for the next delimiter. */
  resyncs: number;
  /** Parts whose Content-Length was wrong and that were re-read by scanning. */
  fallbacks: number;
  /** Parts dropped (too large, bad headers, truncated). */
  dropped: number;
  /** Errors reported. */
  errors: number;
}

const enum State {
  Preamble,
  Headers,
  BodyLength,
  Scan,
  SkipLength,
  /** Expecting a delimiter at queue index 0 (after a skipped body or a flushed one). */
  AwaitDelimiter,
  Discard,
  Epilogue,
  Ended,
}

const enum Found {
  None,
  Yes,
  More,
  No,
}

const enum Hdr {
  LineStart,
  LineCr,
  Name,
  NameSpace,
  Value,
}

const SP = 0x20; /* ' ' */
const HT = 0x09; /* '\t' */
const CR = 0x0d; /* '\r' */
const LF = 0x0a; /* '\n' */
const DASH = 0x2d; /* '-' */
const COLON = 0x3a; /* ':' */

/** Most SP/HT accepted between "--" and the boundary, and after it. */
const MAX_PAD = 16;
/** Most CR/LF/SP/HT accepted between a Content-Length body and its delimiter. */
const MAX_GAP = 256;


/** RFC 7230 §3.2.6 tchar. */
const TCHAR = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

export class MultipartParser {
  private readonly q = new ByteQueue();
  private readonly sink: MultipartSink;
  /** Boundary token without any leading "--". */
  private readonly token: Buffer;
  /** Native search needle: the first < 8 bytes of the token. */
  private readonly prefix: Buffer;
  /** Dashes before the token on the wire: "--" + declared leading dashes, or (quirk) only those. */
  private readonly minDashes: number;
  private readonly maxDashes: number;
  /** How far before a boundary-token hit its delimiter may start (pads, dashes, [CR]LF). */
  private readonly backSpan: number;
  private readonly maxPartSize: number;
  private readonly maxHeaderBytes: number;
  private readonly maxHeaders: number;
  private readonly maxPreamble: number;
  private readonly transient: boolean;
  private scratch: Buffer | undefined;

  private state = State.Preamble;
  private scanFrom = 0;
  private preambleReported = false;
  private partIndex = -1;

  // current part
  private headers: Record<string, string> = Object.create(null) as Record<string, string>;
  private contentType = '';
  private contentLength = -1;
  private remaining = 0;
  private bodyOffset = 0;

  // header scanner
  private hState = Hdr.LineStart;
  private hPos = 0;
  private hLineStart = 0;
  private hColon = -1;
  private hLines = 0;
  private readonly hMarks: number[] = [];

  // findDelimiter / verify outputs
  private dBodyEnd = 0;
  private dNext = 0;
  private dClosing = false;
  private dCandidate = 0;

  private readonly st: MultipartStats = { parts: 0, bytes: 0, resyncs: 0, fallbacks: 0, dropped: 0, errors: 0 };

  constructor(boundary: string | Uint8Array, sink: MultipartSink, options: MultipartOptions = {}) {
    let raw = typeof boundary === 'string' ? Buffer.from(boundary, 'latin1') : Buffer.from(boundary);
    // The token is the boundary without its leading '-'s; the dashes are counted on the wire instead.
    // Strict form: "--" + boundary. Quirk (several MJPEG cameras): `boundary=--myboundary` declared and
    // "--myboundary" written, i.e. the declared dashes ARE the delimiter's "--".
    let lead = 0;
    while (lead < raw.length && raw[lead] === DASH) lead++;
    raw = raw.subarray(lead);
    if (raw.length === 0) throw new ProtocolError('MULTIPART_NO_BOUNDARY', 'empty boundary');
    if (raw.length > 200) throw new ProtocolError('INVALID_ARGUMENT', 'boundary longer than 200 bytes (RFC 2046 §5.1.1 allows 70)');
    this.token = Buffer.from(raw);
    this.prefix = this.token.subarray(0, Math.min(this.token.length, 6));
    this.maxDashes = 2 + lead;
    this.backSpan = MAX_PAD + this.maxDashes + MAX_PAD + 2;
    this.minDashes = lead >= 2 ? lead : 2 + lead;
    this.sink = sink;
    this.maxPartSize = options.maxPartSize ?? 16 * 1024 * 1024;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
    this.maxHeaders = options.maxHeaders ?? 64;
    this.maxPreamble = options.maxPreamble ?? 64 * 1024;
    this.transient = options.transientBodies ?? false;
  }

  get stats(): Readonly<MultipartStats> {
    return this.st;
  }

  /** True once the close delimiter (`--boundary--`) was seen. */
  get done(): boolean {
    return this.state === State.Epilogue;
  }

  /** Bytes held while waiting for the rest of a unit (bounded by the caps). */
  get buffered(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): void {
    if (this.state === State.Ended) throw new ProtocolError('INVALID_ARGUMENT', 'push() after end()');
    this.st.bytes += chunk.length;
    if (this.state === State.Epilogue) {
      this.q.clear();
      return;
    }
    this.q.push(chunk);
    this.run(false);
  }

  /**
   * Delivers a part whose Content-Length body is complete but whose delimiter has not arrived yet,
   * when the bytes after it seen so far are consistent with one. Call it when the transport goes
   * idle (e.g. after each socket read) so camera events are not held until the next one. If the
   * bytes that follow then turn out not to be a delimiter, the parser resyncs (`stats.resyncs`).
   */
  flush(): void {
    if (this.state !== State.BodyLength) return;
    const n = this.contentLength;
    if (this.q.length < n) return;
    if (this.verifyAfter(n, false) !== Found.More) return;
    this.emit(this.takeBody(n), this.contentLength);
    this.state = State.AwaitDelimiter;
  }

  /** The stream ended: delivers what can be completed and reports a part cut short. */
  end(): void {
    if (this.state === State.Ended) return;
    if (this.state !== State.Epilogue) {
      this.run(true);
      switch (this.state) {
        case State.Headers:
          if (this.hPos > 0 || this.q.length > 0) this.drop('TRUNCATED', 'stream ended inside part headers');
          break;
        case State.BodyLength:
        case State.Scan:
          this.drop('TRUNCATED', 'stream ended inside a part body');
          break;
        case State.SkipLength:
          this.report('TRUNCATED', 'stream ended inside a skipped part body');
          break;
        case State.Preamble:
          if (this.partIndex < 0 && this.st.bytes > 0) this.report('MULTIPART_BAD_DELIMITER', 'no multipart delimiter in the whole stream', 0);
          break;
        default:
          break;
      }
    }
    this.q.clear();
    this.state = State.Ended;
  }

  // ---------------------------------------------------------------------------------------------

  private run(atEnd: boolean): void {
    const q = this.q;
    for (;;) {
      switch (this.state) {
        case State.Preamble:
        case State.Discard: {
          const r = this.findDelimiter(this.scanFrom, atEnd);
          if (r === Found.Yes) {
            if (this.state === State.Preamble && !this.preambleReported && q.offset + this.dCandidate > this.maxPreamble) {
              this.preambleReported = true;
              this.report('MULTIPART_BAD_DELIMITER', `first delimiter only after ${q.offset + this.dCandidate} bytes`, 0);
            }
            q.skip(this.dNext);
            this.afterDelimiter();
            continue;
          }
          // Keep only what a delimiter starting at or after scanFrom could still need.
          const keepFrom = Math.max(0, (r === Found.More ? this.dCandidate : this.scanFrom) - this.backSpan);
          if (keepFrom > 0) {
            q.skip(keepFrom);
            this.scanFrom -= keepFrom;
          }
          if (this.state === State.Preamble && !this.preambleReported && q.offset > this.maxPreamble) {
            this.preambleReported = true;
            this.report('MULTIPART_BAD_DELIMITER', `no delimiter in the first ${this.maxPreamble} bytes`, 0);
          }
          return;
        }

        case State.Headers:
          if (!this.scanHeaders()) return;
          continue;

        case State.BodyLength: {
          const n = this.contentLength;
          if (q.length < n) {
            if (!atEnd) return;
            // The stream ended before the declared length: maybe the length was too long.
            this.st.fallbacks++;
            this.state = State.Scan;
            this.scanFrom = 0;
            continue;
          }
          const r = this.verifyAfter(n, atEnd);
          if (r === Found.More) return;
          if (r === Found.Yes) {
            const body = this.takeBody(n);
            q.skip(this.dNext - n);
            this.emit(body, n);
            this.afterDelimiter();
            continue;
          }
          // Quirk (the WV-V series HTTP API V2.40 §4.9.17 MDResult event, the IP Camera Standard API 5.0.0 §5.4.2 eventdata parts): the declared
          // Content-Length is shorter (or longer) than the body. Re-read the part by scanning.
          this.st.fallbacks++;
          this.state = State.Scan;
          this.scanFrom = 0;
          continue;
        }

        case State.Scan: {
          const r = this.findDelimiter(this.scanFrom, atEnd);
          if (r === Found.Yes) {
            const end = this.dBodyEnd;
            if (end > this.maxPartSize) {
              this.drop('MULTIPART_PART_TOO_LARGE', `part body of ${end} bytes over the ${this.maxPartSize}-byte cap`);
              q.skip(this.dNext);
            } else {
              const body = this.takeBody(end);
              q.skip(this.dNext - end);
              this.emit(body, this.contentLength);
            }
            this.afterDelimiter();
            continue;
          }
          // Any delimiter still to come ends the body at or after this point.
          const from = r === Found.More ? this.dCandidate : this.scanFrom;
          if (from - this.backSpan > this.maxPartSize) {
            this.drop('MULTIPART_PART_TOO_LARGE', `part body over the ${this.maxPartSize}-byte cap`);
            this.state = State.Discard;
            continue;
          }
          return;
        }

        case State.SkipLength: {
          const n = Math.min(this.remaining, q.length);
          q.skip(n);
          this.remaining -= n;
          if (this.remaining > 0) return;
          this.state = State.AwaitDelimiter;
          continue;
        }

        case State.AwaitDelimiter: {
          const r = this.verifyAfter(0, atEnd);
          if (r === Found.More) return;
          if (r === Found.Yes) {
            q.skip(this.dNext);
            this.afterDelimiter();
            continue;
          }
          this.report('MULTIPART_BAD_DELIMITER', 'no delimiter after a part body');
          this.st.resyncs++;
          this.state = State.Discard;
          this.scanFrom = 0;
          continue;
        }

        case State.Epilogue:
          q.clear();
          return;

        default:
          return;
      }
    }
  }

  /** A view when the n bytes lie in one chunk, else one copy (fresh exact-size, or the scratch). */
  private takeBody(n: number): Uint8Array {
    const q = this.q;
    if (!this.transient) return q.take(n);
    const view = q.contiguousAt(0, n);
    if (view.length === n) {
      q.skip(n);
      return view;
    }
    let s = this.scratch;
    if (s === undefined || s.length < n) {
      // Grow in 64 KiB steps; bounded by maxPartSize (bigger parts are never assembled).
      s = this.scratch = Buffer.allocUnsafe(Math.min(this.maxPartSize, (n + 0xffff) & ~0xffff) || n);
    }
    q.copyTo(s, 0, 0, n);
    q.skip(n);
    return s.subarray(0, n);
  }

  private afterDelimiter(): void {
    this.scanFrom = 0;
    if (this.dClosing) {
      this.state = State.Epilogue;
      this.q.clear();
      return;
    }
    this.state = State.Headers;
    this.partIndex++;
    this.hState = Hdr.LineStart;
    this.hPos = 0;
    this.hLineStart = 0;
    this.hColon = -1;
    this.hLines = 0;
    this.hMarks.length = 0;
  }

  private emit(body: Uint8Array, contentLength: number): void {
    this.st.parts++;
    const p: MultipartPart = {
      headers: this.headers,
      contentType: this.contentType,
      body,
      index: this.partIndex,
      offset: this.bodyOffset,
    };
    if (contentLength >= 0) p.contentLength = contentLength;
    this.sink.part(p);
  }

  /**
   * `offset` defaults to the first unconsumed byte: the start of the unit concerned in every state
   * that reports (nothing is consumed inside a unit before it is judged). Preamble errors name the
   * stream start, since how much of the preamble was already dropped depends on the chunking.
   */
  private report(code: ErrorCode, message: string, offset = this.q.offset): void {
    this.st.errors++;
    if (this.sink.error) {
      const q = this.q;
      const preview = Buffer.allocUnsafe(offset === q.offset ? Math.min(64, q.length) : 0);
      q.copyTo(preview, 0, 0, preview.length);
      this.sink.error(
        new ProtocolError(code, message, {
          offset,
          context: { part: this.partIndex },
          bytes: preview,
        }),
      );
    }
  }

  private drop(code: ErrorCode, message: string): void {
    this.st.dropped++;
    this.report(code, message);
  }

  // ---------------------------------------------------------------------------------------------
  // Part headers (RFC 2046 §5.1.1 body-part = MIME-part-headers [CRLF *OCTET]); a byte-at-a-time
  // scanner so that every byte is looked at once however the stream is chunked.

  /** Returns true when the header block is complete (state changed). */
  private scanHeaders(): boolean {
    const q = this.q;
    const limit = this.maxHeaderBytes;
    while (this.hPos < q.length) {
      const view = q.contiguousAt(this.hPos);
      const base = this.hPos;
      for (let k = 0; k < view.length; k++) {
        const pos = base + k;
        const c = view[k]!;
        switch (this.hState) {
          case Hdr.LineStart:
            if (c === LF) return this.headersDone(pos, pos + 1);
            if (c === CR) {
              this.hState = Hdr.LineCr;
            } else if ((c === SP || c === HT) && this.hLines > 0) {
              this.hColon = -1; // obs-fold continuation (RFC 7230 §3.2.4)
              this.hState = Hdr.Value;
            } else if (TCHAR[c] === 1) {
              this.hState = Hdr.Name;
            } else {
              return this.headersDone(this.hLineStart, this.hLineStart);
            }
            break;
          case Hdr.LineCr:
            if (c === LF) return this.headersDone(this.hLineStart, pos + 1);
            return this.headersDone(this.hLineStart, this.hLineStart);
          case Hdr.Name:
            if (c === COLON) {
              this.hColon = pos;
              this.hState = Hdr.Value;
            } else if (c === SP || c === HT) {
              this.hState = Hdr.NameSpace;
            } else if (TCHAR[c] !== 1) {
              // Quirk (the WV-V series HTTP API V2.40 §4.9.17 event stream): no empty line after the part headers; the
              // body ("Code=VideoMotion; ...") starts at the first line that is not a header field.
              return this.headersDone(this.hLineStart, this.hLineStart);
            }
            break;
          case Hdr.NameSpace:
            if (c === COLON) {
              this.hColon = pos;
              this.hState = Hdr.Value;
            } else if (c !== SP && c !== HT) {
              return this.headersDone(this.hLineStart, this.hLineStart);
            }
            break;
          case Hdr.Value:
            if (c === LF) {
              let end = pos;
              if (end > this.hLineStart && this.byteBefore(view, k, base) === CR) end--;
              this.hMarks.push(this.hLineStart, this.hColon, end);
              this.hLines++;
              if (this.hLines > this.maxHeaders) return this.badHeaders(`more than ${this.maxHeaders} header fields`);
              this.hLineStart = pos + 1;
              this.hColon = -1;
              this.hState = Hdr.LineStart;
            }
            break;
        }
        if (pos >= limit) return this.badHeaders(`part header block over ${limit} bytes`);
      }
      this.hPos = base + view.length;
    }
    return false;
  }

  private byteBefore(view: Buffer, k: number, base: number): number {
    return k > 0 ? view[k - 1]! : this.q.byteAt(base + k - 1);
  }

  private badHeaders(message: string): boolean {
    this.drop('MULTIPART_BAD_HEADERS', message);
    this.st.resyncs++;
    this.state = State.Discard;
    this.scanFrom = 0;
    return true;
  }

  /** Header block is [0, headerEnd); the body starts at bodyStart. */
  private headersDone(headerEnd: number, bodyStart: number): boolean {
    const q = this.q;
    const headers = Object.create(null) as Record<string, string>;
    const marks = this.hMarks;
    if (marks.length > 0) {
      let block = q.contiguousAt(0, headerEnd);
      if (block.length < headerEnd) {
        block = Buffer.allocUnsafe(headerEnd);
        q.copyTo(block, 0, 0, headerEnd);
      }
      let last = '';
      for (let m = 0; m < marks.length; m += 3) {
        const start = marks[m]!;
        const colon = marks[m + 1]!;
        const end = marks[m + 2]!;
        if (colon < 0) {
          if (last !== '') headers[last] = `${headers[last]!} ${block.toString('latin1', start, end).trim()}`;
          continue;
        }
        const name = block.toString('latin1', start, colon).trimEnd().toLowerCase();
        const value = block.toString('latin1', colon + 1, end).trim();
        const prev = headers[name];
        headers[name] = prev === undefined ? value : `${prev}, ${value}`;
        last = name;
      }
    }
    this.headers = headers;
    this.contentType = headers['content-type'] ?? '';
    const cl = headers['content-length'];
    this.contentLength = cl !== undefined && /^\d{1,15}$/.test(cl) ? Number(cl) : -1;
    q.skip(bodyStart);
    this.bodyOffset = q.offset;
    this.scanFrom = 0;
    if (this.contentLength < 0) {
      this.state = State.Scan;
    } else if (this.contentLength > this.maxPartSize) {
      this.drop('MULTIPART_PART_TOO_LARGE', `Content-Length ${this.contentLength} over the ${this.maxPartSize}-byte cap`);
      this.remaining = this.contentLength;
      this.state = State.SkipLength;
    } else {
      this.state = State.BodyLength;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Delimiter recognition.

  /**
   * Searches a delimiter whose boundary token starts at or after `from` (queue index).
   * Yes: dBodyEnd (body end before the delimiter's own [CR]LF), dNext (after the delimiter line),
   * dClosing, dCandidate. More: a candidate at dCandidate needs more bytes. None: sets scanFrom.
   */
  private findDelimiter(from: number, atEnd: boolean): Found {
    const q = this.q;
    const prefix = this.prefix;
    let s = from;
    for (;;) {
      const p = q.indexOf(prefix, s);
      if (p < 0) {
        this.scanFrom = Math.max(s, q.length - prefix.length + 1);
        return Found.None;
      }
      const r = this.verifyToken(p, atEnd);
      if (r === Found.Yes) {
        this.dCandidate = p;
        return Found.Yes;
      }
      if (r === Found.More) {
        this.dCandidate = p;
        this.scanFrom = p;
        return Found.More;
      }
      s = p + 1;
    }
  }

  /** A delimiter whose boundary token starts at p? Looks back for "--" and ahead for the line end. */
  private verifyToken(p: number, atEnd: boolean): Found {
    const q = this.q;
    const tok = this.token;
    if (p + tok.length > q.length) return atEnd ? Found.No : Found.More;
    for (let k = this.prefix.length; k < tok.length; k++) if (q.byteAt(p + k) !== tok[k]) return Found.No;
    // backwards: SP/HT*, "--", extra dashes
    let i = p - 1;
    let pad = 0;
    while (i >= 0 && pad < MAX_PAD) {
      const c = q.byteAt(i);
      if (c !== SP && c !== HT) break;
      i--;
      pad++;
    }
    let dashes = 0;
    while (i >= 0 && dashes < this.maxDashes && q.byteAt(i) === DASH) {
      i--;
      dashes++;
    }
    if (dashes < this.minDashes) return Found.No;
    const dash = i + 1;
    const f = this.lineEnd(p + tok.length, atEnd);
    if (f !== Found.Yes) return f;
    // The delimiter's own line break: [CR]LF before "--", possibly with SP/HT before the dashes.
    let end = dash;
    let j = end;
    for (let n = 0; n < MAX_PAD && j > 0; n++) {
      const c = q.byteAt(j - 1);
      if (c !== SP && c !== HT) break;
      j--;
    }
    if (j > 0 && q.byteAt(j - 1) === LF) {
      end = j - 1;
      if (end > 0 && q.byteAt(end - 1) === CR) end--;
    }
    this.dBodyEnd = end;
    return Found.Yes;
  }

  /** After the token at j: SP/HT* ["--" SP/HT*] [CR] LF. Sets dNext, dClosing. */
  private lineEnd(j: number, atEnd: boolean): Found {
    const q = this.q;
    const len = q.length;
    let closing = false;
    let pad = 0;
    for (;;) {
      if (j >= len) break;
      const c = q.byteAt(j);
      if (c === SP || c === HT) {
        if (++pad > MAX_PAD * 2) return Found.No;
        j++;
        continue;
      }
      if (c === DASH && !closing) {
        if (j + 1 >= len) break;
        if (q.byteAt(j + 1) !== DASH) return Found.No;
        closing = true;
        j += 2;
        continue;
      }
      if (c === CR) {
        if (j + 1 >= len) break;
        if (q.byteAt(j + 1) !== LF) return Found.No;
        j += 2;
      } else if (c === LF) {
        j += 1;
      } else {
        return Found.No;
      }
      this.dNext = j;
      this.dClosing = closing;
      return Found.Yes;
    }
    // Ran out of bytes: at the end of the stream a delimiter without line end still counts.
    if (!atEnd) return Found.More;
    if (j < len) return Found.No; // a lone '-' or CR
    this.dNext = len;
    this.dClosing = closing;
    return Found.Yes;
  }

  /**
   * A delimiter at queue index `at` after a Content-Length body: CR/LF/SP/HT gap (bounded), "--",
   * extra dashes, SP/HT*, boundary, line end. Sets dNext/dClosing.
   */
  private verifyAfter(at: number, atEnd: boolean): Found {
    const q = this.q;
    const len = q.length;
    let i = at;
    let gap = 0;
    while (i < len) {
      const c = q.byteAt(i);
      if (c !== CR && c !== LF && c !== SP && c !== HT) break;
      if (++gap > MAX_GAP) return Found.No;
      i++;
    }
    if (i >= len) {
      if (!atEnd) return Found.More;
      this.dNext = len;
      this.dClosing = false;
      return Found.Yes; // the stream ended right after the body
    }
    let dashes = 0;
    while (i < len && dashes < this.maxDashes && q.byteAt(i) === DASH) {
      i++;
      dashes++;
    }
    if (i >= len) return atEnd ? Found.No : Found.More;
    if (dashes < this.minDashes) return Found.No;
    for (let pad = 0; i < len && pad <= MAX_PAD; pad++) {
      const c = q.byteAt(i);
      if (c !== SP && c !== HT) break;
      i++;
    }
    const tok = this.token;
    for (let k = 0; k < tok.length; k++, i++) {
      if (i >= len) return atEnd ? Found.No : Found.More;
      if (q.byteAt(i) !== tok[k]) return Found.No;
    }
    return this.lineEnd(i, atEnd);
  }
}
