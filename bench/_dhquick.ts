import { measure } from './harness.js';
import { cases } from './dh-demux.bench.js';
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
for (const c of cases()) {
  if (filter && !filter.test(c.name)) continue;
  const r = measure(c, { maxTime: 0.5, rounds: 3 });
  console.log(`${r.name.padEnd(56)} ${r.mbps.toFixed(0).padStart(6)} MB/s copy ${r.copyMbps.toFixed(0)} ratio ${r.ratio.toFixed(3)}`);
}
