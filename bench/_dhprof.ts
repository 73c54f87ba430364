import { cases } from './dh-demux.bench.js';
import { copyBaseline } from './harness.js';
const which = (process.argv[2] ?? '0,1,2,3').split(',').map(Number);
const all = cases();
const copy = copyBaseline(all[0]!.chunks);
function best(fn: () => void): number {
  let b = Infinity;
  const t0 = Date.now();
  while (Date.now() - t0 < 1500) {
    const s = process.hrtime.bigint();
    for (let i = 0; i < 50; i++) fn();
    b = Math.min(b, Number(process.hrtime.bigint() - s) / 50 / 1000);
  }
  return b;
}
for (const w of which) {
  const c = all[w]!;
  const cb = best(copy);
  const t = best(c.fn);
  const cb2 = best(copy);
  console.log(`${c.name.padEnd(56)} ${t.toFixed(1)} us/pass  copy ${Math.min(cb, cb2).toFixed(1)} us  ratio(min-based) ${(Math.min(cb, cb2) / t).toFixed(3)}`);
}
