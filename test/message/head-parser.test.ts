import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { Headers } from '../../src/message/headers.js';
import { HeadEndScanner, HeadParser, classifyStartLine, contentLength, parseHead } from '../../src/message/head-parser.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ProtocolError ? e.code : `non-protocol: ${String(e)}`;
  }
  return undefined;
}

describe('Headers', () => {
  it('looks up case-insensitively, keeps original names and repeated fields in order', () => {
    const h = new Headers();
    h.append('Cseq', '3');
    h.append('WWW-Authenticate', 'Basic realm="a"');
    h.append('www-authenticate', 'Digest realm="b", nonce="n"');
    expect(h.get('CSeq')).toBe('3');
    expect(h.get('WWW-AUTHENTICATE')).toBe('Basic realm="a"');
    expect(h.getAll('WWW-Authenticate')).toEqual(['Basic realm="a"', 'Digest realm="b", nonce="n"']);
    expect(h.has('cseq')).toBe(true);
    expect(h.has('Session')).toBe(false);
    expect([...h.entries()].map(([n]) => n)).toEqual(['Cseq', 'WWW-Authenticate', 'www-authenticate']);
    h.set('cseq', '4');
    expect(h.getAll('CSeq')).toEqual(['4']);
    h.delete('WWW-Authenticate');
    expect(h.size).toBe(1);
  });

  it('builds from a record or pairs', () => {
    expect(new Headers({ CSeq: 1, Accept: 'application/sdp' }).get('accept')).toBe('application/sdp');
    expect(new Headers([['A', '1'], ['a', '2']]).getAll('A')).toEqual(['1', '2']);
  });
});

describe('parseHead', () => {
  it('parses an RTSP response with CRLF', () => {
    const h = parseHead(enc('RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 10\r\n\r\n'));
    expect(h).toMatchObject({ kind: 'response', protocol: 'RTSP/1.0', status: 200, reason: 'OK' });
    expect(h.headers.get('cseq')).toBe('2');
  });

  it('parses the IP Camera Standard API 5.0.0 style HTTP/1.0 with mixed bare LF and CRLF', () => {
    const h = parseHead(enc('HTTP/1.0 200 OK\r\nContent-Type: text/plain\nContent-Length: 4\r\n\n'));
    expect(h).toMatchObject({ kind: 'response', protocol: 'HTTP/1.0', status: 200 });
    expect(h.headers.get('content-type')).toBe('text/plain');
    expect(h.headers.get('content-length')).toBe('4');
  });

  it('parses request lines sent by servers', () => {
    for (const m of ['OPTIONS', 'ANNOUNCE', 'GET_PARAMETER', 'SET_PARAMETER']) {
      const h = parseHead(enc(`${m} * RTSP/1.0\nCseq: 9\n\n`));
      expect(h).toMatchObject({ kind: 'request', method: m, uri: '*', protocol: 'RTSP/1.0' });
      expect(h.headers.get('CSeq')).toBe('9');
    }
  });

  it('tolerates trailing whitespace, a missing reason, folded lines and no-colon garbage lines', () => {
    const h = parseHead(enc('RTSP/1.0 401  \r\nCSeq: 5   \t\r\nWWW-Authenticate: Digest realm="x",\r\n  nonce="y"\r\n\r\n'));
    expect(h).toMatchObject({ status: 401, reason: '' });
    expect(h.headers.get('cseq')).toBe('5');
    expect(h.headers.get('www-authenticate')).toBe('Digest realm="x", nonce="y"');
  });

  it('joins the IP Camera Standard API 5.0.0 unindented wrapped values (Transport:, RTP-Info cut mid-URL)', () => {
    const text =
      'RTSP/1.0 200 OK\nCSeq: 3\nSession: 1\nRTP-Info:\n' +
      'url=rtsp://192.168.0.200/h264/track1;seq=41182;rtptime=1985344790,url=rtsp://192.168.0.200\n' +
      '/h264/track2;seq=55405;rtptime=3572879460\nTransport:\nRTP/AVP;unicast;server_port=6970-6971\n\n';
    const h = parseHead(enc(text));
    expect(h.headers.get('rtp-info')).toBe(
      'url=rtsp://192.168.0.200/h264/track1;seq=41182;rtptime=1985344790,url=rtsp://192.168.0.200/h264/track2;seq=55405;rtptime=3572879460',
    );
    expect(h.headers.get('transport')).toBe('RTP/AVP;unicast;server_port=6970-6971');
    expect(h.headers.get('session')).toBe('1');
  });

  it('skips leading blank lines and decodes values as latin1 byte for byte', () => {
    const bytes = Buffer.concat([enc('\r\n\r\nRTSP/1.0 200 OK\r\nServer: '), Buffer.from([0xe9, 0xff]), enc('\r\n\r\n')]);
    const copy = Buffer.from(bytes);
    const h = parseHead(bytes);
    expect(Buffer.from(h.headers.get('server')!, 'latin1')).toEqual(Buffer.from([0xe9, 0xff]));
    expect(bytes).toEqual(copy); // input not modified
  });

  it('rejects bad start lines and enforces caps', () => {
    expect(codeOf(() => parseHead(enc('HELLO\r\n\r\n')))).toBe('MSG_BAD_START_LINE');
    expect(codeOf(() => parseHead(enc('RTSP/1.0 2000 OK\r\n\r\n')))).toBe('MSG_BAD_START_LINE');
    const many = 'RTSP/1.0 200 OK\r\n' + Array.from({ length: 5 }, (_, i) => `X-${i}: ${i}\r\n`).join('') + '\r\n';
    expect(codeOf(() => parseHead(enc(many), { maxHeaderCount: 4 }))).toBe('MSG_TOO_MANY_HEADERS');
    expect(parseHead(enc(many), { maxHeaderCount: 5 }).headers.size).toBe(5);
    expect(codeOf(() => parseHead(enc(many), { maxHeadSize: 20 }))).toBe('MSG_HEAD_TOO_LARGE');
  });
});

describe('contentLength', () => {
  it('reads, caps and rejects', () => {
    expect(contentLength(new Headers({ 'Content-Length': ' 12 ' }), 100)).toBe(12);
    expect(contentLength(new Headers(), 100)).toBeUndefined();
    expect(contentLength(new Headers([['Content-Length', '5'], ['content-length', '5']]), 100)).toBe(5);
    expect(codeOf(() => contentLength(new Headers({ 'Content-Length': '101' }), 100))).toBe('MSG_BODY_TOO_LARGE');
    expect(codeOf(() => contentLength(new Headers({ 'Content-Length': '-1' }), 100))).toBe('MSG_BAD_HEADER');
    expect(codeOf(() => contentLength(new Headers([['Content-Length', '5'], ['content-length', '6']]), 100))).toBe('MSG_BAD_HEADER');
  });
});

describe('HeadEndScanner', () => {
  it('finds every blank-line form across chunk edges', () => {
    for (const term of ['\r\n\r\n', '\n\n', '\r\n\n', '\n\r\n']) {
      const bytes = enc(`RTSP/1.0 200 OK${term}rest`);
      const want = bytes.length - 4;
      for (let cut = 0; cut <= bytes.length; cut++) {
        const s = new HeadEndScanner();
        const a = s.scan(bytes, 0, cut);
        const got = a >= 0 ? a : s.scan(bytes, cut, bytes.length);
        expect(got, `${JSON.stringify(term)} cut ${cut}`).toBe(want);
      }
    }
  });
});

describe('classifyStartLine', () => {
  const c = (s: string, complete = false): number => classifyStartLine(enc(s), 0, s.length, complete);
  it('decides early', () => {
    expect(c('RTSP/1.0 200 ')).toBe(1);
    expect(c('RTSP/1.0 200', true)).toBe(1);
    expect(c('RTSP/1.0 20')).toBe(0);
    expect(c('RTSP/1.0 20', true)).toBe(-1);
    expect(c('RTSX')).toBe(0); // could still be a method
    expect(c('RTSX/')).toBe(-1);
    expect(c('GET_PARAMETER r')).toBe(1);
    expect(c('GET_PARAMETER')).toBe(0);
    expect(c('get ')).toBe(-1);
    expect(c('\x80\x01')).toBe(-1);
  });
});

describe('HeadParser (single head, HTTP client)', () => {
  it('returns the head and the rest of the completing chunk, under any split', () => {
    const bytes = enc('\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\n\r\nBODY');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new HeadParser();
      const headEnd = bytes.length - 4;
      let r = p.push(bytes.subarray(0, cut));
      expect(r === undefined, `cut ${cut}`).toBe(cut < headEnd);
      const wantRest = r ? 'BODY'.slice(0, cut - headEnd) : 'BODY';
      if (!r) r = p.push(bytes.subarray(cut));
      expect(r!.head).toMatchObject({ kind: 'response', status: 401 });
      expect(r!.headBytes).toBe(headEnd - 2); // leading CRLF is not part of the head
      expect(Buffer.from(r!.rest).toString()).toBe(wantRest);
    }
  });

  it('throws MSG_HEAD_TOO_LARGE and TRUNCATED', () => {
    const p = new HeadParser({ maxHeadSize: 32 });
    expect(codeOf(() => p.push(enc('HTTP/1.1 200 OK\r\nX-Long: ' + 'a'.repeat(40))))).toBe('MSG_HEAD_TOO_LARGE');
    const q = new HeadParser();
    q.push(enc('HTTP/1.1 200 OK\r\n'));
    expect(codeOf(() => q.end())).toBe('TRUNCATED');
  });
});
