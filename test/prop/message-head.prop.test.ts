import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { HeadParser, parseHead } from '../../src/message/head-parser.js';
import { PROP_RUNS, splitAt, PROP_TIMEOUT, assertProp } from '../support/prop.js';

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#'.split(''));
const headerName = fc.stringOf(tokenChar, { minLength: 1, maxLength: 16 });
/** Printable latin1 value without CR/LF; surrounding whitespace is not part of a value. */
const headerValue = fc
  .stringOf(fc.constantFrom(...' abcXYZ019=;,:"/\\?&@[]\t~\u00e9\u00ff'.split('')), { maxLength: 30 })
  .map((s) => s.trim());
const eol = fc.constantFrom('\r\n', '\n');

const head = fc.record({
  status: fc.integer({ min: 100, max: 999 }),
  reason: fc.constantFrom('OK', 'Unauthorized', '', 'Session Not Found'),
  proto: fc.constantFrom('RTSP/1.0', 'HTTP/1.0', 'HTTP/1.1'),
  headers: fc.array(fc.tuple(headerName, headerValue, eol, fc.constantFrom('', ' ', '  \t')), { maxLength: 20 }),
  startEol: eol,
  endEol: eol,
});

type Head = typeof head extends fc.Arbitrary<infer T> ? T : never;

function build(h: Head): Buffer {
  let s = `${h.proto} ${h.status}${h.reason ? ` ${h.reason}` : ''}${h.startEol}`;
  for (const [n, v, e, trail] of h.headers) s += `${n}:${v.length ? ' ' : ''}${v}${trail}${e}`;
  return Buffer.from(s + h.endEol, 'latin1');
}

describe('message head properties', { timeout: PROP_TIMEOUT }, () => {
  it('build -> parse round trips (mixed line ends, trailing whitespace, repeated names)', async () => {
    await assertProp(
      fc.property(head, (h) => {
        const parsed = parseHead(build(h));
        expect(parsed).toMatchObject({ kind: 'response', status: h.status, protocol: h.proto, reason: h.reason });
        expect(parsed.headers.toJSON()).toEqual(h.headers.map(([n, v]) => [n, v]));
        for (const [n] of h.headers) expect(parsed.headers.getAll(n.toUpperCase())).toEqual(h.headers.filter(([m]) => m.toLowerCase() === n.toLowerCase()).map(([, v]) => v));
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('HeadParser gives the same head and rest under any chunking (incl. 1-byte)', async () => {
    await assertProp(
      fc.property(head, fc.uint8Array({ maxLength: 20 }), fc.array(fc.nat(600), { maxLength: 8 }), fc.boolean(), (h, rest, cuts, bytewise) => {
        const bytes = Buffer.concat([build(h), rest]);
        const chunks = bytewise ? Array.from(bytes, (b) => Uint8Array.of(b)) : splitAt(bytes, cuts);
        const p = new HeadParser();
        let got: ReturnType<HeadParser['push']>;
        const after: Buffer[] = [];
        for (const c of chunks) {
          if (got) after.push(Buffer.from(c));
          else if ((got = p.push(c))) after.push(Buffer.from(got.rest));
        }
        expect(got).toBeDefined();
        expect(got!.head.headers.toJSON()).toEqual(parseHead(build(h)).headers.toJSON());
        expect(Buffer.concat(after)).toEqual(Buffer.from(rest));
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random bytes give a head or a ProtocolError, nothing else', async () => {
    await assertProp(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          head.chain((h) => fc.tuple(fc.constant(build(h)), fc.nat(200), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
            const m = Buffer.from(b);
            if (m.length) m[i % m.length] = v;
            return m;
          })),
        ),
        (bytes) => {
          try {
            parseHead(bytes, { maxHeaderCount: 8, maxHeadSize: 256 });
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
          const p = new HeadParser({ maxHeaderCount: 8, maxHeadSize: 256 });
          try {
            for (const c of splitAt(bytes, [7, 50])) if (p.push(c)) break;
            p.end();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });
});
