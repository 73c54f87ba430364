import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROP_RUNS } from '../support/prop.js';
import { ReorderBuffer } from '../../src/rtp/reorder.js';

/**
 * A sent stream of `n` packets from `start`, some never arriving, some arriving twice, each displaced
 * by at most `jitter` places (stable sort by index + random key). The first packet arrives first:
 * like FFmpeg and gortsplib, the first packet starts the stream.
 */
const streamArb = fc
  .record({
    start: fc.integer({ min: 0, max: 0xffff }),
    n: fc.integer({ min: 1, max: 400 }),
    capacity: fc.constantFrom(8, 16, 64, 512),
    seed: fc.array(fc.tuple(fc.nat(1000), fc.boolean(), fc.boolean()), { minLength: 400, maxLength: 400 }),
  })
  .map(({ start, n, capacity, seed }) => {
    const jitter = capacity - 1;
    const arrivals: { idx: number; key: number }[] = [];
    const missing = new Set<number>();
    for (let i = 0; i < n; i++) {
      const [r, drop, dup] = seed[i]!;
      if (i > 0 && drop && r % 5 === 0) {
        missing.add(i);
        continue;
      }
      const key = i === 0 ? -1 : i + (r % (jitter + 1));
      arrivals.push({ idx: i, key });
      if (i > 0 && dup && r % 7 === 0) arrivals.push({ idx: i, key: i + ((r >> 3) % (jitter + 1)) });
    }
    arrivals.sort((a, b) => a.key - b.key);
    return { start, n, capacity, missing, order: arrivals.map((a) => a.idx) };
  });

describe('ReorderBuffer properties', () => {
  it('any arrival order within the window: every packet released once, in order, losses flagged exactly', () => {
    fc.assert(
      fc.property(streamArb, ({ start, n, capacity, missing, order }) => {
        const released: { idx: number; lost: number }[] = [];
        const rb = new ReorderBuffer<number>({ packet: (idx, seq, lost) => {
          expect(seq).toBe((start + idx) & 0xffff);
          released.push({ idx, lost });
        } }, { capacity });
        for (const idx of order) rb.push((start + idx) & 0xffff, idx, 0);
        rb.flush();
        const arrived = [...new Set(order)].sort((a, b) => a - b);
        expect(released.map((r) => r.idx)).toEqual(arrived);
        // Each release carries exactly the number of never-arrived packets between it and the previous one.
        for (let k = 1; k < released.length; k++) {
          const a = released[k - 1]!.idx;
          const b = released[k]!.idx;
          let hole = 0;
          for (let i = a + 1; i < b; i++) if (missing.has(i)) hole++;
          expect(released[k]!.lost).toBe(b - a - 1);
          expect(hole).toBe(b - a - 1);
        }
        expect(released[0]!.lost).toBe(0);
        const last = arrived.at(-1)!;
        expect(rb.stats.lost).toBe([...missing].filter((i) => i < last).length);
        expect(rb.stats.duplicates).toBe(order.length - arrived.length);
        expect(rb.stats.late).toBe(0);
        expect(rb.heldCount).toBe(0);
        void n;
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('with time: a driver that ticks at each deadline never releases out of order or twice, nothing waits past its deadline, every packet is accounted for', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 90 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(0, 20, 100),
        fc.constantFrom(4, 32, 512),
        (steps, start, maxDelayMs, capacity) => {
          const out: number[] = [];
          let lostSum = 0;
          const rb = new ReorderBuffer<number>({ packet: (ext, seq, lost) => {
            expect(seq).toBe(ext & 0xffff);
            out.push(ext);
            lostSum += lost;
          } }, { maxDelayMs, capacity });
          let now = 0;
          for (const [offset, dt] of steps) {
            const next = now + dt;
            // The driver's one timer: tick at each deadline up to the next arrival.
            while (rb.deadline !== undefined && rb.deadline <= next) {
              now = rb.deadline;
              rb.tick(now);
              expect(rb.deadline === undefined || rb.deadline > now).toBe(true);
            }
            now = next;
            const ext = start + offset;
            rb.push(ext & 0xffff, ext, now);
            expect(rb.deadline === undefined || rb.deadline > now).toBe(true);
          }
          rb.flush();
          for (let k = 1; k < out.length; k++) expect(out[k]!).toBeGreaterThan(out[k - 1]!);
          const s = rb.stats;
          expect(s.released).toBe(out.length);
          expect(s.released + s.late + s.duplicates).toBe(steps.length);
          expect(s.lost).toBe(lostSum);
          // Whatever was lost lies between the first and the last released packet.
          if (out.length > 0) expect(lostSum).toBe(out.at(-1)! - out[0]! + 1 - out.length);
        },
      ),
      { numRuns: PROP_RUNS },
    );
  });
});
