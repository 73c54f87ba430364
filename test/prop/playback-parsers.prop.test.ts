import { describe, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { formatRange, formatScale, formatSpeed, parseRangeHeader, parseScale, parseSpeed, type MediaRange } from '../../src/rtsp/range.js';
import { parseRtpInfo } from '../../src/rtsp/headers.js';
import { ONVIF_REPLAY_PROFILE, parseOnvifReplay, withOnvifReplay } from '../../src/rtp/onvif-replay.js';
import { RtpPacketView, RtpStatus, buildRtpPacket } from '../../src/rtp/rtp-packet.js';
import { PROP_RUNS, PROP_TIMEOUT, assertProp } from '../support/prop.js';

/** Runs `f`; true when it returned or threw a ProtocolError, false on any other throw. */
function valueOrProtocolError(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    return e instanceof ProtocolError;
  }
}

const ms = fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) });
const npt = fc.integer({ min: 0, max: 10_000_000_000 }).map((n) => n / 1000);
const smpte = (fps: number) =>
  fc.record({
    hours: fc.integer({ min: 0, max: 99 }),
    minutes: fc.integer({ min: 0, max: 59 }),
    seconds: fc.integer({ min: 0, max: 59 }),
    frames: fc.integer({ min: 0, max: fps - 1 }),
    subframes: fc.integer({ min: 0, max: 99 }),
  });

const ranges: fc.Arbitrary<MediaRange> = fc.oneof(
  fc.record({ unit: fc.constant('npt' as const), start: fc.oneof(npt, fc.constant('now' as const)), end: fc.option(npt, { nil: undefined }) }),
  fc.record({ unit: fc.constant('npt' as const), start: fc.constant(undefined), end: npt }),
  fc.record({ unit: fc.constant('clock' as const), start: ms, end: fc.option(ms, { nil: undefined }) }),
  fc.record({ unit: fc.constant('smpte-25' as const), start: smpte(25), end: fc.option(smpte(25), { nil: undefined }) }),
  fc.record({ unit: fc.constantFrom('smpte' as const, 'smpte-30-drop' as const), start: smpte(30), end: fc.option(smpte(30), { nil: undefined }) }),
);

/** Header-ish text: mutations of valid values plus the grammar's alphabet. */
function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const alphabet = fc.constantFrom(...'0123456789-.:;=TZ nowclockptsme,'.split(''), '\u0000', 'é');
  return fc.oneof(
    fc.string({ unit: alphabet, maxLength: 60 }),
    fc.tuple(valid, fc.nat(80), fc.nat(4), fc.string({ unit: alphabet, maxLength: 4 })).map(([s, at, del, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice((at % (s.length + 1)) + del)),
  );
}

describe('playback parser properties', { timeout: PROP_TIMEOUT }, () => {
  it('Range: format -> parse round trips', async () => {
    await assertProp(
      fc.property(ranges, fc.option(ms, { nil: undefined }), (r, time) => {
        const h = parseRangeHeader(formatRange(r, time));
        const same = JSON.stringify(h.range) === JSON.stringify(r);
        return same && h.time === time;
      }),
      { numRuns: PROP_RUNS * 5 },
    );
  });

  it('Range, Scale, Speed, RTP-Info: random and mutated text gives values or ProtocolErrors only', async () => {
    const valid = ranges.map((r) => formatRange(r));
    await assertProp(
      fc.property(mutated(valid), (s) => valueOrProtocolError(() => parseRangeHeader(s)) && valueOrProtocolError(() => parseScale(s)) && valueOrProtocolError(() => parseSpeed(s))),
      { numRuns: PROP_RUNS * 10 },
    );
    await assertProp(
      fc.property(mutated(fc.constant('url=rtsp://h/a/trackID=0;seq=12;rtptime=345,url=trackID=1;seq=1')), (s) => {
        const entries = parseRtpInfo(s);
        return entries.every((e) => (e.seq === undefined || (e.seq >= 0 && e.seq <= 0xffff)) && (e.rtptime === undefined || (e.rtptime >= 0 && e.rtptime <= 0xffffffff)));
      }),
      { numRuns: PROP_RUNS * 5 },
    );
  });

  it('Scale and Speed round trip at 6 decimals', async () => {
    const dec = fc.integer({ min: 1, max: 1_000_000_000 }).map((n) => n / 1_000_000);
    await assertProp(
      fc.property(dec, fc.boolean(), (n, neg) => parseScale(formatScale(neg ? -n : n)) === (neg ? -n : n) && parseSpeed(formatSpeed(n)) === n),
      { numRuns: PROP_RUNS * 5 },
    );
  });

  it('ONVIF replay: build -> parse round trips; random extension bytes give values or ProtocolErrors', async () => {
    await assertProp(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(2035, 0, 1) }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.nat(0xffff),
        fc.uint8Array({ maxLength: 40 }),
        (t, c, e, d, term, cseq, payload) => {
          const pkt = withOnvifReplay(buildRtpPacket({ marker: true, payloadType: 96, sequenceNumber: cseq, timestamp: t >>> 0, ssrc: 5 }, payload), {
            wallClockMs: t,
            cleanPoint: c,
            endOfSection: e,
            discontinuity: d,
            terminal: term,
            cseq,
          });
          const v = new RtpPacketView();
          if (v.parse(pkt) !== RtpStatus.Ok) return false;
          const r = parseOnvifReplay(v.extensionProfile, v.data, v.extensionOffset, v.extensionLength)!;
          return (
            Math.abs(r.wallClockMs - t) < 0.001 &&
            r.cleanPoint === c &&
            r.endOfSection === e &&
            r.discontinuity === d &&
            r.terminal === term &&
            r.cseq === (cseq & 0xff) &&
            r.mbz === 0 &&
            Buffer.from(v.payload).equals(payload)
          );
        },
      ),
      { numRuns: PROP_RUNS * 5 },
    );
    await assertProp(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(70), fc.nat(70), (bytes, off, len) =>
        valueOrProtocolError(() => {
          const r = parseOnvifReplay(ONVIF_REPLAY_PROFILE, bytes, off, len);
          if (r && !(r.cseq >= 0 && r.cseq <= 255 && r.mbz >= 0 && r.mbz <= 15)) throw new Error('out of range');
        }),
      ),
      { numRuns: PROP_RUNS * 10 },
    );
  });
});
