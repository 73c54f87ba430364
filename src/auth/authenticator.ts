/**
 * HTTP-style authentication shared by the RTSP and HTTP clients: Basic (RFC 7617) and Digest
 * (RFC 7616, RFC 2617, RFC 2069 without qop).
 *
 *   HA1      = H(user ":" realm ":" password)                  ; algorithm MD5 / SHA-256 / SHA-512-256
 *   HA1-sess = H(HA1 ":" nonce ":" cnonce)                      ; the "-sess" variants
 *   HA2      = H(method ":" uri)            (qop=auth, or no qop)
 *            = H(method ":" uri ":" H(body)) (qop=auth-int)
 *   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   ; with qop (RFC 7616 §3.4.1)
 *            = H(HA1 ":" nonce ":" HA2)                             ; without (RFC 2069; GStreamer, live555)
 *
 * Policy: nothing is sent before the server asks; the strongest offered scheme wins
 * (Digest SHA-512-256 > SHA-256 > MD5(-sess) > Basic; GStreamer lists Basic first, docs/camera-quirks.md #22);
 * a 401 after credentials were sent for the same challenge is `AUTH_FAILED` at once unless it says
 * `stale=true` (RFC 7616 §3.3: new nonce, same credentials). Credentials live in a private field: they
 * never appear in errors, `toString`, `toJSON` or `util.inspect`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { parseWwwAuthenticate, type AuthChallenge } from './challenge.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface AuthenticatorOptions {
  /** Client nonce source (tests pin it); default 16 random hex digits. */
  cnonce?: () => string;
  /** `stale=true` retries allowed in a row before giving up (default 3). */
  maxStaleRetries?: number;
}

type DigestAlgo = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

interface DigestState {
  readonly algorithm: DigestAlgo;
  /** node:crypto hash name */
  readonly hash: string;
  readonly sess: boolean;
  /** Whether the challenge named `algorithm=` (echo it back only then, as RFC 2069 servers expect). */
  readonly algorithmGiven: boolean;
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  readonly qop: 'auth' | 'auth-int' | undefined;
  nc: number;
}

const ALGORITHMS: Record<string, { algorithm: DigestAlgo; hash: string; sess: boolean; rank: number }> = {
  'md5': { algorithm: 'MD5', hash: 'md5', sess: false, rank: 2 },
  'md5-sess': { algorithm: 'MD5-sess', hash: 'md5', sess: true, rank: 2 },
  'sha-256': { algorithm: 'SHA-256', hash: 'sha256', sess: false, rank: 3 },
  'sha-256-sess': { algorithm: 'SHA-256-sess', hash: 'sha256', sess: true, rank: 3 },
  'sha-512-256': { algorithm: 'SHA-512-256', hash: 'sha512-256', sess: false, rank: 4 },
  'sha-512-256-sess': { algorithm: 'SHA-512-256-sess', hash: 'sha512-256', sess: true, rank: 4 },
};

function h(hash: string, s: string | Uint8Array): string {
  return createHash(hash).update(s).digest('hex');
}

/** `"` and `\` escaped for a quoted-string (RFC 9110 §5.6.4). */
function q(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function rank(c: AuthChallenge): number {
  const scheme = c.scheme.toLowerCase();
  if (scheme === 'basic') return 1;
  if (scheme !== 'digest' || c.params['nonce'] === undefined) return 0;
  const a = ALGORITHMS[(c.params['algorithm'] ?? 'MD5').toLowerCase()];
  return a ? a.rank : 0;
}

/** The strongest challenge we can answer, or undefined. */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  let best: AuthChallenge | undefined;
  let bestRank = 0;
  for (const c of challenges) {
    const r = rank(c);
    if (r > bestRank) {
      best = c;
      bestRank = r;
    }
  }
  return best;
}

export class Authenticator {
  readonly #creds: Credentials | undefined;
  readonly #cnonce: () => string;
  readonly #maxStale: number;
  #scheme: 'Basic' | 'Digest' | undefined;
  #realm: string | undefined;
  #digest: DigestState | undefined;
  /** Credentials were sent for the current challenge. */
  #sent = false;
  #staleInRow = 0;

  constructor(credentials?: Credentials, options: AuthenticatorOptions = {}) {
    this.#creds = credentials;
    this.#cnonce = options.cnonce ?? (() => randomBytes(8).toString('hex'));
    this.#maxStale = options.maxStaleRetries ?? 3;
  }

  get hasCredentials(): boolean {
    return this.#creds !== undefined;
  }

  /** `Basic`, `Digest` or undefined before any challenge. */
  get scheme(): 'Basic' | 'Digest' | undefined {
    return this.#scheme;
  }

  /** Digest algorithm in use (`MD5`, `SHA-256`, ...) when Digest. */
  get algorithm(): string | undefined {
    return this.#digest?.algorithm;
  }

  get realm(): string | undefined {
    return this.#realm;
  }

  /**
   * Call with every WWW-Authenticate value of a 401. Returns normally when the request should be sent
   * again with {@link authorization}; throws `AUTH_REQUIRED` (no credentials), `AUTH_UNSUPPORTED` (no
   * usable scheme) or `AUTH_FAILED` (a 401 after our credentials for this challenge, not stale).
   */
  handleUnauthorized(wwwAuthenticate: readonly string[], context: Record<string, string | number> = {}): void {
    const offered = parseWwwAuthenticate(wwwAuthenticate);
    const schemes = [...new Set(offered.map((c) => c.scheme))].join(',');
    if (this.#creds === undefined) {
      throw new ProtocolError('AUTH_REQUIRED', 'the server asks for credentials and none were given', { context: { ...context, schemes } });
    }
    const c = pickChallenge(offered);
    if (!c) {
      throw new ProtocolError('AUTH_UNSUPPORTED', `no usable authentication scheme offered (${schemes || 'none'})`, { context: { ...context, schemes } });
    }
    if (this.#sent) {
      const stale = (c.params['stale'] ?? '').toLowerCase() === 'true';
      const isDigest = c.scheme.toLowerCase() === 'digest';
      if (!(isDigest && stale && this.#staleInRow < this.#maxStale)) {
        throw new ProtocolError('AUTH_FAILED', 'credentials refused', { context: { ...context, scheme: this.#scheme ?? c.scheme } });
      }
      this.#staleInRow++;
    }
    this.#adopt(c);
  }

  /** A 2xx (or any non-401) answer: the credentials work; stale retries count from zero again. */
  noteSuccess(): void {
    this.#staleInRow = 0;
    this.#sent = false;
  }

  /**
   * The Authorization value for a request, or undefined before any challenge (nothing is sent before
   * the server asks). `uri` is the request-URI exactly as on the request line. Each call counts one
   * nonce use (nc) for Digest with qop.
   */
  authorization(method: string, uri: string, body?: Uint8Array | string): string | undefined {
    const creds = this.#creds;
    if (creds === undefined || this.#scheme === undefined) return undefined;
    this.#sent = true;
    if (this.#scheme === 'Basic') {
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
    }
    const d = this.#digest!;
    const H = (s: string | Uint8Array): string => h(d.hash, s);
    let cnonce: string | undefined;
    let ha1 = H(`${creds.username}:${d.realm}:${creds.password}`);
    if (d.qop !== undefined || d.sess) cnonce = this.#cnonce();
    if (d.sess) ha1 = H(`${ha1}:${d.nonce}:${cnonce}`);
    const ha2 = d.qop === 'auth-int' ? H(`${method}:${uri}:${H(body ?? '')}`) : H(`${method}:${uri}`);
    let out = `Digest username=${q(creds.username)}, realm=${q(d.realm)}, nonce=${q(d.nonce)}, uri=${q(uri)}`;
    if (d.algorithmGiven) out += `, algorithm=${d.algorithm}`;
    if (d.qop !== undefined) {
      d.nc++;
      const nc = d.nc.toString(16).padStart(8, '0');
      const response = H(`${ha1}:${d.nonce}:${nc}:${cnonce}:${d.qop}:${ha2}`);
      out += `, response=${q(response)}, qop=${d.qop}, nc=${nc}, cnonce=${q(cnonce!)}`;
    } else {
      out += `, response=${q(H(`${ha1}:${d.nonce}:${ha2}`))}`;
      if (cnonce !== undefined) out += `, cnonce=${q(cnonce)}`;
    }
    if (d.opaque !== undefined) out += `, opaque=${q(d.opaque)}`;
    return out;
  }

  toString(): string {
    return `Authenticator(${this.#scheme ?? 'none'}${this.#realm !== undefined ? ` realm=${this.#realm}` : ''})`;
  }

  toJSON(): { scheme: string | undefined; realm: string | undefined; algorithm: string | undefined } {
    return { scheme: this.#scheme, realm: this.#realm, algorithm: this.algorithm };
  }

  #adopt(c: AuthChallenge): void {
    this.#sent = false;
    this.#realm = c.params['realm'];
    if (c.scheme.toLowerCase() === 'basic') {
      this.#scheme = 'Basic';
      this.#digest = undefined;
      return;
    }
    const a = ALGORITHMS[(c.params['algorithm'] ?? 'MD5').toLowerCase()]!;
    const qops = (c.params['qop'] ?? '').split(',').map((s) => s.trim().toLowerCase());
    const qop = qops.includes('auth') ? 'auth' : qops.includes('auth-int') ? 'auth-int' : undefined;
    this.#scheme = 'Digest';
    this.#digest = {
      algorithm: a.algorithm,
      hash: a.hash,
      sess: a.sess,
      algorithmGiven: c.params['algorithm'] !== undefined,
      realm: c.params['realm'] ?? '',
      nonce: c.params['nonce']!,
      opaque: c.params['opaque'],
      qop,
      nc: 0,
    };
  }
}
