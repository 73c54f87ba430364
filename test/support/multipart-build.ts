/**
 * Test-only multipart/x-mixed-replace writer: the strict form (RFC 2046 §5.1.1) and the camera
 * variants the parser must read (the WV-V series HTTP API V2.40 event stream, bare LF, no CRLF before the delimiter,
 * missing or wrong Content-Length, preamble, open or closed ending).
 */
export type DelimiterStyle =
  | 'standard' // CRLF "--b" CRLF ... CRLF "--b--"
  | 'seed003' // "-- b \r\n" lines, body followed by "\r\n\r\n" (the WV-V series HTTP API V2.40 §4.9.17)
  | 'lf' // bare LF everywhere
  | 'nocrlf'; // body directly followed by "--b\r\n" (no CRLF before the delimiter)

export type LengthMode = 'exact' | 'none' | 'short' | 'long';

export interface BuildPart {
  body: Uint8Array;
  /** Extra header fields written before Content-Length (name, value). */
  headers?: Array<[string, string]>;
  /** Overrides the stream's length mode for this part. */
  length?: LengthMode;
  /** Bytes off for 'short'/'long' (default 3). */
  lengthError?: number;
}

export interface BuildOptions {
  boundary: string;
  style?: DelimiterStyle;
  length?: LengthMode;
  /** Write the empty line after the headers (the WV-V series HTTP API V2.40 omits it). Default true. */
  blankLine?: boolean;
  preamble?: string | Uint8Array;
  /** 'close': "--b--"; 'open': a final delimiter and nothing after it; 'none': the last part unterminated. */
  ending?: 'close' | 'open' | 'none';
  /** Spelling of the Content-Length field name (cameras vary the case). */
  lengthName?: string;
}

function bytesOf(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
}

export function buildMultipart(parts: BuildPart[], opts: BuildOptions): Buffer {
  const style = opts.style ?? 'standard';
  const eol = style === 'lf' ? '\n' : '\r\n';
  const delim = style === 'seed003' ? `-- ${opts.boundary} ` : `--${opts.boundary}`;
  const out: Uint8Array[] = [];
  if (opts.preamble !== undefined) out.push(bytesOf(opts.preamble));
  parts.forEach((p, i) => {
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const lead = i === 0 || style === 'nocrlf' ? '' : style === 'seed003' ? '\r\n\r\n' : eol;
    let head = `${lead}${delim}${eol}`;
    for (const [n, v] of p.headers ?? []) head += `${n}: ${v}${eol}`;
    const mode = p.length ?? opts.length ?? 'exact';
    const err = p.lengthError ?? 3;
    const name = opts.lengthName ?? 'Content-Length';
    if (mode === 'exact') head += `${name}: ${p.body.length}${eol}`;
    if (mode === 'short') head += `${name}: ${Math.max(0, p.body.length - err)}${eol}`;
    if (mode === 'long') head += `${name}: ${p.body.length + err}${eol}`;
    if (opts.blankLine ?? true) head += eol;
    out.push(Buffer.from(head, 'latin1'), p.body);
  });
  const ending = opts.ending ?? 'close';
  const lead = style === 'nocrlf' ? '' : style === 'seed003' ? '\r\n\r\n' : eol;
  if (ending === 'close') out.push(Buffer.from(`${lead}${delim}--${eol}`, 'latin1'));
  if (ending === 'open') out.push(Buffer.from(`${lead}${delim}${eol}`, 'latin1'));
  return Buffer.concat(out);
}
