/**
 * Server side of HTTP authentication for the virtual cameras (RTSP and HTTP): the challenges a
 * camera sends with its 401 and the check of the client's Authorization value.
 *
 *   Basic   (RFC 7617)  Authorization: Basic base64(user ":" password)
 *   Digest  (RFC 7616 §3.4.1, MD5)
 *     HA1 = MD5(user ":" realm ":" password)      HA2 = MD5(method ":" uri)
 *     qop=auth:  response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   (the WV-V series HTTP API V2.40 §3.5)
 *     no qop:    response = MD5(HA1 ":" nonce ":" HA2)                              (RFC 2069, GStreamer)
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseWwwAuthenticate } from '../auth/challenge.js';

/** 'digest' = qop=auth (the WV-V series HTTP API V2.40), 'digest-noqop' (GStreamer), 'both' = Basic then Digest without qop (docs/camera-quirks.md #22). */
export type AuthMode = 'none' | 'basic' | 'digest' | 'digest-noqop' | 'both';

export interface DigestServerOptions {
  mode: AuthMode;
  username: string;
  password: string;
  realm: string;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export class DigestServer {
  readonly options: DigestServerOptions;
  /** The current server nonce; {@link rotateNonce} makes the old one stale. */
  nonce = randomBytes(16).toString('hex');
  private staleNonces = new Set<string>();

  constructor(options: DigestServerOptions) {
    this.options = options;
  }

  /** Issues a new nonce: answers to the old one are then refused with `stale=true`. */
  rotateNonce(): void {
    this.staleNonces.add(this.nonce);
    this.nonce = randomBytes(16).toString('hex');
  }

  /** WWW-Authenticate values for a 401, in the order the camera sends them. */
  challenges(stale = false): string[] {
    const { mode, realm } = this.options;
    const out: string[] = [];
    if (mode === 'basic' || mode === 'both') out.push(`Basic realm="${realm}"`);
    if (mode === 'digest') out.push(`Digest realm="${realm}", qop="auth", nonce="${this.nonce}", opaque="", stale=${stale ? 'TRUE' : 'FALSE'}`);
    if (mode === 'digest-noqop' || mode === 'both') out.push(`Digest realm="${realm}", nonce="${this.nonce}"${stale ? ', stale=TRUE' : ''}`);
    return out;
  }

  /**
   * 'ok', 'stale' (a correct answer to a rotated nonce: challenge again with stale=true) or 'refused'.
   */
  check(method: string, authorization: string | undefined): 'ok' | 'stale' | 'refused' {
    const { mode, username, password, realm } = this.options;
    if (mode === 'none') return 'ok';
    if (!authorization) return 'refused';
    if (/^basic /i.test(authorization)) {
      if (mode !== 'basic' && mode !== 'both') return 'refused';
      return authorization.slice(6).trim() === Buffer.from(`${username}:${password}`).toString('base64') ? 'ok' : 'refused';
    }
    const c = parseWwwAuthenticate([authorization])[0];
    if (!c || c.scheme.toLowerCase() !== 'digest' || mode === 'basic') return 'refused';
    const p = c.params;
    const nonce = p['nonce'] ?? '';
    if (p['username'] !== username || p['realm'] !== realm) return 'refused';
    if (mode === 'digest' && !p['qop']) return 'refused';
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`${method}:${p['uri'] ?? ''}`);
    const expected = p['qop'] ? md5(`${ha1}:${nonce}:${p['nc'] ?? ''}:${p['cnonce'] ?? ''}:${p['qop']}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    if (p['response'] !== expected) return 'refused';
    if (nonce === this.nonce) return 'ok';
    return this.staleNonces.has(nonce) ? 'stale' : 'refused';
  }
}
