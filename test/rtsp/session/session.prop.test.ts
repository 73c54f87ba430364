/**
 * The session state machine under random interleavings of verbs, server answers (any status, any
 * headers), requests from the server, garbage, media, timeouts and disconnects: it is always in one
 * of its six states, ends at most once, and nothing it throws or rejects with is anything but a
 * ProtocolError.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Harness, SDP, flush } from './harness.js';
import { ProtocolError } from '../../../src/errors.js';
import { encodeInterleaved, encodeResponse } from '../../../src/rtsp/encode.js';
import { buildRtpPacket } from '../../../src/rtp/rtp-packet.js';
import { PROP_RUNS } from '../../support/prop.js';

/** RTCP BYE from SSRC 5 (the SSRC of the generated RTP). */
const BYE = Buffer.from([0x81, 203, 0, 1, 0, 0, 0, 5]);
const STATES = new Set(['init', 'described', 'ready', 'playing', 'paused', 'closed']);

const answerArb = fc.record({
  status: fc.constantFrom(200, 200, 200, 301, 302, 401, 404, 454, 461, 500),
  session: fc.constantFrom(undefined, 'S1', 'S1;timeout=5', 'S2', ''),
  transport: fc.constantFrom(undefined, 'RTP/AVP/TCP;unicast;interleaved=0-1', 'RTP/AVP/TCP;unicast;interleaved=2-3', 'RTP/AVP;unicast;server_port=1-2', 'junk'),
  body: fc.constantFrom(undefined, SDP, 'v=0\r\nm=video', 'garbage'),
  extra: fc.constantFrom<Record<string, string>>({}, { 'WWW-Authenticate': 'Basic realm="x"' }, { 'WWW-Authenticate': 'Digest realm="x", nonce="n", stale=true' }, { Location: 'rtsp://other.example/x' }, { 'RTP-Info': 'url=track1;seq=0;rtptime=0' }, { Range: 'npt=0-1' }, { Public: 'GET_PARAMETER' }),
  cseqShift: fc.constantFrom(0, 0, 0, 1, -1),
});

const actionArb = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('proper' as const), bye: fc.integer({ min: 0, max: 7 }).map((n) => n === 0) }), weight: 10 },
  { arbitrary: fc.record({ kind: fc.constant('next' as const) }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('verb' as const), verb: fc.constantFrom('describe', 'setup', 'play', 'pause', 'teardown'), track: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('answer' as const), a: answerArb }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('request' as const), method: fc.constantFrom('OPTIONS', 'GET_PARAMETER', 'ANNOUNCE', 'REDIRECT') }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('bytes' as const), data: fc.uint8Array({ maxLength: 40 }) }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('rtp' as const), channel: fc.integer({ min: 0, max: 3 }), seq: fc.integer({ min: 0, max: 65535 }), pt: fc.constantFrom(0, 96, 97), payload: fc.uint8Array({ maxLength: 30 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 40_000 })) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('net' as const), what: fc.constantFrom('disconnect', 'connected', 'connectFailed', 'flowPause', 'flowResume', 'flowResume') }), weight: 1 },
);

describe('RtspSession state machine (fast-check)', () => {
  it('is always in a defined state and fails only with ProtocolError', async () => {
    const reached = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 5, maxLength: 60, size: 'max' }), async (actions) => {
        const h = new Harness({ requestTimeoutMs: 3000 });
        let ends = 0;
        const sinkEnd = h.session['sink'].end;
        h.session['sink'].end = (r, e) => {
          ends++;
          sinkEnd(r, e);
        };
        const bad: unknown[] = [];
        let endedOnce = false;
        const check = (p: Promise<unknown>): void => {
          p.catch((e: unknown) => {
            if (!(e instanceof ProtocolError)) bad.push(e);
          });
        };
        for (const a of actions) {
          try {
            switch (a.kind) {
              case 'verb': {
                const s = h.session;
                const p = a.verb === 'describe' ? s.describe(h.now) : a.verb === 'setup' ? s.setup(a.track, h.now) : a.verb === 'play' ? s.play(h.now) : a.verb === 'pause' ? s.pause(h.now) : s.teardown(h.now);
                check(p);
                break;
              }
              case 'next': {
                // The verb a user calls next from this state.
                const s = h.session;
                const st = s.state;
                if (st === 'closed') break;
                check(st === 'init' ? s.describe(h.now) : st === 'described' ? s.setup(0, h.now) : st === 'ready' || st === 'paused' ? s.play(h.now) : s.pause(h.now));
                break;
              }
              case 'proper': {
                // The answer a plain camera gives to the last request (so runs reach every state).
                const last = h.requests.at(-1);
                if (!last) break;
                const hd: Record<string, string> = { CSeq: last.cseq, Session: 'S1;timeout=5' };
                let body: string | undefined;
                if (last.method === 'OPTIONS') hd['Public'] = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, GET_PARAMETER, TEARDOWN';
                if (last.method === 'DESCRIBE') body = SDP;
                if (last.method === 'SETUP') hd['Transport'] = last.headers.get('transport') ?? '';
                const answer = encodeResponse(200, 'OK', hd, body);
                // Sometimes the stream ends (RTCP BYE on channel 1) in the same chunk as the answer.
                h.session.receive(a.bye ? Buffer.concat([answer, encodeInterleaved(1, BYE)]) : answer, h.now);
                break;
              }
              case 'answer': {
                const last = h.requests.at(-1);
                const cseq = String(Number(last?.cseq ?? 1) + a.a.cseqShift);
                const headers: Record<string, string> = { CSeq: cseq, ...a.a.extra };
                if (a.a.session !== undefined) headers['Session'] = a.a.session;
                if (a.a.transport !== undefined) headers['Transport'] = a.a.transport;
                h.session.receive(encodeResponse(a.a.status, 'X', headers, a.a.body), h.now);
                break;
              }
              case 'request':
                h.session.receive(Buffer.from(`${a.method} * RTSP/1.0\r\nCSeq: 7\r\n\r\n`), h.now);
                break;
              case 'bytes':
                h.session.receive(a.data, h.now);
                break;
              case 'rtp':
                h.session.receive(encodeInterleaved(a.channel, buildRtpPacket({ marker: true, payloadType: a.pt, sequenceNumber: a.seq, timestamp: a.seq * 10, ssrc: 5 }, a.payload)), h.now);
                break;
              case 'time':
                h.advance(a.ms);
                break;
              case 'net':
                if (a.what === 'disconnect') h.session.disconnected(h.now);
                else if (a.what === 'connected') h.session.connected(h.now);
                else if (a.what === 'connectFailed') h.session.connectFailed(new ProtocolError('CONNECTION_REFUSED', 'refused'), h.now);
                else h.session.setFlowPaused(a.what === 'flowPause', h.now);
                break;
            }
          } catch (e) {
            // Synchronous inputs never throw.
            bad.push(e);
          }
          await flush();
          expect(STATES.has(h.session.state)).toBe(true);
          reached.add(h.session.state);
          if (h.ended) endedOnce = true;
          if (endedOnce) {
            // Once ended, always closed: no verb continuation may revive the session.
            expect(h.session.state).toBe('closed');
            expect(h.deadline).toBe(Infinity);
          }
        }
        if (h.session.setupTracks.length > 0) reached.add('set up');
        expect(ends).toBeLessThanOrEqual(1);
        expect(bad).toEqual([]);
      }),
      { numRuns: PROP_RUNS },
    );
    // The generator is worth something only if runs get past DESCRIBE.
    for (const st of ['set up', 'playing', 'paused', 'closed']) expect(reached.has(st)).toBe(true);
  }, 60_000);
});
