import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Timeline, type TimelineOutput } from '../../src/timeline/timeline.js';

const RUNS = Number(process.env.PROP_RUNS ?? 60);
const T0 = Date.UTC(2026, 10, 29, 12);
const AV = [
  { clockRate: 90000, kind: 'video' as const },
  { clockRate: 8000, kind: 'audio' as const },
];

/** Feeds video frames at 25 fps: RTP `ts(i)`, arrival 40 ms apart. */
function video(tl: Timeline, n: number, ts: (i: number) => number, arrival = (i: number) => T0 + i * 40): TimelineOutput[] {
  const out: TimelineOutput[] = [];
  for (let i = 0; i < n; i++) out.push(tl.push(0, { timestamp: ts(i) >>> 0, arrivalMs: arrival(i) }));
  return out;
}

const strictlyIncreasing = (o: TimelineOutput[]): boolean => o.every((x, i) => i === 0 || x.time > o[i - 1]!.time);

describe('Timeline', () => {
  it('follows the RTP clock from 0, across a 32-bit wrap, with nothing flagged', () => {
    const tl = new Timeline(AV);
    const base = 0xffffffff - 10 * 3600;
    const out = video(tl, 50, (i) => base + i * 3600);
    expect(out.map((o) => o.time)).toEqual(out.map((_, i) => i * 3600));
    expect(out.some((o) => o.discontinuity)).toBe(false);
    expect(tl.stats.repairs).toBe(0);
  });

  it('re-stamps a clock that jumps forward by hours, flags that frame, then follows the clock again', () => {
    const tl = new Timeline(AV);
    const out = video(tl, 60, (i) => 1000 + i * 3600 + (i >= 30 ? 3 * 3600 * 90000 : 0));
    expect(out.map((o) => o.time)).toEqual(out.map((_, i) => i * 3600));
    expect(out.map((o, i) => (o.discontinuity ? i : -1)).filter((i) => i >= 0)).toEqual([30]);
    expect(tl.stats.repairs).toBe(1);
    expect(tl.stats.trackRepairs).toEqual([1, 0]);
  });

  it('re-stamps a clock that restarts at 0 (a step back) and stays strictly monotonic', () => {
    const tl = new Timeline(AV);
    const out = video(tl, 60, (i) => (i < 40 ? 123456789 + i * 3600 : (i - 40) * 3600));
    expect(strictlyIncreasing(out)).toBe(true);
    expect(out.map((o) => o.time)).toEqual(out.map((_, i) => i * 3600));
    expect(out.filter((o) => o.discontinuity)).toHaveLength(1);
  });

  it('re-stamps an interval far from the median that the arrival clock does not confirm', () => {
    const tl = new Timeline(AV);
    // Frame 20 claims 2 s passed (under the jump threshold) but arrived 40 ms after frame 19.
    const out = video(tl, 40, (i) => i * 3600 + (i >= 20 ? 2 * 90000 : 0));
    expect(out[20]!.discontinuity).toBe(true);
    expect(out[20]!.time - out[19]!.time).toBe(3600);
    expect(out[21]!.time - out[20]!.time).toBe(3600);
  });

  it('keeps a real pause that the arrival clock confirms (a gap is a gap)', () => {
    const tl = new Timeline(AV);
    const out = video(tl, 40, (i) => i * 3600 + (i >= 20 ? 5 * 90000 : 0), (i) => T0 + i * 40 + (i >= 20 ? 5000 : 0));
    expect(out[20]!.time - out[19]!.time).toBe(3600 + 5 * 90000);
    expect(out.some((o) => o.discontinuity)).toBe(false);
  });

  it('refuses B-frames (small steps back on video) with MP4_B_FRAMES', () => {
    const tl = new Timeline(AV);
    // Decode order I P B B P B B ...: presentation 0 3 1 2 6 4 5 ...
    const order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8];
    expect(() => video(tl, order.length, (i) => order[i]! * 3600)).toThrow(expect.objectContaining({ code: 'MP4_B_FRAMES' }));
  });

  it('places every track from the wall clock at the start: audio that starts 100 ms later is at 0.1 s', () => {
    const tl = new Timeline(AV);
    const v = tl.push(0, { timestamp: 5555, arrivalMs: T0 });
    const a = tl.push(1, { timestamp: 77, arrivalMs: T0 + 100, sampleCount: 160 });
    expect(v.time).toBe(0);
    expect(a.time).toBe(800);
    expect(tl.push(1, { timestamp: 77 + 160, arrivalMs: T0 + 120, sampleCount: 160 }).time).toBe(960);
  });

  it('prefers the sender-report wall clock for placement and output', () => {
    const tl = new Timeline(AV);
    tl.push(0, { timestamp: 0, arrivalMs: T0 + 500, wallClockMs: T0 });
    // Audio arrives 400 ms later on the local clock, but its sender report says 40 ms after the video.
    const a = tl.push(1, { timestamp: 0, arrivalMs: T0 + 900, wallClockMs: T0 + 40 });
    expect(a.seconds).toBeCloseTo(0.04, 6);
    expect(a.wallClockMs).toBe(T0 + 40);
    // Without a sender report: the recording's start plus the timeline's seconds.
    expect(tl.push(0, { timestamp: 3600, arrivalMs: T0 + 540 }).wallClockMs).toBe(T0 + 40);
  });

  it('after gap(): new RTP bases, time moves on by the time that passed, tracks flagged and in sync', () => {
    const tl = new Timeline(AV);
    for (let i = 0; i < 25; i++) {
      tl.push(0, { timestamp: 1000 + i * 3600, arrivalMs: T0 + i * 40 });
      tl.push(1, { timestamp: 50 + i * 320, arrivalMs: T0 + i * 40 + 5, sampleCount: 320 });
    }
    tl.gap();
    const back = T0 + 24 * 40 + 3000;
    const v = tl.push(0, { timestamp: 0xdeadbeef, arrivalMs: back });
    const a = tl.push(1, { timestamp: 0x1234, arrivalMs: back + 10, sampleCount: 320 });
    expect(v.discontinuity && a.discontinuity).toBe(true);
    expect(v.seconds).toBeCloseTo(24 * 0.04 + 3, 2);
    expect(Math.abs(a.seconds - v.seconds)).toBeLessThan(0.04);
    const v2 = tl.push(0, { timestamp: 0xdeadbeef + 3600, arrivalMs: back + 40 });
    expect(v2.time - v.time).toBe(3600);
    expect(v2.discontinuity).toBe(false);
    expect(tl.stats.gaps).toBe(1);
  });
});

describe('Timeline properties (fast-check)', () => {
  const anomaly = fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'jump', 'back', 'zero', 'dup');
  it('output is strictly monotonic per track; clean input is followed exactly; each anomaly is one flagged repair', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anomaly, fc.integer({ min: 0, max: 25 })), { minLength: 2, maxLength: 150 }), fc.integer({ min: 20 * 90000, max: 0xffffffff }), (steps, base) => {
        const tl = new Timeline(AV);
        let ts = base;
        const out: TimelineOutput[] = [];
        const anomalies: number[] = [];
        steps.forEach(([kind, jitter], i) => {
          if (i > 0) {
            if (kind === 'jump') ts += 3 * 3600 * 90000;
            else if (kind === 'back') ts -= 600 * 90000;
            // A restart at 0 from a clock already near 0 would look like B-frame reordering: only from far away.
            else if (kind === 'zero') {
              // (also not from just below the 32-bit wrap: that restart is a short step forward)
              const m = ((ts % 2 ** 32) + 2 ** 32) % 2 ** 32;
              if (m > 10 * 90000 && 2 ** 32 - m > 10 * 90000) ts = 0;
            }
            if (kind === 'dup') ts -= 3600;
            if (kind !== 'none' && !(kind === 'zero' && ts !== 0)) anomalies.push(i);
          }
          out.push(tl.push(0, { timestamp: ts >>> 0, arrivalMs: T0 + i * 40 + jitter }));
          ts += 3600;
        });
        expect(strictlyIncreasing(out)).toBe(true);
        const flagged = out.map((o, i) => (o.discontinuity ? i : -1)).filter((i) => i >= 0);
        expect(flagged).toEqual(anomalies);
        expect(tl.stats.repairs).toBe(anomalies.length);
        // Each repair re-stamps one median interval: the clock is followed exactly otherwise.
        expect(out.map((o) => o.time)).toEqual(out.map((_, i) => i * 3600));
      }),
      { numRuns: RUNS },
    );
  });

  it('audio and video captured together stay within one video frame interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 10, maxLength: 100 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (audioLateMs, jitter, vb, ab) => {
        const tl = new Timeline(AV);
        let lastV: TimelineOutput | undefined;
        const startA = Math.ceil(audioLateMs / 40);
        jitter.forEach((j, i) => {
          lastV = tl.push(0, { timestamp: (vb + i * 3600) >>> 0, arrivalMs: T0 + i * 40 + j });
          if (i >= startA) {
            const a = tl.push(1, { timestamp: (ab + (i - startA) * 320) >>> 0, arrivalMs: T0 + i * 40 + jitter[(i + 1) % jitter.length]!, sampleCount: 320 });
            expect(Math.abs(a.seconds - lastV.seconds)).toBeLessThan(0.04);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });
});
