/** ByteQueue: push 64 KiB chunks and take 1400-byte units (views, one copy across edges). */
import { ByteQueue } from '../src/bytes/byte-queue.js';
import { chunked, consume, type BenchCase } from './harness.js';

export function cases(): BenchCase[] {
  const data = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const chunks = chunked(data);
  const unit = 1400;
  const units = Math.floor(data.length / unit);
  return [
    {
      name: 'byte-queue take 1400 B (64 KiB chunks)',
      chunks,
      units,
      unitName: 'units',
      fn: () => {
        const q = new ByteQueue();
        let acc = 0;
        for (const c of chunks) {
          q.push(c);
          while (q.length >= unit) acc += q.take(unit)[0]!;
        }
        consume(acc);
      },
    },
  ];
}
