import { describe, expect, it } from 'vitest';
import { SeqEvent, SequenceTracker, TimestampExtender } from '../../src/rtp/sequence.js';

describe('SequenceTracker', () => {
  it('extends across the 16-bit wrap and counts gaps, duplicates and old packets', () => {
    const t = new SequenceTracker();
    expect([65533, 65534, 65535, 0, 1].map((s) => t.push(s))).toEqual(Array(5).fill(SeqEvent.InOrder));
    expect(t.extendedMax).toBe(65536 + 1);
    expect(t.push(4)).toBe(SeqEvent.Gap);
    expect(t.lastLost).toBe(2);
    expect(t.push(4)).toBe(SeqEvent.Duplicate);
    expect(t.push(2)).toBe(SeqEvent.Old);
    expect([t.received, t.lost, t.duplicates, t.old, t.expected]).toEqual([6, 2, 1, 1, 8]);
    const r = t.takeReportCounters();
    expect(r).toEqual({ fractionLost: Math.floor((2 * 256) / 8), cumulativeLost: 2, extendedHighestSeq: 65540 });
    t.push(5);
    expect(t.takeReportCounters().fractionLost).toBe(0);
  });

  it('treats a huge jump as a restart only when confirmed by the next packet', () => {
    const t = new SequenceTracker();
    t.push(100);
    expect(t.push(40000)).toBe(SeqEvent.Old);
    expect(t.push(40001)).toBe(SeqEvent.Restart);
    expect(t.push(40002)).toBe(SeqEvent.InOrder);
    expect(t.lost).toBe(0);
  });
});

describe('TimestampExtender', () => {
  it('adds 2^32 on wrap and follows small backward steps', () => {
    const x = new TimestampExtender();
    expect(x.extend(0xffffff00)).toBe(0xffffff00);
    expect(x.extend(0x100)).toBe(0x100000100);
    expect(x.extend(0xfffffff0)).toBe(0xfffffff0);
    expect(x.extend(0x200)).toBe(0x100000200);
  });
});
