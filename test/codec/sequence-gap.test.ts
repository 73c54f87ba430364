import { describe, expect, it } from 'vitest';
import { OLD_PACKET, SequenceGap } from '../../src/codec/sequence-gap.js';

describe('SequenceGap', () => {
  it('counts packets, losses before a packet and old packets, across the 16-bit wrap', () => {
    const stats = { packets: 0, lostPackets: 0, oldPackets: 0 };
    const g = new SequenceGap(stats);
    expect([65533, 65534, 1, 0, 1, 2, 5].map((s) => g.next(s))).toEqual([0, 0, 2, OLD_PACKET, OLD_PACKET, 0, 2]);
    expect(stats).toEqual({ packets: 7, lostPackets: 4, oldPackets: 2 });
  });

  it('a jump of half the number space or more is an old packet, not a loss', () => {
    const stats = { packets: 0, lostPackets: 0, oldPackets: 0 };
    const g = new SequenceGap(stats);
    expect([100, 100 + 0x7fff, 100 + 0x8000 + 0x8000].map((s) => g.next(s & 0xffff))).toEqual([0, 0x7ffe, OLD_PACKET]);
    expect(stats.lostPackets).toBe(0x7ffe);
  });

  it('reset: the next packet is taken as the first', () => {
    const stats = { packets: 0, lostPackets: 0, oldPackets: 0 };
    const g = new SequenceGap(stats);
    g.next(10);
    g.reset();
    expect(g.next(3)).toBe(0);
    expect(g.next(4)).toBe(0);
    expect(stats).toEqual({ packets: 3, lostPackets: 0, oldPackets: 0 });
  });
});
