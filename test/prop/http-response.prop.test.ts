import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROP_RUNS, splitAt, PROP_TIMEOUT, assertProp } from '../support/prop.js';
import { run } from '../support/http-response.js';

const eol = fc.constantFrom('\r\n', '\n');
const bodyBytes = fc.uint8Array({ maxLength: 300 });

/** A response as a camera might send it: any framing, mixed line ends, chunk extensions, trailers. */
const response = fc
  .record({
    proto: fc.constantFrom('HTTP/1.0', 'HTTP/1.1'),
    status: fc.constantFrom(200, 204, 206, 304, 401, 404, 500),
    interim: fc.boolean(),
    framing: fc.constantFrom('length', 'chunked', 'close', 'list'),
    body: bodyBytes,
    pieces: fc.array(fc.nat(300), { maxLength: 6 }),
    ext: fc.constantFrom('', ';a=b', ' ; x'),
    trailer: fc.constantFrom('', 'X-T: 1\r\n'),
    leading: fc.constantFrom('', '\r\n', '\n\r\n'),
    eol,
    extra: fc.uint8Array({ maxLength: 20 }),
  })
  .map((r) => {
    const head = [`${r.leading}${r.interim ? `HTTP/1.1 100 Continue${r.eol}${r.eol}` : ''}${r.proto} ${r.status} X`, 'Content-Type: application/octet-stream'];
    let body: Buffer;
    if (r.framing === 'length') head.push(`Content-Length: ${r.body.length}`);
    if (r.framing === 'list') head.push(`Content-Length: ${r.body.length}, ${r.body.length}`);
    if (r.framing === 'chunked') {
      head.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (const piece of splitAt(r.body, r.pieces)) parts.push(Buffer.from(`${piece.length.toString(16)}${r.ext}\r\n`), Buffer.from(piece), Buffer.from('\r\n'));
      parts.push(Buffer.from(`0\r\n${r.trailer}\r\n`));
      body = Buffer.concat(parts);
    } else body = Buffer.from(r.body);
    const bytes = Buffer.concat([Buffer.from(head.join(r.eol) + r.eol + r.eol, 'latin1'), body, r.framing === 'close' ? Buffer.alloc(0) : Buffer.from(r.extra)]);
    const hasBody = r.status !== 204 && r.status !== 304;
    return { bytes, body: hasBody ? Buffer.from(r.body) : Buffer.alloc(0) };
  });

const cuts = fc.array(fc.nat(700), { maxLength: 10 });

/** Mutations a fuzzer makes: bit flips, inserted/deleted bytes, overwritten runs, truncation. */
function mutate(bytes: Buffer, ops: { kind: number; at: number; value: number; len: number }[]): Buffer {
  let b = Buffer.from(bytes);
  for (const op of ops) {
    if (b.length === 0) break;
    const at = op.at % b.length;
    switch (op.kind) {
      case 0:
        b[at] = b[at]! ^ (1 << (op.value % 8));
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([op.value]), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + (op.len % 8))]);
        break;
      case 3:
        b.fill(op.value, at, Math.min(b.length, at + op.len));
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

const ops = fc.array(fc.record({ kind: fc.nat(4), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), len: fc.nat(40) }), { minLength: 1, maxLength: 4 });

describe('HttpResponseParser properties', { timeout: PROP_TIMEOUT }, () => {
  it('any chunking gives the same head, body, end (valid responses)', async () => {
    await assertProp(
      fc.property(response, cuts, fc.boolean(), ({ bytes, body }, cutPoints, bytewise) => {
        const whole = run([bytes]);
        expect(whole.error).toBeUndefined();
        expect(whole.ended).toBe(true);
        expect(Buffer.from(whole.body, 'latin1')).toEqual(body);
        const chunks = bytewise ? Array.from(bytes, (x) => Uint8Array.of(x)) : splitAt(bytes, cutPoints);
        expect(run(chunks)).toEqual(whole);
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('mutated input: only ProtocolErrors, the same outcome (incl. error code and offset) under any chunking, bounded', async () => {
    await assertProp(
      fc.property(response, ops, cuts, fc.boolean(), ({ bytes }, mutations, cutPoints, eof) => {
        const bad = mutate(bytes, mutations);
        const opts = { maxHeadSize: 256, maxBodySize: 200, maxHeaderCount: 8 };
        // `run` fails the test on anything but a ProtocolError reaching the sink, and a throw escapes.
        const whole = run([bad], eof, opts);
        expect(run(splitAt(bad, cutPoints), eof, opts)).toEqual(whole);
        expect(whole.body.length).toBeLessThanOrEqual(200);
        expect(whole.events.filter((e) => e === 'error' || e === 'end').length).toBeLessThanOrEqual(1);
        if (eof) expect(whole.ended || whole.error !== undefined).toBe(true);
      }),
      { numRuns: PROP_RUNS * 3 },
    );
  });
});
