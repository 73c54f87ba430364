import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { ChunkedDecoder } from '../../src/http/chunked.js';
import { parseContentLength, type HttpResponseParserOptions } from '../../src/http/response-parser.js';
import { run, type Outcome } from '../support/http-response.js';
import { splitAt } from '../support/prop.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('HttpResponseParser framing (RFC 9112 §6.3)', () => {
  const cases: { name: string; input: string; opts?: HttpResponseParserOptions; eof?: boolean; want: Partial<Outcome> }[] = [
    { name: 'Content-Length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA', eof: false, want: { status: 200, framing: { kind: 'length', length: 5 }, body: 'hello', ended: true } },
    { name: 'Content-Length 0 ends at the head', input: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', eof: false, want: { body: '', ended: true } },
    { name: 'equal values in a list', input: 'HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc', eof: false, want: { framing: { kind: 'length', length: 3 }, body: 'abc', ended: true } },
    { name: 'chunked', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n', eof: false, want: { framing: { kind: 'chunked' }, body: 'abcde', ended: true } },
    { name: 'chunked beats Content-Length', input: 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n', eof: false, want: { framing: { kind: 'chunked' }, body: 'z', ended: true } },
    { name: 'another transfer coding: read to close', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabc', want: { framing: { kind: 'close' }, body: 'abc', ended: true } },
    { name: 'no length: read to close (HTTP/1.0, bare LF)', input: 'HTTP/1.0 200 OK\nContent-Type: text/plain\n\nsome text', want: { framing: { kind: 'close' }, body: 'some text', ended: true } },
    { name: 'read to close not ended before EOF', input: 'HTTP/1.0 200 OK\r\n\r\nabc', eof: false, want: { body: 'abc', ended: false } },
    { name: '204 has no body', input: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello', eof: false, want: { status: 204, framing: { kind: 'none' }, body: '', ended: true } },
    { name: '304 has no body', input: 'HTTP/1.1 304 Not Modified\r\n\r\n', eof: false, want: { framing: { kind: 'none' }, ended: true } },
    { name: 'HEAD has no body', input: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', opts: { method: 'head' }, eof: false, want: { framing: { kind: 'none' }, ended: true } },
    { name: '1xx skipped', input: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', eof: false, want: { status: 200, body: 'ok', ended: true, events: ['head', 'end'] } },
    { name: 'leading blank lines tolerated', input: '\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx', eof: false, want: { body: 'x', ended: true } },
    // The hardening cases: each must fail at the head, never wait for a body that cannot be counted.
    { name: 'Content-Length 2^53', input: 'HTTP/1.1 200 OK\r\nContent-Length: 9007199254740992\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 0 }, events: ['error'] } },
    { name: 'Content-Length abc', input: 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 0 }, events: ['error'] } },
    { name: 'Content-Length -1', input: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 0 }, events: ['error'] } },
    { name: 'Content-Length empty', input: 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 0 }, events: ['error'] } },
    { name: 'two different Content-Lengths', input: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 0 }, events: ['error'] } },
    { name: 'two different values in one line', input: '\r\nHTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n', eof: false, want: { error: { code: 'MSG_BAD_HEADER', offset: 2 }, events: ['error'] } },
    { name: 'declared body over the cap', input: 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n', opts: { maxBodySize: 10 }, eof: false, want: { error: { code: 'MSG_BODY_TOO_LARGE', offset: 0 } } },
    { name: 'streamed body over the cap', input: 'HTTP/1.0 200 OK\r\n\r\n0123456789AB', opts: { maxBodySize: 10 }, eof: false, want: { body: '0123456789', error: { code: 'MSG_BODY_TOO_LARGE', offset: 29 } } },
    { name: 'chunked body over the cap', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n0123456789AB\r\n0\r\n\r\n', opts: { maxBodySize: 10 }, eof: false, want: { error: { code: 'MSG_BODY_TOO_LARGE', offset: 60 }, body: '0123456789' } },
    { name: 'bad chunk size', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', eof: false, want: { error: { code: 'MSG_BAD_CHUNK', offset: 47 } } },
    { name: 'chunk size over 2^53', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000000000\r\n', eof: false, want: { error: { code: 'MSG_BAD_CHUNK', offset: 60 } } },
    { name: 'request line instead of a status line', input: 'GET / HTTP/1.1\r\n\r\n', eof: false, want: { error: { code: 'HTTP_BAD_RESPONSE', offset: 0 } } },
    { name: 'endless interim answers', input: 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(3), opts: { maxInterimHeads: 2 }, eof: false, want: { error: { code: 'HTTP_BAD_RESPONSE', offset: 50 } } },
    { name: 'head over the cap', input: `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(100)}\r\n\r\n`, opts: { maxHeadSize: 64 }, eof: false, want: { error: { code: 'MSG_HEAD_TOO_LARGE', offset: 64 } } },
    { name: 'endless blank lines count against the head cap', input: '\r\n'.repeat(40), opts: { maxHeadSize: 64 }, eof: false, want: { error: { code: 'MSG_HEAD_TOO_LARGE', offset: 64 } } },
    { name: 'too many headers', input: `HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(20)}\r\n`, opts: { maxHeaderCount: 10 }, eof: false, want: { error: { code: 'MSG_TOO_MANY_HEADERS', offset: 0 } } },
    { name: 'EOF before any byte', input: '', want: { error: { code: 'CONNECTION_CLOSED', offset: 0 } } },
    { name: 'EOF inside the head', input: 'HTTP/1.1 200 OK\r\nContent-Le', want: { error: { code: 'TRUNCATED', offset: 27 } } },
    { name: 'EOF inside a Content-Length body', input: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', want: { body: 'abc', error: { code: 'TRUNCATED', offset: 42 }, events: ['head', 'error'] } },
    { name: 'EOF inside a chunked body', input: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', want: { body: 'abc', error: { code: 'TRUNCATED', offset: 55 } } },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const bytes = b(c.input);
      const whole = run([bytes], c.eof ?? true, c.opts);
      expect(whole).toMatchObject(c.want);
      if (c.want.error === undefined) expect(whole.error).toBeUndefined();
      // The same outcome byte by byte: offsets and events do not depend on the chunking.
      const bytewise = run(Array.from(bytes, (x) => Uint8Array.of(x)), c.eof ?? true, c.opts);
      expect(bytewise).toEqual(whole);
    });
  }

  it('ignores input after an error and after the end', () => {
    const bytes = b('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n');
    expect(run(splitAt(bytes, [10, 40, 50])).events).toEqual(['error']);
    expect(run([b('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab'), b('more')]).events).toEqual(['head', 'end']);
  });

  it('parseContentLength', () => {
    expect(parseContentLength([])).toBeUndefined();
    expect(parseContentLength([' 42 '])).toBe(42);
    expect(parseContentLength(['999999999999999'])).toBe(999999999999999);
    for (const bad of [['1e3'], ['0x10'], ['1000000000000000'], ['1', '2'], ['+5'], ['5,']]) expect(parseContentLength(bad)).toHaveProperty('bad');
  });
});

describe('ChunkedDecoder error offsets do not depend on the chunking', () => {
  const inputs: { name: string; input: string; limits?: ConstructorParameters<typeof ChunkedDecoder>[0] }[] = [
    { name: 'size line over the cap (extension)', input: `5;${'e'.repeat(40)}\r\nhello\r\n0\r\n\r\n`, limits: { maxLineBytes: 16 } },
    { name: 'body over the cap in the middle of a chunk', input: '5\r\nhello\r\n8\r\n01234567\r\n0\r\n\r\n', limits: { maxBodyBytes: 9 } },
    { name: 'bad byte after chunk data', input: '3\r\nabcX\r\n' },
  ];
  for (const c of inputs) {
    it(c.name, () => {
      const bytes = b(c.input);
      const offsetUnder = (chunks: Uint8Array[]): number => {
        const d = new ChunkedDecoder({ ...c.limits, offset: 100 });
        try {
          for (const ch of chunks) d.push(ch, () => undefined);
        } catch (e) {
          return (e as ProtocolError).offset;
        }
        return -1;
      };
      const whole = offsetUnder([bytes]);
      expect(whole).toBeGreaterThanOrEqual(100);
      for (let cut = 1; cut < bytes.length; cut++) expect(offsetUnder(splitAt(bytes, [cut]))).toBe(whole);
      expect(offsetUnder(Array.from(bytes, (x) => Uint8Array.of(x)))).toBe(whole);
    });
  }
});
