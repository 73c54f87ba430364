import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/bytes/byte-queue.js';
import { ProtocolError } from '../../src/errors.js';

function queueOf(...parts: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const p of parts) q.push(Buffer.from(p, 'latin1'));
  return q;
}

describe('ByteQueue', () => {
  it('take returns a view inside one chunk and an exact copy across chunks', () => {
    const a = Buffer.from('hello');
    const q = new ByteQueue();
    q.push(a);
    q.push(Buffer.from('world'));
    const view = q.take(3);
    expect(view.toString()).toBe('hel');
    a[0] = 0x48; // 'H': the view aliases the pushed chunk (no copy)
    expect(view.toString()).toBe('Hel');
    const spanning = q.take(4);
    expect(spanning.toString()).toBe('lowo');
    expect(spanning.length).toBe(4);
    a[4] = 0x4f; // 'O': the spanning result is a copy, unaffected
    expect(spanning.toString()).toBe('lowo');
    expect(q.length).toBe(3);
    expect(q.offset).toBe(7);
  });

  it('reads little- and big-endian integers across chunk edges', () => {
    const q = new ByteQueue();
    q.push(Uint8Array.of(0x01));
    q.push(Uint8Array.of(0x02, 0x03));
    q.push(Uint8Array.of(0x84, 0x05));
    expect(q.u32le(0)).toBe(0x84030201);
    expect(q.u32be(0)).toBe(0x01020384);
    expect(q.u16le(1)).toBe(0x0302);
    expect(q.u16be(3)).toBe(0x8405);
  });

  it('finds needles inside chunks and straddling chunk edges', () => {
    const q = queueOf('ab--', 'bo', 'undary', 'x--boundary');
    expect(q.indexOf(Buffer.from('--boundary'))).toBe(2);
    expect(q.indexOf(Buffer.from('--boundary'), 3)).toBe(13);
    expect(q.indexOf(0x78 /* 'x' */)).toBe(12);
    expect(q.indexOf(Buffer.from('zz'))).toBe(-1);
  });

  it('releases chunk references once consumed', () => {
    const q = new ByteQueue();
    for (let i = 0; i < 100; i++) q.push(Buffer.alloc(10, i));
    q.skip(995);
    expect(q.chunkCount).toBe(1);
    expect(q.byteAt(0)).toBe(99);
  });

  it('ProtocolError carries code, offset, context and a bounded hex preview', () => {
    const e = new ProtocolError('DH_BAD_LENGTH', 'packet length 7 below header size', {
      offset: 1234,
      context: { channel: 1 },
      bytes: Buffer.alloc(100, 0xab),
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('DH_BAD_LENGTH');
    expect(e.offset).toBe(1234);
    expect(e.message).toContain('at byte 1234');
    expect(e.preview.split(' ').filter((x) => x === 'ab')).toHaveLength(64);
    expect(JSON.parse(JSON.stringify(e)).code).toBe('DH_BAD_LENGTH');
  });
});
