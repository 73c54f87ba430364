/**
 * `npm run bench`: measures every case (1 s per measurement, 3 alternating rounds) and rewrites the
 * in-process section of bench/RESULTS.md. Other sections of that file (whole-process comparisons
 * written by bench/external.ts) are kept. Usage: node build/bench/run.js [name-regex]
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { measure, type BenchResult } from './harness.js';
import { loadCases } from './suites.js';
import { replaceSection, resultsPath, floorsPath } from './results-file.js';

const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const floors = JSON.parse(readFileSync(floorsPath, 'utf8')) as Record<string, number>;
const results: BenchResult[] = [];
for (const c of await loadCases(filter)) {
  const r = measure(c, { maxTime: 1, rounds: 3 });
  results.push(r);
  console.log(`${r.name.padEnd(44)} ${r.mbps.toFixed(0).padStart(7)} MB/s  ${r.unitsPerSec.toFixed(0).padStart(8)} ${r.unitName}/s  copy ${r.copyMbps.toFixed(0)} MB/s  ratio ${r.ratio.toFixed(3)}  ±${r.rme.toFixed(1)}%`);
}
const cpu = cpus()[0]?.model ?? 'unknown cpu';
const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} x ${cpu}, node ${process.version}, by \`npm run bench\``,
  '(best of 3 alternating rounds of 1 s; ratio = case MB/s / same-run Buffer.copy MB/s of the same chunks).',
  '',
  '| case | MB/s | units/s | Buffer.copy MB/s | ratio | gate floor |',
  '|---|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) => `| ${r.name} | ${r.mbps.toFixed(0)} | ${r.unitsPerSec.toFixed(0)} ${r.unitName} | ${r.copyMbps.toFixed(0)} | ${r.ratio.toFixed(3)} | ${floors[r.name]?.toFixed(2) ?? '—'} |`,
  ),
];
const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
writeFileSync(resultsPath, replaceSection(old, 'inprocess', lines.join('\n')));
console.log(`wrote ${resultsPath}`);
