/**
 * `npm run bench:gate`: the release gate. Measures every case that has a floor quickly (0.2 s x 2 alternating rounds,
 * best kept) and fails when a case's ratio to Buffer.copy is below its floor in bench/floors.json.
 * Floors carry headroom for a noisy, shared 2-core machine; a case without a floor is reported only.
 * A floor naming a case that no longer exists fails too (a gate that silently checks nothing is a defect).
 */
import { readFileSync } from 'node:fs';
import { measure } from './harness.js';
import { loadCases } from './suites.js';
import { floorsPath } from './results-file.js';

const floors = JSON.parse(readFileSync(floorsPath, 'utf8')) as Record<string, number>;
const cases = await loadCases();
const seen = new Set<string>();
let failed = 0;
const t0 = Date.now();
for (const c of cases) {
  seen.add(c.name);
  const floor = floors[c.name];
  // Cases without a floor (competitors measured for RESULTS.md) are for `npm run bench`, not the gate.
  if (floor === undefined) continue;
  let r = measure(c, { maxTime: 0.2, rounds: 2 });
  // One retry for a case below its floor: a neighbouring process can steal a core for a moment.
  if (floor !== undefined && r.ratio < floor) r = measure(c, { maxTime: 0.5, rounds: 3 });
  const ok = floor === undefined || r.ratio >= floor;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(44)} ratio ${r.ratio.toFixed(3)}  floor ${floor?.toFixed(2) ?? '—'}  (${r.mbps.toFixed(0)} MB/s, copy ${r.copyMbps.toFixed(0)} MB/s)`);
}
for (const name of Object.keys(floors)) {
  if (!seen.has(name)) {
    failed++;
    console.log(`FAIL ${name}: floor set but no such benchmark case`);
  }
}
console.log(`bench gate: ${Object.keys(floors).length} gated cases, ${failed} below floor, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
