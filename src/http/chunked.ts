/**
 * Sans-IO decoder of the HTTP/1.1 chunked transfer coding (RFC 9112 §7.1):
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG                      last-chunk = 1*"0" [ chunk-ext ] CRLF
 *
 * Tolerant reader: bare LF for CRLF, spaces before `;ext` or the line end. Bounded: at most 15 hex
 * digits (2^60 > any real body), size/extension lines and the trailer section capped. Data comes out
 * as views into the pushed chunk (no copy): valid as long as the caller keeps that chunk untouched.
 */
import { ProtocolError } from '../errors.js';

const enum St {
  Size,
  Ext,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

export interface ChunkedLimits {
  /** Bytes of one size line including extensions (default 4 KiB). */
  maxLineBytes?: number;
  /** Bytes of the trailer section (default 16 KiB). */
  maxTrailerBytes?: number;
  /** Decoded body bytes (default unlimited: streams). */
  maxBodyBytes?: number;
  /** Absolute stream offset of the first chunked byte, added to error offsets (default 0). */
  offset?: number;
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

export class ChunkedDecoder {
  private st = St.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private line = 0;
  private trailer = 0;
  /** Length of the current trailer line (0 = at a line start). */
  private trailerLine = 0;
  private consumed = 0;
  private body = 0;
  private readonly maxLine: number;
  private readonly maxTrailer: number;
  private readonly maxBody: number;

  constructor(limits: ChunkedLimits = {}) {
    this.maxLine = limits.maxLineBytes ?? 4096;
    this.maxTrailer = limits.maxTrailerBytes ?? 16 * 1024;
    this.maxBody = limits.maxBodyBytes ?? Number.POSITIVE_INFINITY;
    this.consumed = limits.offset ?? 0;
  }

  /** True once the last chunk and the trailer section were read. */
  get done(): boolean {
    return this.st === St.Done;
  }

  /** Decoded body bytes so far. */
  get bodyBytes(): number {
    return this.body;
  }

  /**
   * Decodes `chunk`, handing each run of body bytes to `data` (a view). Returns the index in `chunk`
   * just past the end of the chunked body once it is complete, else -1. Throws `MSG_BAD_CHUNK` or
   * `MSG_BODY_TOO_LARGE`.
   */
  push(chunk: Uint8Array, data: (bytes: Uint8Array) => void): number {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.st) {
        case St.Size: {
          const c = chunk[i]!;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > 15) this.fail('chunk size over 15 hex digits', chunk, i);
            // 2^53 - 1 at most: a larger size cannot be counted exactly (and no camera sends one).
            if (this.size > (Number.MAX_SAFE_INTEGER - v) / 16) this.fail('chunk size over 2^53 - 1', chunk, i);
            this.size = this.size * 16 + v;
            this.line++;
            i++;
          } else if (this.digits > 0 && (c === 0x3b /* ';' */ || c === 0x20 || c === 0x09 || c === 0x0d)) {
            this.st = St.Ext;
          } else if (this.digits > 0 && c === 0x0a /* LF */) {
            i++;
            this.endSizeLine();
          } else {
            this.fail('chunk size is not hexadecimal', chunk, i);
          }
          break;
        }
        case St.Ext: {
          // chunk-ext (RFC 9112 §7.1.1) is ignored; only its length is bounded.
          const lf = chunk.indexOf(0x0a, i);
          const end = lf < 0 ? n : lf;
          if (this.line + (end - i) > this.maxLine) {
            // The offset is the first byte past the cap, wherever the chunk edges fall.
            this.fail(`chunk size line over ${this.maxLine} bytes`, chunk, i + (this.maxLine - this.line));
          }
          this.line += end - i;
          i = end;
          if (lf >= 0) {
            i++;
            this.endSizeLine();
          }
          break;
        }
        case St.Data: {
          const take = Math.min(this.remaining, n - i);
          if (this.body + take > this.maxBody) {
            const fit = this.maxBody - this.body;
            if (fit > 0) data(chunk.subarray(i, i + fit)); // up to the cap whatever the chunking
            const at = i + fit;
            throw new ProtocolError('MSG_BODY_TOO_LARGE', `chunked body over the ${this.maxBody}-byte cap`, { offset: this.consumed + at });
          }
          this.body += take;
          data(chunk.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.st = St.DataCr;
          break;
        }
        case St.DataCr: {
          const c = chunk[i]!;
          if (c === 0x0d) {
            this.st = St.DataLf;
            i++;
          } else if (c === 0x0a) {
            this.st = St.Size;
            i++;
          } else this.fail('chunk data not followed by CRLF', chunk, i);
          break;
        }
        case St.DataLf: {
          if (chunk[i] !== 0x0a) this.fail('chunk data not followed by CRLF', chunk, i);
          i++;
          this.st = St.Size;
          break;
        }
        case St.Trailer: {
          // trailer-section = *( field-line CRLF ), then CRLF: ends at an empty (or lone CR) line.
          const c = chunk[i]!;
          i++;
          if (++this.trailer > this.maxTrailer) this.fail(`trailer section over ${this.maxTrailer} bytes`, chunk, i - 1);
          if (c === 0x0a) {
            if (this.trailerLine === 0) {
              this.st = St.Done;
              this.consumed += i;
              return i;
            }
            this.trailerLine = 0;
          } else if (c !== 0x0d || this.trailerLine > 0) {
            this.trailerLine++;
          }
          break;
        }
        case St.Done:
          this.consumed += i;
          return i;
      }
    }
    this.consumed += n;
    return this.st === St.Done ? n : -1;
  }

  private endSizeLine(): void {
    this.line = 0;
    this.digits = 0;
    if (this.size === 0) {
      this.st = St.Trailer;
      this.trailerLine = 0;
      return;
    }
    this.remaining = this.size;
    this.size = 0;
    this.st = St.Data;
  }

  private fail(message: string, chunk: Uint8Array, at: number): never {
    throw new ProtocolError('MSG_BAD_CHUNK', message, { offset: this.consumed + at, bytes: chunk.subarray(Math.max(0, at - 16), at + 16) });
  }
}
