import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import {
  formatRange,
  formatScale,
  formatSpeed,
  formatUtcTime,
  parseRangeHeader,
  parseScale,
  parseSpeed,
  parseUtcTime,
  rangeValue,
  smpteSeconds,
} from '../../src/rtsp/range.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`;
  }
  return undefined;
}

describe('Range npt (RFC 2326 §3.6)', () => {
  it.each([
    ['npt=0-', { start: 0, end: undefined }],
    ['npt=56.378441-', { start: 56.378441, end: undefined }],
    ['npt=now-', { start: 'now', end: undefined }],
    ['npt=-20', { start: undefined, end: 20 }],
    ['npt=1:02:03.5-1:02:04', { start: 3723.5, end: 3724 }],
    ['npt=10.-20', { start: 10, end: 20 }],
    ['  NPT = 5 - 7 ', { start: 5, end: 7 }],
    // Reverse playback names the later time first (RFC 7826 §18.40).
    ['npt=30-10', { start: 30, end: 10 }],
  ])('%s', (text, want) => {
    expect(parseRangeHeader(text).range).toEqual({ unit: 'npt', ...want });
  });

  it.each(['npt=', 'npt=-', 'npt=abc-', 'npt=1:60:00-', 'npt=1:00:61-', 'npt=0-now', 'npt 0-', 'foo=1-2', 'npt=1.2.3-', ''])('rejects %j with RTSP_BAD_HEADER', (t) => {
    expect(code(() => parseRangeHeader(t))).toBe('RTSP_BAD_HEADER');
  });

  it('error context names the header and the position of the bad part', () => {
    try {
      parseRangeHeader('npt=1-x');
      expect.unreachable();
    } catch (e) {
      expect((e as ProtocolError).context).toEqual({ header: 'Range', at: 6 });
    }
  });
});

describe('Range clock (RFC 2326 §3.7) and ;time=', () => {
  it('reads basic utc-times with fractions, the extended ISO form, and time=', () => {
    const h = parseRangeHeader('clock=20120915T123705Z-20120915T183414.25Z;time=19970123T143720Z');
    expect(h.range).toEqual({ unit: 'clock', start: Date.UTC(2012, 8, 15, 12, 37, 5), end: Date.UTC(2012, 8, 15, 18, 34, 14, 250) });
    expect(h.time).toBe(Date.UTC(1997, 0, 23, 14, 37, 20));
    expect(parseRangeHeader('clock=2012-09-15T12:37:05.440Z-').range).toEqual({ unit: 'clock', start: Date.UTC(2012, 8, 15, 12, 37, 5, 440), end: undefined });
    expect(parseRangeHeader('clock=2012-09-15T12:37:05Z-2012-09-15T12:38:05Z').range).toMatchObject({ end: Date.UTC(2012, 8, 15, 12, 38, 5) });
  });

  it.each(['clock=-20120915T123705Z', 'clock=20120915T123705-', 'clock=20121315T123705Z-', 'clock=20120231T000000Z-', 'clock=20120915T246000Z-', 'clock=20120915T123705Z-;time=x'])(
    'rejects %j',
    (t) => {
      expect(code(() => parseRangeHeader(t))).toBe('RTSP_BAD_HEADER');
    },
  );

  it('writes the basic form, milliseconds only when present', () => {
    expect(formatUtcTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('20240102T030405Z');
    expect(formatUtcTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 7)))).toBe('20240102T030405.007Z');
    expect(parseUtcTime('20240102T030405.007Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 7));
    expect(formatRange({ unit: 'clock', start: Date.UTC(2024, 0, 2), end: Date.UTC(2024, 0, 3) }, Date.UTC(2024, 0, 1))).toBe(
      'clock=20240102T000000Z-20240103T000000Z;time=20240101T000000Z',
    );
  });
});

describe('Range smpte (RFC 2326 §3.5)', () => {
  it('reads smpte, smpte-25 and smpte-30-drop with frames and subframes', () => {
    expect(parseRangeHeader('smpte=10:12:33:20-').range).toEqual({ unit: 'smpte', start: { hours: 10, minutes: 12, seconds: 33, frames: 20, subframes: 0 }, end: undefined });
    expect(parseRangeHeader('smpte-25=10:07:33-10:07:33:05.01').range).toEqual({
      unit: 'smpte-25',
      start: { hours: 10, minutes: 7, seconds: 33, frames: 0, subframes: 0 },
      end: { hours: 10, minutes: 7, seconds: 33, frames: 5, subframes: 1 },
    });
    expect(code(() => parseRangeHeader('smpte-25=00:00:00:25-'))).toBe('RTSP_BAD_HEADER');
    expect(code(() => parseRangeHeader('smpte=00:61:00-'))).toBe('RTSP_BAD_HEADER');
  });

  it('converts drop-frame time codes: 00:01:00;02 is frame 1800 at 29.97 fps', () => {
    const t = (m: number, s: number, f: number) => ({ hours: 0, minutes: m, seconds: s, frames: f, subframes: 0 });
    expect(smpteSeconds('smpte-30-drop', t(1, 0, 2))).toBeCloseTo((1800 * 1001) / 30000, 9);
    // Every tenth minute keeps frames 0 and 1: 00:10:00;00 is frame 17982.
    expect(smpteSeconds('smpte', t(10, 0, 0))).toBeCloseTo((17982 * 1001) / 30000, 9);
    expect(smpteSeconds('smpte-25', t(0, 2, 10))).toBeCloseTo(2 + 10 / 25, 9);
  });

  it('writes frames only when needed', () => {
    expect(formatRange({ unit: 'smpte-25', start: { hours: 0, minutes: 1, seconds: 2, frames: 0, subframes: 0 }, end: { hours: 0, minutes: 1, seconds: 2, frames: 3, subframes: 4 } })).toBe(
      'smpte-25=00:01:02-00:01:02:03.04',
    );
  });
});

describe('Range writer and play() input', () => {
  it('writes npt with millisecond precision', () => {
    expect(formatRange({ unit: 'npt', start: 0, end: undefined })).toBe('npt=0.000-');
    expect(formatRange({ unit: 'npt', start: 12.3456, end: 20 })).toBe('npt=12.346-20.000');
    expect(formatRange({ unit: 'npt', start: 'now', end: undefined })).toBe('npt=now-');
    expect(code(() => formatRange({ unit: 'npt', start: -1, end: undefined }))).toBe('INVALID_ARGUMENT');
    expect(code(() => formatRange({ unit: 'npt', start: undefined, end: undefined }))).toBe('INVALID_ARGUMENT');
  });

  it('turns the short forms into header values and checks strings', () => {
    expect(rangeValue({ npt: 5 })).toBe('npt=5.000-');
    expect(rangeValue({ npt: 5, end: 6.5 })).toBe('npt=5.000-6.500');
    expect(rangeValue({ clock: new Date(Date.UTC(2020, 1, 29, 23, 59, 59)) })).toBe('clock=20200229T235959Z-');
    expect(rangeValue('npt=0-')).toBe('npt=0-');
    expect(code(() => rangeValue('npt=0-\r\nX: y'))).toBe('INVALID_ARGUMENT');
    expect(code(() => rangeValue('bogus'))).toBe('INVALID_ARGUMENT');
  });
});

describe('Scale (§12.34) and Speed (§12.35)', () => {
  it.each([
    ['1', 1],
    ['2.0', 2],
    [' -1 ', -1],
    ['-0.5', -0.5],
    ['0.25', 0.25],
    ['24', 24],
  ])('Scale %j', (t, n) => expect(parseScale(t)).toBe(n));

  it.each(['', 'fast', '1e3', '+2', '--1', '1,5'])('Scale %j is RTSP_BAD_HEADER', (t) => {
    expect(code(() => parseScale(t))).toBe('RTSP_BAD_HEADER');
  });

  it('Speed is positive', () => {
    expect(parseSpeed('2.5')).toBe(2.5);
    expect(code(() => parseSpeed('-1'))).toBe('RTSP_BAD_HEADER');
    expect(code(() => parseSpeed('0'))).toBe('RTSP_BAD_HEADER');
  });

  it('writers refuse what the grammar cannot say', () => {
    expect(formatScale(-1)).toBe('-1');
    expect(formatScale(0.5)).toBe('0.5');
    expect(formatScale(1e-7 + 2)).toBe('2');
    expect(code(() => formatScale(0))).toBe('INVALID_ARGUMENT');
    expect(code(() => formatScale(Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(formatSpeed(4)).toBe('4');
    expect(code(() => formatSpeed(-2))).toBe('INVALID_ARGUMENT');
  });
});
