import { cases } from './dh-demux.bench.js';
const c = cases()[Number(process.argv[2] ?? 0)]!;
const t0 = Date.now();
let n = 0;
while (Date.now() - t0 < 3000) { c.fn(); n++; }
console.log(c.name, n, 'passes', ((Date.now() - t0) * 1000 / n).toFixed(1), 'us/pass');
