import { describe, it } from 'vitest';
import fc from 'fast-check';
import { ByteQueue } from '../../src/bytes/byte-queue.js';
import { PROP_RUNS, splitAt, PROP_TIMEOUT, assertProp } from '../support/prop.js';

describe('ByteQueue properties', { timeout: PROP_TIMEOUT }, () => {
  it('behaves like one flat buffer under any chunking (model test)', async () => {
    await assertProp(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.array(fc.nat(200), { maxLength: 12 }),
        fc.array(fc.tuple(fc.constantFrom('take', 'skip', 'find', 'u32'), fc.nat(40), fc.uint8Array({ minLength: 1, maxLength: 4 })), { maxLength: 20 }),
        (data, cuts, ops) => {
          const q = new ByteQueue();
          for (const c of splitAt(data, cuts)) q.push(c);
          let flat = Buffer.from(data);
          let consumed = 0;
          for (const [op, n, needle] of ops) {
            if (op === 'take' && n <= flat.length) {
              const got = q.take(n);
              if (!Buffer.from(got).equals(flat.subarray(0, n))) return false;
              flat = flat.subarray(n);
              consumed += n;
            } else if (op === 'skip') {
              const k = Math.min(n, flat.length);
              q.skip(n);
              flat = flat.subarray(k);
              consumed += k;
            } else if (op === 'find') {
              if (q.indexOf(needle, n % 8) !== flat.indexOf(Buffer.from(needle), n % 8)) return false;
            } else if (op === 'u32' && n + 4 <= flat.length) {
              if (q.u32le(n) !== flat.readUInt32LE(n) || q.u32be(n) !== flat.readUInt32BE(n)) return false;
            }
            if (q.length !== flat.length || q.offset !== consumed) return false;
          }
          return true;
        },
      ),
      { numRuns: PROP_RUNS * 5 },
    );
  });
});
