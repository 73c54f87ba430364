import { describe, expect, it } from 'vitest';
import { MultipartParser, type MultipartPart } from '../../src/multipart/multipart-parser.js';
import { parseBoundary } from '../../src/multipart/boundary.js';
import { buildMultipart } from '../support/multipart-build.js';
import { splitAt } from '../support/prop.js';
import { oneByteChunks, parseChunks } from './helpers.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

// the WV-V series HTTP API V2.40 §4.9.17 "Subscribe to event message", the example body byte for byte: "-- myboundary "
// delimiter lines, no empty line after the part headers, "\r\n\r\n" after each body, the MDResult
// part declaring Content-Length 38 for a longer text, " -- myboundary " with a leading space.
const SEED003_EVENTS = Buffer.from(
  '-- myboundary \r\n' +
    'Content-Type: text/plain\r\n' +
    'Content-Length: 39\r\n' +
    'Code=VideoMotion; action=Start; index=0\r\n\r\n' +
    '-- myboundary \r\n' +
    'Content-Type: text/plain\r\n' +
    'Content-Length: 38\r\n' +
    'Code=VideoBlind; action=Start; index=0\r\n\r\n' +
    '-- myboundary \r\n' +
    'Content-Type: text/plain\r\n' +
    'Content-Length: 38\r\n' +
    'Code= MDResult; action=Pulse; index=0; data=61708863,61708863…\r\n\r\n' +
    ' -- myboundary \r\n',
  'utf8',
);
const SEED003_BODIES = [
  'Code=VideoMotion; action=Start; index=0',
  'Code=VideoBlind; action=Start; index=0',
  // Re-read by scanning: the CRLF right before the delimiter belongs to it, the one before stays.
  'Code= MDResult; action=Pulse; index=0; data=61708863,61708863…\r\n',
];

// the IP Camera Standard API 5.0.0 §5.4.2 eventdata.cgi?action=monitor, "Content-type" header and "<boundary>" as written.
const SEED000_CT = 'multipart/x-mixed-replace;boundary=<boundary>';
const SEED000_MONITOR = latin1(
  '--<boundary>\r\n' +
    'Content-Type: text/plain\r\n' +
    'Content-Length: 74\r\n' +
    '\r\n' +
    'Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; \r\n' +
    'Motion1:Enabled=0; \r\n' +
    '\r\n' +
    '--<boundary>\r\n' +
    'Content-Type: text/plain\r\n' +
    'Content-Length: 75\r\n' +
    '\r\n' +
    'Motion:Enabled=1;Level=15;Sensitivity=80;Triggered=0; \r\n' +
    'Motion1:Enabled=0; \r\n' +
    '\r\n',
);

function utf8Bodies(parts: MultipartPart[]): string[] {
  return parts.map((p) => Buffer.from(p.body).toString('utf8'));
}

describe('MultipartParser on the vendor documents\' examples', () => {
  it('the WV-V series HTTP API V2.40 event stream: tolerant delimiter, no blank line, wrong Content-Length', () => {
    const copy = Buffer.from(SEED003_EVENTS);
    const r = parseChunks([SEED003_EVENTS], 'myboundary');
    expect(utf8Bodies(r.parts)).toEqual(SEED003_BODIES);
    expect(r.errors).toEqual([]);
    expect(r.parts.map((p) => p.contentLength)).toEqual([39, 38, 38]);
    expect(r.parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/plain', 'text/plain']);
    expect(r.parts[0]!.headers).toEqual({ 'content-type': 'text/plain', 'content-length': '39' });
    expect(r.parts.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(r.parser.stats.fallbacks).toBe(1);
    for (const p of r.parts) expect(SEED003_EVENTS.subarray(p.offset, p.offset + p.body.length).equals(Buffer.from(p.body))).toBe(true);
    expect(SEED003_EVENTS.equals(copy)).toBe(true);
  });

  it('the WV-V series HTTP API V2.40 event stream: the same parts at every split point and in 1-byte chunks', () => {
    for (let cut = 0; cut <= SEED003_EVENTS.length; cut++) {
      expect(utf8Bodies(parseChunks(splitAt(SEED003_EVENTS, [cut]), 'myboundary').parts)).toEqual(SEED003_BODIES);
    }
    expect(utf8Bodies(parseChunks(oneByteChunks(SEED003_EVENTS), 'myboundary').parts)).toEqual(SEED003_BODIES);
  });

  it('the IP Camera Standard API 5.0.0 eventdata monitor stream (boundary "<boundary>", lower-case "Content-type")', () => {
    const boundary = parseBoundary(SEED000_CT)!;
    expect(boundary).toBe('<boundary>');
    const want = [
      'Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; \r\nMotion1:Enabled=0; ',
      'Motion:Enabled=1;Level=15;Sensitivity=80;Triggered=0; \r\nMotion1:Enabled=0; ',
    ];
    // The second part is still open (no delimiter yet): flush() delivers it, end() too.
    for (const chunks of [[SEED000_MONITOR], oneByteChunks(SEED000_MONITOR)]) {
      const r = parseChunks(chunks, boundary);
      expect(r.bodies).toEqual(want);
      expect(r.errors).toEqual([]);
    }
  });

  it('the WV-V series HTTP API V2.40 MJPEG (§4.2.1, "Content-Length:<image size>" without a space) and multipart audio (§4.3.4)', () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(300, 0x41), latin1('\r\n--myboundary'), Buffer.from([0xff, 0xd9])]);
    const audio = Buffer.alloc(800, 0xd5);
    const stream = Buffer.concat([
      latin1(`--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length:${jpeg.length}\r\n\r\n`),
      jpeg,
      latin1(`\r\n--myboundary\r\nContent-Type: Audio/G.711 A-law\r\nContent-Length: 800\r\n\r\n`),
      audio,
      latin1('\r\n--myboundary\r\n'),
    ]);
    const r = parseChunks(splitAt(stream, [100, 200, 400]), 'myboundary');
    expect(r.parts.map((p) => p.contentType)).toEqual(['image/jpeg', 'Audio/G.711 A-law']);
    expect(Buffer.from(r.parts[0]!.body).equals(jpeg)).toBe(true); // the delimiter-like bytes inside stay
    expect(Buffer.from(r.parts[1]!.body).equals(audio)).toBe(true);
    expect(r.parser.stats.fallbacks).toBe(0);
  });
});

describe('MultipartParser framing variants', () => {
  const bodies = [latin1('first'), latin1('second\r\nline'), latin1(''), latin1('x-y--z')];
  const parts = bodies.map((body) => ({ body, headers: [['Content-Type', 'text/plain']] as Array<[string, string]> }));
  const cases = [
    { name: 'standard with length', opts: { style: 'standard', length: 'exact' } },
    { name: 'standard scanning', opts: { style: 'standard', length: 'none' } },
    { name: 'bare LF with length', opts: { style: 'lf', length: 'exact' } },
    { name: 'bare LF scanning', opts: { style: 'lf', length: 'none' } },
    { name: 'no CRLF before delimiter', opts: { style: 'nocrlf', length: 'none' } },
    { name: 'seed003 style with length', opts: { style: 'seed003', length: 'exact' } },
    { name: 'preamble + open ending', opts: { preamble: 'This is a preamble\r\n--notit\r\n', ending: 'open' } },
    { name: 'short Content-Length', opts: { length: 'short' } },
    { name: 'long Content-Length', opts: { length: 'long', lengthError: 40 } },
    { name: 'lower-case content-length', opts: { lengthName: 'content-LENGTH' } },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const stream = buildMultipart(parts, { boundary: 'b0undary', ...c.opts });
      const r = parseChunks([stream], 'b0undary');
      expect(r.bodies).toEqual(bodies.map((b) => b.toString('latin1')));
      expect(r.errors).toEqual([]);
      const r1 = parseChunks(oneByteChunks(stream), 'b0undary');
      expect(r1.bodies).toEqual(r.bodies);
    });
  }

  it('close delimiter ends the stream; the epilogue is ignored', () => {
    const stream = Buffer.concat([buildMultipart(parts, { boundary: 'b', ending: 'close' }), latin1('epilogue --b\r\nContent-Length: 1\r\n\r\nX\r\n--b\r\n')]);
    const p = new MultipartParser('b', { part: () => undefined });
    p.push(stream);
    expect(p.done).toBe(true);
    expect(p.stats.parts).toBe(4);
    expect(p.buffered).toBe(0);
  });

  it('boundary declared with a leading "--": both wire spellings', () => {
    for (const wire of ['--frame', '----frame']) {
      const s = latin1(`${wire}\r\nContent-Type: image/jpeg\r\n\r\nAAA\r\n${wire}\r\n\r\nBB\r\n${wire}--\r\n`);
      expect(parseChunks([s], '--frame').bodies).toEqual(['AAA', 'BB']);
    }
  });

  it('part without headers and without a blank line (the body is the first non-header line)', () => {
    const s = latin1('--b\r\n\xff\xd8\xff\xd9\r\n--b\r\n\r\nok\r\n--b--');
    expect(parseChunks([s], 'b').bodies).toEqual(['\xff\xd8\xff\xd9', 'ok']);
  });

  it('header folding and repeated fields', () => {
    const s = latin1('--b\r\nX-A: 1\r\n  more\r\nX-B: 1\r\nx-b: 2\r\n\r\nbody\r\n--b--\r\n');
    const h = parseChunks([s], 'b').parts[0]!.headers;
    expect(h['x-a']).toBe('1 more');
    expect(h['x-b']).toBe('1, 2');
  });
});

describe('MultipartParser bodies: views and copies', () => {
  it('a body inside one chunk is a view; one spanning chunks is an exact copy', () => {
    const body = Buffer.alloc(5000, 7);
    const stream = buildMultipart([{ body }, { body }], { boundary: 'bb', ending: 'close' });
    const firstEnd = stream.indexOf(latin1('\r\n--bb'));
    const chunks = splitAt(stream, [firstEnd + 10]); // first part whole in chunk 0, second spans
    const got: MultipartPart[] = [];
    const p = new MultipartParser('bb', { part: (x) => got.push(x) });
    for (const c of chunks) p.push(c);
    p.end();
    expect(got.length).toBe(2);
    expect(got[0]!.body.buffer).toBe(chunks[0]!.buffer);
    expect(got[0]!.body.byteOffset).toBe(chunks[0]!.byteOffset + got[0]!.offset);
    expect(got[1]!.body.length).toBe(5000);
    expect(Buffer.from(got[1]!.body).equals(body)).toBe(true);
  });
});

describe('MultipartParser bounds and errors', () => {
  // With Content-Length the oversized body is skipped by count (nothing buffered); without it the
  // parser scans for the delimiter and holds at most the cap plus a chunk.
  it.each([
    { framing: 'with Content-Length', length: 'exact' as const, bound: 4096 },
    { framing: 'without Content-Length', length: 'none' as const, bound: 10_000 + 4096 },
  ])('a part over the cap $framing is reported and skipped, memory stays bounded', ({ length, bound }) => {
    const big = Buffer.alloc(200_000, 0x55);
    const stream = buildMultipart([{ body: latin1('a') }, { body: big }, { body: latin1('c') }], { boundary: 'b', length });
    const errs: string[] = [];
    const bodies: string[] = [];
    const p = new MultipartParser('b', { part: (x) => bodies.push(Buffer.from(x.body).toString()), error: (e) => errs.push(e.code) }, { maxPartSize: 10_000 });
    let maxBuffered = 0;
    for (const c of splitAt(stream, Array.from({ length: 100 }, (_, i) => i * 2048))) {
      p.push(c);
      maxBuffered = Math.max(maxBuffered, p.buffered);
    }
    p.end();
    expect(bodies).toEqual(['a', 'c']);
    expect(errs).toEqual(['MULTIPART_PART_TOO_LARGE']);
    expect(maxBuffered).toBeLessThan(bound);
    if (length === 'exact') expect(p.stats.dropped).toBe(1);
  });

  it('too many header fields and an over-long header block are MULTIPART_BAD_HEADERS; parsing goes on', () => {
    const many = '--b\r\n' + 'X-H: 1\r\n'.repeat(70) + '\r\nbad\r\n';
    const long = '--b\r\nX-Long: ' + 'v'.repeat(20_000) + '\r\n\r\nbad\r\n';
    const good = '--b\r\nContent-Length: 2\r\n\r\nok\r\n--b--\r\n';
    for (const s of [many + good, long + good]) {
      const r = parseChunks([latin1(s)], 'b');
      expect(r.bodies).toEqual(['ok']);
      expect(r.errors.map((e) => e.code)).toEqual(['MULTIPART_BAD_HEADERS']);
      expect(r.errors[0]!.offset).toBeGreaterThanOrEqual(0);
    }
  });

  it('a stream cut inside a body reports TRUNCATED and drops the part', () => {
    const s = latin1('--b\r\nContent-Length: 10\r\n\r\n12345');
    const r = parseChunks([s], 'b');
    expect(r.bodies).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['TRUNCATED']);
  });

  it('no delimiter at all is reported once at end', () => {
    const r = parseChunks([latin1('HTTP garbage without any boundary')], 'b');
    expect(r.parts).toEqual([]);
    expect(r.errors.map((e) => e.code)).toEqual(['MULTIPART_BAD_DELIMITER']);
  });

  it('preamble errors carry the same offset (the stream start) however the stream is chunked', () => {
    const stream = latin1(`${'x'.repeat(100)}\r\n--b\r\nContent-Length: 1\r\n\r\nA\r\n--b--\r\n`);
    const errs = (chunks: Uint8Array[]): string[] => parseChunks(chunks, 'b', { maxPreamble: 64 }).errors.map((e) => `${e.code}@${e.offset}`);
    expect(errs([stream])).toEqual(['MULTIPART_BAD_DELIMITER@0']);
    for (let i = 1; i < stream.length; i++) expect(errs(splitAt(stream, [i])), `split at ${i}`).toEqual(['MULTIPART_BAD_DELIMITER@0']);
    expect(errs(oneByteChunks(stream))).toEqual(['MULTIPART_BAD_DELIMITER@0']);
    const junk = latin1('y'.repeat(300));
    expect(parseChunks(oneByteChunks(junk), 'b').errors.map((e) => `${e.code}@${e.offset}`)).toEqual(['MULTIPART_BAD_DELIMITER@0']);
  });

  it('push after end is a typed error', () => {
    const p = new MultipartParser('b', { part: () => undefined });
    p.end();
    expect(() => p.push(latin1('x'))).toThrow(/INVALID_ARGUMENT/);
  });
});

describe('MultipartParser.flush (low-latency events)', () => {
  it('delivers a complete Content-Length body before the next delimiter arrives', () => {
    const got: string[] = [];
    const p = new MultipartParser('myboundary', { part: (x) => got.push(Buffer.from(x.body).toString()) });
    p.push(latin1('-- myboundary \r\nContent-Type: text/plain\r\nContent-Length: 39\r\nCode=VideoMotion; action=Start; index=0\r\n\r\n'));
    expect(got).toEqual([]); // waiting for the delimiter that confirms the length
    p.flush();
    expect(got).toEqual(['Code=VideoMotion; action=Start; index=0']);
    p.push(latin1('-- myboundary \r\nContent-Type: text/plain\r\nContent-Length: 38\r\nCode=VideoBlind; action=Start; index=0\r\n\r\n'));
    p.flush();
    expect(got).toEqual(['Code=VideoMotion; action=Start; index=0', 'Code=VideoBlind; action=Start; index=0']);
    expect(p.stats.resyncs).toBe(0);
  });

  it('does nothing when the bytes after the body contradict the length', () => {
    const got: string[] = [];
    const p = new MultipartParser('b', { part: (x) => got.push(Buffer.from(x.body).toString()) });
    p.push(latin1('--b\r\nContent-Length: 3\r\n\r\nabcdef'));
    p.flush();
    expect(got).toEqual([]);
    p.push(latin1('\r\n--b\r\n'));
    expect(got).toEqual(['abcdef']);
  });
});
