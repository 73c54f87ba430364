/**
 * rtsp:// and rtsps:// URLs (RFC 2326 §3.2, RFC 7826 §4.2) parsed by hand rather than with WHATWG
 * `URL`, which would normalise the paths cameras actually use:
 *
 *   rtsp://admin:admin@10.44.200.8:554//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4
 *   \__/   \_________/ \__________/\_/\____________________________________________________________/
 *  scheme   userinfo       host    port                 path (kept byte for byte: `//`, `[`, `]`, `@`)
 *
 * (the WV-V series HTTP API V2.40 §4.1.3). The authority ends at the first `/` or `?`, so an `@` in the path is never taken
 * as userinfo; inside the authority the LAST `@` ends the userinfo, so an unescaped `@` in a password
 * still works. Query strings are kept (`/cam/realmonitor?channel=1&subtype=0`, the WV-V series HTTP API V2.40 §4.1.1).
 * Credentials are percent-decoded and never part of `requestUrl`.
 */
import { ProtocolError } from '../errors.js';

export interface RtspUrl {
  readonly scheme: 'rtsp' | 'rtsps';
  /** Host without IPv6 brackets. */
  readonly host: string;
  /** Explicit port, else 554 (rtsp) / 322 (rtsps). */
  readonly port: number;
  /** Whether the input named a port. */
  readonly explicitPort: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Path and query exactly as given ('' when absent). */
  readonly path: string;
  /** What goes on the request line: scheme://host[:port]path, no credentials. */
  readonly requestUrl: string;
}

const SCHEME_RE = /^(rtsps?):\/\//i;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray '%' in a password: keep it literally
  }
}

function split(input: string): { scheme: string; userinfo: string | undefined; hostport: string; path: string } | undefined {
  const m = SCHEME_RE.exec(input);
  if (!m) return undefined;
  const rest = input.slice(m[0].length);
  let authEnd = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 0x2f /* '/' */ || c === 0x3f /* '?' */) {
      authEnd = i;
      break;
    }
  }
  const authority = rest.slice(0, authEnd);
  const at = authority.lastIndexOf('@');
  return {
    scheme: m[1]!.toLowerCase(),
    userinfo: at >= 0 ? authority.slice(0, at) : undefined,
    hostport: at >= 0 ? authority.slice(at + 1) : authority,
    path: rest.slice(authEnd),
  };
}

/** Parses an rtsp:// or rtsps:// URL. Throws `INVALID_ARGUMENT` (message never contains the password). */
export function parseRtspUrl(input: string): RtspUrl {
  const s = split(input.trim());
  if (!s) throw new ProtocolError('INVALID_ARGUMENT', 'not an rtsp:// or rtsps:// URL');
  const { hostport, path, userinfo } = s;
  let host: string;
  let portText = '';
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw new ProtocolError('INVALID_ARGUMENT', `bad IPv6 host in ${redactUrl(input)}`);
    host = hostport.slice(1, close);
    const after = hostport.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) throw new ProtocolError('INVALID_ARGUMENT', `bad host in ${redactUrl(input)}`);
      portText = after.slice(1);
    }
  } else {
    const colon = hostport.lastIndexOf(':');
    host = colon >= 0 ? hostport.slice(0, colon) : hostport;
    portText = colon >= 0 ? hostport.slice(colon + 1) : '';
  }
  if (host.length === 0 || /[\s/@]/.test(host)) throw new ProtocolError('INVALID_ARGUMENT', `missing or bad host in ${redactUrl(input)}`);
  const scheme = s.scheme as 'rtsp' | 'rtsps';
  let port = scheme === 'rtsps' ? 322 : 554;
  const explicitPort = portText.length > 0;
  if (explicitPort) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new ProtocolError('INVALID_ARGUMENT', `bad port in ${redactUrl(input)}`);
    }
    port = Number(portText);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    username = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    password = colon >= 0 ? decode(userinfo.slice(colon + 1)) : undefined;
  }
  const hostText = host.includes(':') ? `[${host}]` : host;
  const requestUrl = `${scheme}://${hostText}${explicitPort ? `:${port}` : ''}${path}`;
  return { scheme, host, port, explicitPort, username, password, path, requestUrl };
}

/**
 * The URL with the password replaced by `***` (username kept). Works on unparseable input too, and on
 * anything with a `scheme://user:pass@` authority. Use it for every error, log and CLI line.
 */
export function redactUrl(input: string | RtspUrl): string {
  if (typeof input !== 'string') {
    if (input.username === undefined) return input.requestUrl;
    const user = encodeURIComponent(input.username);
    return input.requestUrl.replace('://', `://${user}${input.password !== undefined ? ':***' : ''}@`);
  }
  const span = userinfoSpan(input);
  if (!span) return input;
  const userinfo = input.slice(span.start, span.end);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return input;
  return input.slice(0, span.start + colon + 1) + '***' + input.slice(span.end);
}

/** After the (optional) scheme and `//`, a host, an optional port, then the end of the authority. */
const HOST_AFTER_AT = /^(?:\[[0-9A-Fa-f:.]*\]?|[A-Za-z0-9._~%-]+)(?::[^/?#@]*)?(?:[/?#]|$)/;

/**
 * Where the userinfo (`user:password`) of a URL-like string lies, tolerant of what users type: leading
 * spaces, no scheme (`admin:pw@host/x`), and passwords with unencoded `/`, `?`, `#` or `@`, which
 * end the authority early for a strict parser (and would then be shown as a host, port or path).
 * The userinfo ends at the LAST `@` that is followed by something shaped like a host (an `@` in a
 * path such as `[0@0]` is not), so the answer errs on the side of hiding more. Internal: used by
 * `redactUrl` and the CLI's scrubber.
 */
export function userinfoSpan(input: string): { start: number; end: number } | undefined {
  const m = /^\s*(?:[a-z][a-z0-9+.-]*:\/\/|\/\/)?/i.exec(input)!;
  const start = m[0].length;
  let end = -1;
  for (let i = input.indexOf('@', start); i >= 0; i = input.indexOf('@', i + 1)) {
    if (HOST_AFTER_AT.test(input.slice(i + 1))) end = i;
  }
  if (end < 0) return undefined;
  // Without '//' the text must look like `user:password@host`, not an e-mail-like path segment.
  if (!m[0].includes('//') && !/^[^\s/@]*:/.test(input.slice(start, end))) return undefined;
  return { start, end };
}

/** The URL without its userinfo (what a request line or Content-Base comparison should use). */
export function stripCredentials(input: string): string {
  const s = split(input);
  if (!s || s.userinfo === undefined) return input;
  const m = SCHEME_RE.exec(input)!;
  return m[0] + s.hostport + s.path;
}

const ABSOLUTE_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Normalises a base URL from Content-Base / Content-Location / the request URL, surviving:
 * - `rtsp://rtsp://host/...` doubled scheme (go2rtc #1852, docs/camera-quirks.md #20): collapsed to one;
 * - a base without scheme, `192.168.1.10:554/live/` (moonfire-nvr #356): `rtsp://` prefixed.
 */
export function normalizeBase(base: string): string {
  let b = base.trim().replace(/^"(.*)"$/, '$1');
  // Quirk: doubled scheme prefix (go2rtc #1852).
  for (;;) {
    const m = /^(rtsps?:\/\/)(rtsps?:\/\/)/i.exec(b);
    if (!m) break;
    b = b.slice(m[1]!.length);
  }
  // Quirk: Content-Base without a scheme (moonfire-nvr #356).
  if (!ABSOLUTE_RE.test(b) && b.length > 0 && !b.startsWith('/')) b = `rtsp://${b}`;
  return b;
}

/**
 * Joins an SDP `a=control:` value onto the base URL (RFC 2326 §C.1.1), the way cameras expect:
 * - `*` or empty: the base itself (aggregate control);
 * - absolute (`rtsp://...`): used as is, after {@link normalizeBase};
 * - `/path`: replaces the base's path (RFC 3986 §5.2 absolute-path reference);
 * - anything else is APPENDED to the whole base with exactly one `/` between — not RFC 3986 "replace
 *   the last segment": Dahua's Content-Base keeps the query and a trailing slash,
 *   `...?channel=1&subtype=0&unicast=true&proto=Onvif/` + `trackID=0` must give
 *   `...proto=Onvif/trackID=0` (retina PR #12, gortsplib #121, docs/camera-quirks.md #2), and a base without
 *   trailing slash (`rtsp://cam/stream` + `track1`) means `rtsp://cam/stream/track1` to every camera
 *   (live555 and FFmpeg join the same way).
 */
export function resolveControl(base: string, control: string | undefined): string {
  const b = normalizeBase(base);
  const c = (control ?? '').trim();
  if (c === '' || c === '*') return b;
  if (ABSOLUTE_RE.test(c)) return normalizeBase(c);
  if (c.startsWith('/')) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i.exec(b);
    return m ? m[0] + c : c;
  }
  return b.endsWith('/') ? b + c : `${b}/${c}`;
}
