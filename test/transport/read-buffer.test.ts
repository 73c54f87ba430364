/**
 * transport/connect.ts ReadBuffer: a plain TCP socket reads into one reused buffer (Node's `onread`).
 * What arrives before a handler is attached is copied and handed over in order; after that each
 * chunk is a view of the one buffer. A real socket pair checks that every byte arrives, in order,
 * through one buffer.
 */
import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { openSocket, ReadBuffer } from '../../src/transport/connect.js';

describe('ReadBuffer', () => {
  it('chunks read before attach are copies, handed over in order; later ones are views of the one buffer', () => {
    const rb = new ReadBuffer(8);
    rb.buffer.set([1, 2, 3]);
    rb.onRead(3);
    rb.buffer.set([4, 5]);
    rb.onRead(2);
    const got: number[][] = [];
    const views: boolean[] = [];
    rb.attach((c) => {
      got.push([...c]);
      views.push(c.buffer === rb.buffer.buffer);
    });
    rb.buffer.set([6, 7, 8, 9]);
    expect(rb.onRead(4)).toBe(true);
    expect(got).toEqual([[1, 2, 3], [4, 5], [6, 7, 8, 9]]);
    expect(views).toEqual([false, false, true]);
  });

  it('a TCP socket opened with it delivers every byte in order through the one buffer', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + (i >> 9)) & 0xff;
    const server = createServer((s) => s.end(payload));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const rb = new ReadBuffer(4096);
      const sock = await openSocket({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, readInto: rb, timeoutMs: 5000 });
      const received = Buffer.alloc(payload.length);
      let n = 0;
      let foreign = 0;
      rb.attach((c) => {
        if (c.buffer !== rb.buffer.buffer) foreign++;
        expect(n + c.length).toBeLessThanOrEqual(payload.length);
        c.copy(received, n);
        n += c.length;
      });
      await new Promise<void>((r) => sock.once('close', () => r()));
      expect(n).toBe(payload.length);
      expect(received.equals(payload)).toBe(true);
      expect(foreign).toBe(0);
    } finally {
      server.close();
    }
  });
});
