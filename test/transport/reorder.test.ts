import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/rtp/reorder.js';

type Out = [seq: number, lost: number];

function make(opts: ConstructorParameters<typeof ReorderBuffer>[1] = {}): { rb: ReorderBuffer<string>; out: Out[] } {
  const out: Out[] = [];
  const rb = new ReorderBuffer<string>({ packet: (item, seq, lost) => {
    expect(item).toBe(`p${seq}`);
    out.push([seq, lost]);
  } }, opts);
  return { rb, out };
}
const push = (rb: ReorderBuffer<string>, seq: number, now = 0): void => rb.push(seq, `p${seq & 0xffff}`, now);

describe('ReorderBuffer', () => {
  it('passes an in-order stream straight through, with no deadline', () => {
    const { rb, out } = make();
    for (let s = 10; s < 15; s++) push(rb, s);
    expect(out).toEqual([[10, 0], [11, 0], [12, 0], [13, 0], [14, 0]]);
    expect(rb.deadline).toBeUndefined();
    expect(rb.stats).toMatchObject({ released: 5, reordered: 0, lost: 0 });
  });

  it('holds a packet that arrives ahead of a hole and releases both in order when the hole fills', () => {
    const { rb, out } = make();
    push(rb, 1, 0);
    push(rb, 3, 5);
    expect(out).toEqual([[1, 0]]);
    expect(rb.deadline).toBe(105);
    push(rb, 2, 50);
    expect(out).toEqual([[1, 0], [2, 0], [3, 0]]);
    expect(rb.deadline).toBeUndefined();
    expect(rb.stats.reordered).toBe(1);
  });

  it('gives a hole up at the deadline (not before): the next packet carries lost = hole size; the straggler is late', () => {
    const { rb, out } = make({ maxDelayMs: 100 });
    push(rb, 1, 0);
    push(rb, 4, 10);
    push(rb, 5, 20);
    rb.tick(109);
    expect(out).toEqual([[1, 0]]);
    rb.tick(110);
    expect(out).toEqual([[1, 0], [4, 2], [5, 0]]);
    push(rb, 2, 120);
    expect(out.length).toBe(3);
    expect(rb.stats).toMatchObject({ lost: 2, late: 1, duplicates: 0 });
  });

  it('drops duplicates of held and of released packets', () => {
    const { rb, out } = make();
    push(rb, 1);
    push(rb, 1);
    push(rb, 3);
    push(rb, 3);
    push(rb, 2);
    push(rb, 2);
    expect(out).toEqual([[1, 0], [2, 0], [3, 0]]);
    expect(rb.stats.duplicates).toBe(3);
    expect(rb.stats.late).toBe(0);
  });

  it('pushes the window forward when full: the passed holes are lost at once', () => {
    const { rb, out } = make({ capacity: 4 });
    push(rb, 1);
    for (const s of [3, 4, 5]) push(rb, s);
    expect(out).toEqual([[1, 0]]);
    push(rb, 6);
    expect(out).toEqual([[1, 0], [3, 1], [4, 0], [5, 0], [6, 0]]);
    expect(rb.stats).toMatchObject({ lost: 1, overflows: 1 });
    expect(rb.heldCount).toBe(0);
  });

  it('orders across the 16-bit wrap', () => {
    const { rb, out } = make();
    push(rb, 65534);
    push(rb, 0);
    push(rb, 65535);
    push(rb, 2);
    push(rb, 1);
    expect(out.map((o) => o[0])).toEqual([65534, 65535, 0, 1, 2]);
  });

  it('flush releases everything held in order, holes counted', () => {
    const { rb, out } = make();
    push(rb, 100);
    push(rb, 103);
    push(rb, 102);
    push(rb, 106);
    rb.flush();
    expect(out).toEqual([[100, 0], [102, 1], [103, 0], [106, 2]]);
    expect(rb.deadline).toBeUndefined();
  });

  it('a large jump is a sender restart only when the next packet follows it (RFC 3550 §A.1)', () => {
    const { rb, out } = make();
    push(rb, 10);
    push(rb, 40000); // stray: dropped
    push(rb, 11);
    push(rb, 20000);
    push(rb, 20001); // confirmed: restart
    push(rb, 20002);
    expect(out).toEqual([[10, 0], [11, 0], [20001, 0], [20002, 0]]);
    expect(rb.stats.restarts).toBe(1);
  });

  it('maxDelayMs 0 never waits: a gap is lost at once', () => {
    const { rb, out } = make({ maxDelayMs: 0 });
    push(rb, 1);
    push(rb, 3);
    push(rb, 2);
    expect(out).toEqual([[1, 0], [3, 1]]);
    expect(rb.stats.late).toBe(1);
  });
});
