/**
 * WWW-Authenticate parsing (RFC 9110 §11.6.1, §11.2):
 *
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *
 * One header value may hold several challenges (`Basic realm="a", Digest realm="b", nonce="n"`), and a
 * 401 may carry several headers (GStreamer: Basic first, then Digest; docs/camera-quirks.md #22). Tolerant:
 * unquoted values with spaces run to the next comma, parameter names are case-insensitive, a
 * parameter without `=` is ignored.
 */

export interface AuthChallenge {
  /** As written (`Digest`, `basic`, ...). Compare case-insensitively. */
  readonly scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>;
}

const isTokenChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || '!#$%&\'*+-.^_`|~'.includes(String.fromCharCode(c));

/** Parses every challenge in one header value. */
export function parseChallenges(value: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const s = value;
  const n = s.length;
  let i = 0;
  let cur: { scheme: string; params: Record<string, string> } | undefined;
  const ws = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  while (i < n) {
    ws();
    if (i >= n) break;
    const t0 = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    const token = s.slice(t0, i);
    if (token.length === 0) {
      i++; // stray character
      continue;
    }
    let j = i;
    while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] === '=' && cur) {
      // auth-param (a token68 `abc==` directly after a scheme is also taken as param-less here)
      i = j + 1;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      let v = '';
      if (s[i] === '"') {
        i++;
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n) i++;
          v += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const v0 = i;
        while (i < n && s[i] !== ',') i++;
        v = s.slice(v0, i).trim();
      }
      const key = token.toLowerCase();
      if (!(key in cur.params)) cur.params[key] = v;
      continue;
    }
    if (s[j] === '=') {
      // `=` before any scheme: skip to the next comma
      while (i < n && s[i] !== ',') i++;
      continue;
    }
    cur = { scheme: token, params: {} };
    out.push(cur);
  }
  return out;
}

/** All challenges of all WWW-Authenticate values, in order. */
export function parseWwwAuthenticate(values: readonly string[]): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const v of values) out.push(...parseChallenges(v));
  return out;
}
