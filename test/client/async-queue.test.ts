import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/client/async-queue.js';

describe('AsyncQueue', () => {
  it('delivers items in order to a waiting and a late consumer', async () => {
    const q = new AsyncQueue<number>();
    const first = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    q.end();
    expect(await first).toEqual({ value: 1, done: false });
    const rest: number[] = [];
    for await (const v of q) rest.push(v);
    expect(rest).toEqual([2, 3]);
  });

  it('signals pressure above the high-water mark and releases it at half', async () => {
    const calls: boolean[] = [];
    const q = new AsyncQueue<number>(4, (p) => calls.push(p));
    for (let i = 0; i < 6; i++) q.push(i);
    expect(calls).toEqual([true]);
    await q.next();
    await q.next();
    expect(calls).toEqual([true]);
    await q.next();
    await q.next();
    expect(calls).toEqual([true, false]);
  });

  it('rejects the consumer with the end error after draining', async () => {
    const q = new AsyncQueue<number>();
    q.push(7);
    q.end(new Error('boom'));
    expect(await q.next()).toEqual({ value: 7, done: false });
    await expect(q.next()).rejects.toThrow('boom');
  });
});

describe('AsyncQueue end', () => {
  it('releases pressure when the consumer stops early (break out of for-await)', async () => {
    const calls: boolean[] = [];
    const q = new AsyncQueue<number>(2, (p) => calls.push(p));
    for (let i = 0; i < 5; i++) q.push(i);
    for await (const v of q) if (v === 0) break;
    expect(calls).toEqual([true, false]);
    q.push(99); // ignored after the end
    expect(q.size).toBe(0);
  });
});
