import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../../src/rtsp/encode.js';
import { RtspStreamParser, type RtspParserOptions } from '../../src/rtsp/rtsp-parser.js';
import { PROP_RUNS, splitAt, PROP_TIMEOUT, assertProp } from '../support/prop.js';

type Unit =
  | { kind: 'frame'; channel: number; payload: Uint8Array }
  | { kind: 'response'; status: number; cseq: number; headers: Array<[string, string]>; body: Uint8Array }
  | { kind: 'request'; method: string; cseq: number; headers: Array<[string, string]>; body: Uint8Array };

const name = fc.constantFrom('Session', 'Transport', 'X-Thing', 'Server', 'rtp-info', 'Content-Type', 'WWW-Authenticate');
const value = fc.stringOf(fc.constantFrom(...'abc XYZ019=;,:"/?&@$'.split('')), { maxLength: 24 }).map((s) => s.trim());
const headers = fc.array(fc.tuple(name, value), { maxLength: 6 });
const body = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 200 }));

const unit: fc.Arbitrary<Unit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('frame' as const), channel: fc.nat(255), payload: fc.uint8Array({ maxLength: 400 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('response' as const), status: fc.integer({ min: 100, max: 599 }), cseq: fc.nat(1e6), headers, body }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      method: fc.constantFrom('ANNOUNCE', 'GET_PARAMETER', 'SET_PARAMETER', 'OPTIONS', 'REDIRECT'),
      cseq: fc.nat(1e6),
      headers,
      body,
    }),
  },
);

function encode(u: Unit): Buffer {
  if (u.kind === 'frame') return encodeInterleaved(u.channel, u.payload);
  const h: Array<[string, string]> = [['CSeq', String(u.cseq)], ...u.headers];
  return u.kind === 'response' ? encodeResponse(u.status, 'Reason', h, u.body) : encodeRequest(u.method, 'rtsp://cam/x?a=1', h, u.body);
}

/** What the parser should report for a unit: a stable string form. */
function expected(u: Unit): string {
  if (u.kind === 'frame') return `F${u.channel}:${Buffer.from(u.payload).toString('hex')}`;
  const hs = [['CSeq', String(u.cseq)], ...u.headers, ...(u.body.length ? [['Content-Length', String(u.body.length)]] : [])];
  const start = u.kind === 'response' ? `R${u.status}` : `Q${u.method}`;
  return `${start}|${JSON.stringify(hs)}|${Buffer.from(u.body).toString('hex')}`;
}

interface Out {
  events: string[];
  errors: ProtocolError[];
  maxPayload: number;
}

function parse(chunks: Uint8Array[], opts?: RtspParserOptions): Out {
  const out: Out = { events: [], errors: [], maxPayload: 0 };
  const p = new RtspStreamParser(
    {
      message: (m) => {
        const start = m.head.kind === 'response' ? `R${m.head.status}` : `Q${m.head.method}`;
        out.events.push(`${start}|${JSON.stringify(m.head.headers.toJSON())}|${Buffer.from(m.body).toString('hex')}`);
        out.maxPayload = Math.max(out.maxPayload, m.body.length);
      },
      interleaved: (ch, payload) => {
        out.events.push(`F${ch}:${Buffer.from(payload).toString('hex')}`);
        out.maxPayload = Math.max(out.maxPayload, payload.length);
      },
      error: (e) => out.errors.push(e),
    },
    opts,
  );
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

/**
 * The same parse through the allocation-free `interleavedRange` sink. Each range is read only after
 * `push()` returns and before the next push: exactly the lifetime the parser promises ("valid until
 * the next push"), so a reused split-frame buffer overwritten too early would show as different bytes.
 */
function parseRanges(chunks: Uint8Array[]): string[] {
  const events: string[] = [];
  let held: Array<{ ch: number; buf: Uint8Array; start: number; end: number; at: number }> = [];
  const p = new RtspStreamParser({
    message: (m) => {
      const start = m.head.kind === 'response' ? `R${m.head.status}` : `Q${m.head.method}`;
      events.push(`${start}|${JSON.stringify(m.head.headers.toJSON())}|${Buffer.from(m.body).toString('hex')}`);
    },
    interleaved: (ch, payload) => events.push(`F${ch}:${Buffer.from(payload).toString('hex')}`),
    interleavedRange: (ch, buf, start, end) => {
      held.push({ ch, buf, start, end, at: events.length });
      events.push('');
    },
    error: () => undefined,
  });
  const settle = (): void => {
    for (const h of held) events[h.at] = `F${h.ch}:${Buffer.from(h.buf.subarray(h.start, h.end)).toString('hex')}`;
    held = [];
  };
  for (const c of chunks) {
    p.push(c);
    settle();
  }
  p.end();
  settle();
  return events;
}

describe('RtspStreamParser properties', { timeout: PROP_TIMEOUT }, () => {
  it('build -> parse round trip under any chunking: frames mixed with responses and server requests', async () => {
    await assertProp(
      fc.property(fc.array(unit, { maxLength: 12 }), fc.array(fc.nat(3000), { maxLength: 16 }), (units, cuts) => {
        const bytes = Buffer.concat(units.map(encode));
        const copy = Buffer.from(bytes);
        const out = parse(splitAt(bytes, cuts));
        expect(out.errors).toEqual([]);
        expect(out.events).toEqual(units.map(expected));
        expect(bytes).toEqual(copy);
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('the interleavedRange sink gives the same units, each range intact until the next push', async () => {
    await assertProp(
      fc.property(fc.array(unit, { maxLength: 12 }), fc.array(fc.nat(3000), { maxLength: 16 }), (units, cuts) => {
        const bytes = Buffer.concat(units.map(encode));
        expect(parseRanges(splitAt(bytes, cuts))).toEqual(units.map(expected));
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('1-byte chunks give exactly the whole-buffer output', async () => {
    await assertProp(
      fc.property(fc.array(unit, { maxLength: 5 }), (units) => {
        const bytes = Buffer.concat(units.map(encode));
        expect(parse(Array.from(bytes, (b) => Uint8Array.of(b))).events).toEqual(parse([bytes]).events);
      }),
      { numRuns: Math.max(10, PROP_RUNS >> 2) },
    );
  });

  it('garbage between units is reported as RTSP_RESYNC and every unit after it is still found', async () => {
    // Garbage without '$', 'R' or CR/LF cannot be mistaken for a unit start.
    const junk = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((g) => g.map((b) => (b === 0x24 || b === 0x52 || b === 0x0a || b === 0x0d || (b >= 0x41 && b <= 0x5a) ? 0x7e : b)));
    await assertProp(
      // Resync targets are '$' and 'RTSP/' (a server request right after garbage is skipped too).
      fc.property(fc.array(fc.tuple(junk, unit.filter((u) => u.kind !== 'request')), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(2000), { maxLength: 8 }), (pairs, cuts) => {
        const bytes = Buffer.concat(pairs.flatMap(([g, u]) => [Buffer.from(g), encode(u)]));
        const out = parse(splitAt(bytes, cuts));
        expect(out.events).toEqual(pairs.map(([, u]) => expected(u)));
        expect(out.errors.map((e) => e.code)).toEqual(pairs.map(() => 'RTSP_RESYNC'));
        expect(out.errors.map((e) => e.context['skipped'])).toEqual(pairs.map(([g]) => g.length));
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random and mutated bytes: only ProtocolErrors, terminates, outputs bounded, same under chunking', async () => {
    const opts: RtspParserOptions = { maxHeadSize: 512, maxBodySize: 256, maxInterleavedSize: 300, maxHeaderCount: 8 };
    const mutated = fc
      .tuple(fc.array(unit, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }))
      .map(([units, muts]) => {
        const b = Buffer.concat(units.map(encode));
        for (const [i, v] of muts) if (b.length) b[i % b.length] = v;
        return b;
      });
    await assertProp(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 800 }), mutated), fc.array(fc.nat(1000), { maxLength: 6 }), (bytes, cuts) => {
        const whole = parse([bytes], opts);
        for (const e of whole.errors) expect(e).toBeInstanceOf(ProtocolError);
        expect(whole.maxPayload).toBeLessThanOrEqual(300);
        const split = parse(splitAt(bytes, cuts), opts);
        expect(split.events).toEqual(whole.events);
        expect(split.errors.map((e) => [e.code, e.offset])).toEqual(whole.errors.map((e) => [e.code, e.offset]));
      }),
      { numRuns: PROP_RUNS },
    );
  });
});
