import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { Authenticator, pickChallenge } from '../../src/auth/authenticator.js';
import { parseChallenges, parseWwwAuthenticate } from '../../src/auth/challenge.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parses our own Authorization output back into params (independent of the code under test). */
function params(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest /, '').matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
  return out;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ProtocolError ? e.code : 'other';
  }
  return undefined;
}

describe('WWW-Authenticate parsing', () => {
  it('parses the WV-V series HTTP API V2.40 Digest challenge (realm DH_<mac>, stale=FALSE, qop)', () => {
    const [c] = parseChallenges('Digest realm="DH_00408CA5EA04", nonce="000562fdY631973ef04f77a3ede7c1832ff48720ef95ad", stale=FALSE, qop="auth"');
    expect(c).toEqual({
      scheme: 'Digest',
      params: { realm: 'DH_00408CA5EA04', nonce: '000562fdY631973ef04f77a3ede7c1832ff48720ef95ad', stale: 'FALSE', qop: 'auth' },
    });
  });

  it('splits several challenges in one value, unescapes quoted strings', () => {
    const cs = parseChallenges('Basic realm="a b", Digest realm="q\\"x", nonce=abc, algorithm=SHA-256,  qop="auth,auth-int"');
    expect(cs.map((c) => c.scheme)).toEqual(['Basic', 'Digest']);
    expect(cs[1]!.params).toEqual({ realm: 'q"x', nonce: 'abc', algorithm: 'SHA-256', qop: 'auth,auth-int' });
  });

  it('picks the strongest: Digest over Basic (GStreamer sends Basic first), SHA-256 over MD5', () => {
    const gst = parseWwwAuthenticate(['Basic realm="GStreamer"', 'Digest realm="GStreamer", nonce="n1"']);
    expect(pickChallenge(gst)?.scheme).toBe('Digest');
    const both = parseWwwAuthenticate(['Digest realm="r", nonce="a", algorithm=MD5', 'Digest realm="r", nonce="b", algorithm=SHA-256']);
    expect(pickChallenge(both)?.params['nonce']).toBe('b');
    expect(pickChallenge(parseWwwAuthenticate(['Negotiate abc', 'Digest realm="r", nonce="n", algorithm=UNKNOWN']))).toBeUndefined();
  });
});

describe('Authenticator', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth, opaque echoed)', () => {
    const a = new Authenticator({ username: 'Mufasa', password: 'Circle Of Life' }, { cnonce: () => '0a4f113b' });
    a.handleUnauthorized([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    const p = params(a.authorization('GET', '/dir/index.html')!);
    expect(p).toMatchObject({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      response: '6629fae49393a05397450978507c4ef1',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    });
    expect(params(a.authorization('GET', '/dir/index.html')!).nc).toBe('00000002');
  });

  it('matches RFC 7616 §3.9.1 (SHA-256 and MD5)', () => {
    const challenge = (alg: string): string =>
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${alg}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
    const make = (): Authenticator =>
      new Authenticator({ username: 'Mufasa', password: 'Circle of Life' }, { cnonce: () => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' });
    const sha = make();
    sha.handleUnauthorized([challenge('MD5'), challenge('SHA-256')]);
    expect(sha.algorithm).toBe('SHA-256');
    const ps = params(sha.authorization('GET', '/dir/index.html')!);
    expect(ps.response).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(ps.algorithm).toBe('SHA-256');
    const m = make();
    m.handleUnauthorized([challenge('MD5')]);
    expect(params(m.authorization('GET', '/dir/index.html')!).response).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('answers the the WV-V series HTTP API V2.40 challenge per RFC 2617 (response recomputed independently)', () => {
    const nonce = '000562fdY631973ef04f77a3ede7c1832ff48720ef95ad';
    const a = new Authenticator({ username: 'admin', password: 'admin' }, { cnonce: () => '0a4f113b' });
    a.handleUnauthorized([`Digest realm="DH_00408CA5EA04", nonce="${nonce}", stale=FALSE, qop="auth"`]);
    const uri = '/cgi-bin/magicBox.cgi?action=getLanguageCaps';
    const p = params(a.authorization('GET', uri)!);
    const want = md5(`${md5('admin:DH_00408CA5EA04:admin')}:${nonce}:00000001:0a4f113b:auth:${md5(`GET:${uri}`)}`);
    expect(p).toMatchObject({ realm: 'DH_00408CA5EA04', nc: '00000001', cnonce: '0a4f113b', qop: 'auth', uri, response: want });
    expect(p.algorithm).toBeUndefined(); // not echoed when the server did not name it
  });

  it('does RFC 2069 Digest without qop (GStreamer, live555) and MD5-sess', () => {
    const a = new Authenticator({ username: 'u', password: 'p' });
    a.handleUnauthorized(['Digest realm="r", nonce="n"']);
    const p = params(a.authorization('DESCRIBE', 'rtsp://h/s')!);
    expect(p.response).toBe(md5(`${md5('u:r:p')}:n:${md5('DESCRIBE:rtsp://h/s')}`));
    expect(p.nc).toBeUndefined();
    expect(p.qop).toBeUndefined();

    const s = new Authenticator({ username: 'u', password: 'p' }, { cnonce: () => 'cn' });
    s.handleUnauthorized(['Digest realm="r", nonce="n", algorithm=MD5-sess, qop=auth']);
    const ps = params(s.authorization('PLAY', '*')!);
    expect(ps.response).toBe(md5(`${md5(`${md5('u:r:p')}:n:cn`)}:n:00000001:cn:auth:${md5('PLAY:*')}`));
  });

  it('does Basic and sends nothing before a challenge', () => {
    const a = new Authenticator({ username: 'Aladdin', password: 'open sesame' });
    expect(a.authorization('OPTIONS', '*')).toBeUndefined();
    a.handleUnauthorized(['Basic realm="x"']);
    expect(a.authorization('OPTIONS', '*')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('policy: AUTH_REQUIRED, AUTH_UNSUPPORTED, AUTH_FAILED at once, stale=true retries with a new nonce', () => {
    expect(code(() => new Authenticator().handleUnauthorized(['Basic realm="x"']))).toBe('AUTH_REQUIRED');
    const creds = { username: 'u', password: 'hunter2' };
    expect(code(() => new Authenticator(creds).handleUnauthorized(['Negotiate x']))).toBe('AUTH_UNSUPPORTED');

    const a = new Authenticator(creds);
    a.handleUnauthorized(['Digest realm="r", nonce="n1", qop=auth']);
    a.authorization('DESCRIBE', 'rtsp://h/');
    a.handleUnauthorized(['Digest realm="r", nonce="n2", qop=auth, stale=TRUE']); // not a failure
    const p = params(a.authorization('DESCRIBE', 'rtsp://h/')!);
    expect(p.nonce).toBe('n2');
    expect(p.nc).toBe('00000001'); // nc restarts per nonce
    let err: unknown;
    try {
      a.handleUnauthorized(['Digest realm="r", nonce="n3", qop=auth']);
    } catch (e) {
      err = e;
    }
    expect((err as ProtocolError).code).toBe('AUTH_FAILED');
    expect(JSON.stringify(err) + String(err) + inspect(err)).not.toContain('hunter2');

    const b = new Authenticator(creds);
    b.handleUnauthorized(['Basic realm="x"']);
    b.authorization('OPTIONS', '*');
    expect(code(() => b.handleUnauthorized(['Basic realm="x"']))).toBe('AUTH_FAILED');
    b.noteSuccess(); // after a success, a later challenge (e.g. expired nonce) is a fresh start
    expect(code(() => b.handleUnauthorized(['Basic realm="x"']))).toBeUndefined();
  });

  it('bounds stale retries', () => {
    const a = new Authenticator({ username: 'u', password: 'p' }, { maxStaleRetries: 2 });
    a.handleUnauthorized(['Digest realm="r", nonce="0"']);
    for (let i = 1; i <= 2; i++) {
      a.authorization('OPTIONS', '*');
      a.handleUnauthorized([`Digest realm="r", nonce="${i}", stale=true`]);
    }
    a.authorization('OPTIONS', '*');
    expect(code(() => a.handleUnauthorized(['Digest realm="r", nonce="9", stale=true']))).toBe('AUTH_FAILED');
  });

  it('never shows credentials in toString, JSON or inspect', () => {
    const a = new Authenticator({ username: 'u', password: 'hunter2' });
    a.handleUnauthorized(['Digest realm="r", nonce="n"']);
    expect(String(a) + JSON.stringify(a) + inspect(a, { showHidden: true, depth: 5 })).not.toContain('hunter2');
  });
});
