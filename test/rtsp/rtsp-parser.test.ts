import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../../src/rtsp/encode.js';
import { RtspStreamParser, type RtspMessage, type RtspParserOptions } from '../../src/rtsp/rtsp-parser.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

type Ev =
  | { t: 'msg'; start: string; headers: Array<[string, string]>; body: string; offset: number }
  | { t: 'frame'; ch: number; hex: string }
  | { t: 'err'; code: string; offset: number; skipped?: unknown };

function startOf(m: RtspMessage): string {
  return m.head.kind === 'response' ? `${m.head.protocol} ${m.head.status}` : `${m.head.method} ${m.head.uri}`;
}

/** Runs the parser over chunks and records everything (payloads copied at once: views die on push). */
function run(chunks: Uint8Array[], opts?: RtspParserOptions): { ev: Ev[]; views: number; copies: number } {
  const ev: Ev[] = [];
  let views = 0;
  let copies = 0;
  const chunkBuffers = new Set(chunks.map((c) => c.buffer));
  const p = new RtspStreamParser(
    {
      message: (m) => ev.push({ t: 'msg', start: startOf(m), headers: m.head.headers.toJSON(), body: Buffer.from(m.body).toString('latin1'), offset: m.offset }),
      interleaved: (ch, payload) => {
        if (chunkBuffers.has(payload.buffer as ArrayBuffer)) views++;
        else copies++;
        ev.push({ t: 'frame', ch, hex: Buffer.from(payload).toString('hex') });
      },
      error: (e) => {
        expect(e).toBeInstanceOf(ProtocolError);
        ev.push({ t: 'err', code: e.code, offset: e.offset, skipped: e.context['skipped'] });
      },
    },
    opts,
  );
  for (const c of chunks) p.push(c);
  p.end();
  return { ev, views, copies };
}

const rtp = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('RtspStreamParser', () => {
  const play = enc('RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12345678\r\nRTP-Info: url=trackID=0;seq=1\r\n\r\n');
  const describeAnswer = encodeResponse(200, 'OK', { CSeq: 2, 'Content-Type': 'application/sdp' }, 'v=0\r\ns=x\r\n');
  const stream = Buffer.concat([
    encodeInterleaved(0, rtp(100)), // RTP before the PLAY response (docs/camera-quirks.md #14)
    play,
    encodeInterleaved(1, rtp(40, 7)),
    enc('\r\n'), // stray CRLF between units
    encodeInterleaved(0, rtp(1500, 3)),
    enc('GET_PARAMETER rtsp://cam/ RTSP/1.0\nCseq: 9\nContent-Length: 3\n\nabc'), // server request, bare LF
    describeAnswer,
    encodeInterleaved(2, new Uint8Array(0)),
  ]);

  it('parses frames and messages in any order', () => {
    const { ev, views, copies } = run([stream]);
    expect(ev.map((e) => (e.t === 'msg' ? e.start : e.t === 'frame' ? `$${e.ch}:${e.hex.length / 2}` : e.code))).toEqual([
      '$0:100',
      'RTSP/1.0 200',
      '$1:40',
      '$0:1500',
      'GET_PARAMETER rtsp://cam/',
      'RTSP/1.0 200',
      '$2:0',
    ]);
    const msgs = ev.filter((e) => e.t === 'msg');
    expect(msgs[1]).toMatchObject({ body: 'abc' });
    expect(msgs[2]).toMatchObject({ body: 'v=0\r\ns=x\r\n' });
    expect(msgs[0]!.offset).toBe(104);
    expect(views).toBe(4); // every frame lay inside the one chunk: views, no copies
    expect(copies).toBe(0);
  });

  it('gives identical output at every split point and 1-byte chunks; copies only straddling frames', () => {
    const whole = run([stream]).ev;
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const r = run([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(r.ev, `cut ${cut}`).toEqual(whole);
      expect(r.copies).toBeLessThanOrEqual(1);
    }
    const bytes = Array.from(stream, (b) => Uint8Array.of(b));
    expect(run(bytes).ev).toEqual(whole);
  });

  it('does not modify its input', () => {
    const copy = Buffer.from(stream);
    run([stream.subarray(0, 333), stream.subarray(333)]);
    expect(stream).toEqual(copy);
  });

  it('resyncs after garbage with one report per run, then parses on', () => {
    const garbage = enc('\x00\x01junk junk\xff\xfe');
    const input = Buffer.concat([encodeInterleaved(0, rtp(10)), garbage, play, enc('xyzRTSQ'), encodeInterleaved(1, rtp(5))]);
    const { ev } = run([input]);
    expect(ev.map((e) => e.t + (e.t === 'err' ? `:${e.code}:${e.skipped}` : ''))).toEqual([
      'frame',
      `err:RTSP_RESYNC:${garbage.length}`,
      'msg',
      'err:RTSP_RESYNC:7',
      'frame',
    ]);
    const errs = ev.filter((e) => e.t === 'err');
    expect(errs[0]!.offset).toBe(14);
    for (let cut = 1; cut < input.length; cut++) {
      expect(run([input.subarray(0, cut), input.subarray(cut)]).ev, `cut ${cut}`).toEqual(ev);
    }
  });

  it('reports a bad start line found after a plausible prefix and goes on', () => {
    const input = Buffer.concat([enc('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n'), enc('RTSP/1.0 20x\r\n\r\n'), encodeInterleaved(0, rtp(3))]);
    const { ev } = run([input]);
    expect(ev.map((e) => e.t)).toEqual(['msg', 'err', 'frame']);
    expect(ev[1]).toMatchObject({ code: 'RTSP_RESYNC' });
  });

  it('caps head size, body size and interleaved size, skipping and going on', () => {
    const bigHead = Buffer.concat([enc('RTSP/1.0 200 OK\r\nX: '), Buffer.alloc(300, 0x61), enc('\r\n\r\n')]);
    let r = run([bigHead, encodeInterleaved(0, rtp(4))], { maxHeadSize: 256 });
    expect(r.ev[0]).toMatchObject({ t: 'err', code: 'MSG_HEAD_TOO_LARGE', offset: 0 });
    expect(r.ev.at(-1)).toMatchObject({ t: 'frame', ch: 0 });

    const bigBody = encodeResponse(200, 'OK', { CSeq: 1 }, Buffer.alloc(500, 0x62));
    r = run([bigBody, encodeInterleaved(0, rtp(4))], { maxBodySize: 100 });
    expect(r.ev.map((e) => e.t + (e.t === 'err' ? e.code : ''))).toEqual(['errMSG_BODY_TOO_LARGE', 'frame']);

    r = run([encodeInterleaved(3, rtp(200)), encodeInterleaved(4, rtp(20))], { maxInterleavedSize: 100 });
    expect(r.ev.map((e) => e.t + (e.t === 'err' ? e.code : ''))).toEqual(['errRTSP_BAD_INTERLEAVED', 'frame']);
  });

  it('reports TRUNCATED at end() inside a unit', () => {
    const f = encodeInterleaved(0, rtp(50));
    expect(run([f.subarray(0, 20)]).ev).toEqual([{ t: 'err', code: 'TRUNCATED', offset: 20, skipped: undefined }]);
    expect(run([play.subarray(0, 20)]).ev[0]).toMatchObject({ code: 'TRUNCATED', offset: 0 });
  });

  it('treats a bad Content-Length as no body and reports it', () => {
    const { ev } = run([enc('RTSP/1.0 200 OK\r\nContent-Length: x\r\n\r\n'), encodeInterleaved(0, rtp(2))]);
    expect(ev.map((e) => e.t + (e.t === 'err' ? e.code : ''))).toEqual(['errMSG_BAD_HEADER', 'msg', 'frame']);
  });
});

describe('encodeRequest / encodeResponse', () => {
  it('writes CSeq first, CRLF, Content-Length with a body', () => {
    const out = encodeRequest('ANNOUNCE', 'rtsp://h/s', { 'User-Agent': 'camstream', cseq: 7 }, 'v=0\r\n').toString('latin1');
    expect(out).toBe('ANNOUNCE rtsp://h/s RTSP/1.0\r\nCSeq: 7\r\nUser-Agent: camstream\r\nContent-Length: 5\r\n\r\nv=0\r\n');
    expect(encodeResponse(200, 'OK', { CSeq: 1 }).toString()).toBe('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n');
  });

  it('is strict', () => {
    const bad = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return (e as ProtocolError).code;
      }
      return undefined;
    };
    expect(bad(() => encodeRequest('OPTIONS', '*', {}))).toBe('INVALID_ARGUMENT');
    expect(bad(() => encodeRequest('options', '*', { CSeq: 1 }))).toBe('INVALID_ARGUMENT');
    expect(bad(() => encodeRequest('OPTIONS', 'a b', { CSeq: 1 }))).toBe('INVALID_ARGUMENT');
    expect(bad(() => encodeRequest('OPTIONS', '*', { CSeq: 1, X: 'a\r\nInjected: 1' }))).toBe('INVALID_ARGUMENT');
    expect(bad(() => encodeRequest('OPTIONS', '*', { CSeq: 1, 'Bad Name': 'v' }))).toBe('INVALID_ARGUMENT');
    expect(bad(() => encodeInterleaved(256, new Uint8Array(1)))).toBe('INVALID_ARGUMENT');
  });
});
