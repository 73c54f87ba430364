/**
 * Credentials never reach the terminal: every text line the CLI prints passes through a scrubber that
 * knows the passwords given on the command line (in URLs, `--password`), in the forms they can take
 * on the wire and in messages: plain, percent-encoded, and base64 `user:password` (HTTP/RTSP Basic).
 * Commands redact URLs themselves (`redactUrl`); this is the second line of defence.
 */
import { Writable } from 'node:stream';
import { redactUrl, userinfoSpan } from '../rtsp/url.js';

/** The secrets (and their encoded forms) found in the arguments: the passwords of URLs' userinfo. */
export function secretsFromArgs(argv: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of argv) {
    const value = raw.startsWith('--') && raw.includes('=') ? raw.slice(raw.indexOf('=') + 1) : raw;
    const span = userinfoSpan(value);
    if (!span) continue;
    const userinfo = value.slice(span.start, span.end);
    const colon = userinfo.indexOf(':');
    if (colon < 0) continue;
    const user = userinfo.slice(0, colon);
    const pass = userinfo.slice(colon + 1);
    for (const p of new Set([pass, safeDecode(pass)])) {
      if (p.length === 0) continue;
      out.add(p);
      out.add(encodeURIComponent(p));
      for (const u of new Set([user, safeDecode(user)])) out.add(Buffer.from(`${u}:${p}`).toString('base64'));
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces every secret in `text` with `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const s of secrets) if (t.includes(s)) t = t.split(s).join('***');
  return t;
}

/** An argument as it may be shown in an error message: URLs redacted (also inside `--opt=URL`). */
export function shownArg(raw: string): string {
  const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
  return eq > 0 ? `${raw.slice(0, eq + 1)}${redactUrl(raw.slice(eq + 1))}` : redactUrl(raw);
}

/**
 * A text stream that scrubs secrets from strings written to it and passes bytes through unchanged
 * (stdout may carry media: `record -o -`). Keeps `isTTY`/`columns` of the stream it wraps, and
 * forwards the wrapped stream's errors (EPIPE) as its own.
 */
export class ScrubbingStream extends Writable {
  constructor(
    private readonly inner: Writable,
    private readonly secrets: readonly string[],
  ) {
    super({ decodeStrings: false, highWaterMark: 64 * 1024 });
    inner.on('error', (e: Error) => this.destroy(e));
  }

  get isTTY(): boolean {
    return (this.inner as { isTTY?: boolean }).isTTY === true;
  }

  get columns(): number | undefined {
    return (this.inner as { columns?: number }).columns;
  }

  override _write(chunk: string | Uint8Array, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const data = typeof chunk === 'string' && this.secrets.length > 0 ? scrub(chunk, this.secrets) : chunk;
    if (this.inner.destroyed) return cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    if (this.inner.write(data)) return cb();
    const done = (): void => {
      this.inner.off('drain', done);
      this.inner.off('close', done);
      cb();
    };
    this.inner.on('drain', done);
    this.inner.on('close', done);
  }

  override _final(cb: (e?: Error | null) => void): void {
    cb();
  }
}
