/**
 * http(s):// URLs for the camera HTTP client: credentials taken out (percent-decoded, RFC 3986
 * §3.2.1) and kept apart so they never reach a request line, an error or a log; a redacted form for
 * messages.
 */
import { ProtocolError } from '../errors.js';
import { redactUrl } from '../rtsp/url.js';

export interface HttpUrl {
  scheme: 'http' | 'https';
  /** Without IPv6 brackets. */
  host: string;
  port: number;
  /** `Host` header value (brackets and a non-default port kept). */
  authority: string;
  /** Request target: path + query, as on the request line (RFC 9112 §3.2.1 origin-form). */
  target: string;
  username: string | undefined;
  password: string | undefined;
  /** The URL without credentials: safe for errors and logs. */
  safe: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses an http:// or https:// URL; throws `INVALID_ARGUMENT` (with the URL redacted). */
export function parseHttpUrl(input: string, base?: string): HttpUrl {
  let u: URL;
  try {
    u = base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    throw new ProtocolError('INVALID_ARGUMENT', `not a URL: ${redactUrl(input)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProtocolError('INVALID_ARGUMENT', `not an http(s):// URL: ${redactUrl(input)}`);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host.length === 0) throw new ProtocolError('INVALID_ARGUMENT', `missing host in ${redactUrl(input)}`);
  const port = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
  const username = u.username ? decode(u.username) : undefined;
  const password = u.password ? decode(u.password) : username !== undefined ? '' : undefined;
  const target = (u.pathname || '/') + u.search;
  return { scheme, host, port, authority: u.host, target, username, password, safe: `${scheme}://${u.host}${target}` };
}

/** `http://user:***@host/...` for display; URLs without credentials unchanged. */
export function redactHttpUrl(input: string): string {
  return redactUrl(input);
}
