import { describe, expect, it } from 'vitest';
import { StreamRedactor, redactText, secretForms } from '../../src/capture/redact.js';

function run(kind: 'rtsp' | 'http', chunks: (string | Uint8Array)[], secrets: string[] = []): { out: string; redactions: number } {
  const r = new StreamRedactor(kind, { secrets });
  let out = '';
  const emit = (b: Uint8Array, s: number, e: number): void => {
    out += Buffer.from(b.subarray(s, e)).toString('latin1');
  };
  for (const c of chunks) r.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c, emit);
  r.flush(emit);
  return { out, redactions: r.redactions };
}

/** Every split of `input` into two chunks gives the same output as one chunk. */
function everySplit(kind: 'rtsp' | 'http', input: string, secrets: string[] = []): string {
  const whole = run(kind, [input], secrets).out;
  for (let i = 1; i < input.length; i++) expect(run(kind, [input.slice(0, i), input.slice(i)], secrets).out).toBe(whole);
  return whole;
}

const PASSWORD = 'p@ss:w0rd';
const BASIC = Buffer.from(`admin:${PASSWORD}`).toString('base64');

describe('StreamRedactor', () => {
  it('RTSP request: Authorization value (Basic and Digest) and URL user information removed, at every chunk split', () => {
    const req =
      `DESCRIBE rtsp://admin:${encodeURIComponent(PASSWORD)}@cam/live RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic ${BASIC}\r\n\r\n` +
      `SETUP rtsp://cam/live/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nauthorization: Digest username="admin", realm="r", nonce="n", uri="rtsp://cam/live", response="0123456789abcdef"\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n`;
    const out = everySplit('rtsp', req);
    expect(out).toBe(
      'DESCRIBE rtsp://cam/live RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic [redacted]\r\n\r\n' +
        'SETUP rtsp://cam/live/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nauthorization: Digest [redacted]\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n',
    );
  });

  it('interleaved frames pass through untouched even when they contain header-like text', () => {
    const payload = 'Authorization: Basic abc\r\n\r\n rtsp://u:p@x/';
    const frame = `$\x01${String.fromCharCode(0, payload.length)}${payload}`;
    const input = `RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n${frame}${frame}RTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n`;
    expect(everySplit('rtsp', input)).toBe(input);
  });

  it('an RTSP body (SDP) with user information is rewritten and its Content-Length follows', () => {
    const sdp = 'v=0\r\ns=x\r\na=control:rtsp://admin:secret@10.0.0.2/live/\r\nm=video 0 RTP/AVP 96\r\n';
    const msg = `RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Base: rtsp://admin:secret@10.0.0.2/live/\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}$\x00\x00\x02ab`;
    const out = everySplit('rtsp', msg);
    const fixed = sdp.replace('admin:secret@', '');
    expect(out).toBe(`RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Base: rtsp://10.0.0.2/live/\r\nContent-Length: ${fixed.length}\r\n\r\n${fixed}$\x00\x00\x02ab`);
  });

  it('HTTP: request Authorization and password query parameters go; the streaming response body is never touched', () => {
    const req = `GET /cgi-bin/mjpg/video.cgi?channel=1&loginuse=admin&loginpas=${PASSWORD}&x=1 HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic ${BASIC}\r\n\r\n`;
    expect(everySplit('http', req)).toBe('GET /cgi-bin/mjpg/video.cgi?channel=1&loginuse=admin&loginpas=[redacted]&x=1 HTTP/1.1\r\nHost: cam\r\nAuthorization: Basic [redacted]\r\n\r\n');
    const res = 'HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAuthorization: Basic zzz\r\n';
    expect(everySplit('http', res)).toBe(res);
  });

  it('RTSP tunnelled over HTTP: the base64 POST body is decoded, redacted as RTSP and encoded again', () => {
    const inner1 = `DESCRIBE rtsp://cam/a RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic ${BASIC}\r\n\r\n`;
    const inner2 = `PLAY rtsp://cam/a RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic ${BASIC}\r\n\r\n`;
    const post =
      'POST /a HTTP/1.0\r\nx-sessioncookie: abc\r\nContent-Type: application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\n' +
      Buffer.from(inner1).toString('base64') +
      Buffer.from(inner2).toString('base64');
    const out = everySplit('http', post);
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    const decoded = Buffer.from(body, 'base64').toString('latin1');
    expect(decoded).toBe(inner1.replace(BASIC, '[redacted]') + inner2.replace(BASIC, '[redacted]'));
    expect(out).not.toContain(BASIC);
  });

  it('configured secrets are scrubbed in every form; a head over the cap is still redacted', () => {
    const forms = secretForms('admin', PASSWORD);
    expect(forms).toEqual([PASSWORD, encodeURIComponent(PASSWORD), BASIC]);
    const msg = `GET_PARAMETER rtsp://cam/ RTSP/1.0\r\nX-Odd: ${encodeURIComponent(PASSWORD)}\r\n\r\n`;
    expect(run('rtsp', [msg], forms).out).toBe('GET_PARAMETER rtsp://cam/ RTSP/1.0\r\nX-Odd: [redacted]\r\n\r\n');
    const r = new StreamRedactor('rtsp', { maxHead: 64 });
    let out = '';
    r.push(Buffer.from(`OPTIONS rtsp://cam/ RTSP/1.0\r\nAuthorization: Basic ${BASIC}\r\nX-Pad: ${'y'.repeat(100)}`), (b, s, e) => (out += Buffer.from(b.subarray(s, e)).toString('latin1')));
    r.flush((b, s, e) => (out += Buffer.from(b.subarray(s, e)).toString('latin1')));
    expect(out).not.toContain(BASIC);
  });

  it('redactText keeps a path @ (RTSP file URLs) and removes only user information', () => {
    expect(redactText('PLAY rtsp://u:p@cam/file/2024@x.dav RTSP/1.0')).toBe('PLAY rtsp://cam/file/2024@x.dav RTSP/1.0');
    expect(redactText('rtsp://admin:p@ss@cam:554/a')).toBe('rtsp://cam:554/a');
  });
});
