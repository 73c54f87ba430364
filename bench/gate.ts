/**
 * `npm run bench:gate`: the release gate. Measures every case that has a floor quickly (0.2 s x 2 alternating rounds,
 * best kept) and fails when a case's ratio to Buffer.copy is below its floor in bench/floors.json.
 * Floors carry headroom for a noisy, shared 2-core machine; a case without a floor is reported only.
 * A floor naming a case that no longer exists fails too (a gate that silently checks nothing is a defect).
 *
 * Then a short whole-process check of many sessions in one process (bench/load, 4 Mbit/s each, 200
 * over TCP and 100 over UDP): the ratio of a bare reader's CPU to `RtspClient`'s CPU against its floor,
 * and hard limits on what must hold at any speed: one timer per session; over TCP no frame lost and
 * RSS per session at most 1 MiB beyond the largest access unit. It needs ffmpeg (docs/peers.md) to make the stream
 * once; without it the check fails in CI and is skipped elsewhere.
 */
import { readFileSync } from 'node:fs';
import { measure } from './harness.js';
import { loadCases } from './suites.js';
import { floorsPath } from './results-file.js';
import { makeLoadFile, runLoad } from './load/run.js';

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
  // Up to two retries for a case below its floor, a second apart, the best kept: a neighbouring
  // process can steal a core for a while (a shared CI machine once ran every DH case 3x slower for
  // a minute). A real regression stays below on every attempt.
  for (let retry = 0; retry < 2 && r.ratio < floor; retry++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = measure(c, { maxTime: 0.5, rounds: 3 });
    if (again.ratio > r.ratio) r = again;
  }
  const ok = floor === undefined || r.ratio >= floor;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(44)} ratio ${r.ratio.toFixed(3)}  floor ${floor?.toFixed(2) ?? '—'}  (${r.mbps.toFixed(0)} MB/s, copy ${r.copyMbps.toFixed(0)} MB/s)`);
}
// Whole-process: many sessions in one process against the bare-reader floor, same run.
let loadFile: string | undefined;
try {
  loadFile = makeLoadFile();
} catch (e) {
  if (process.env.CI) throw e;
  console.log(`skip many-sessions checks: ${(e as Error).message}`);
}
// TCP with 200 sessions, so the process's fixed growth (V8 young generation, code) weighs little in the
// RSS per session; UDP with 100 (node:dgram's per-datagram cost: see bench/RESULTS.md).
for (const [transport, n] of [['tcp', 200], ['udp', 100]] as const) {
  const name = `many-sessions: ${transport} N=${n}, bare reader CPU / RtspClient CPU`;
  seen.add(name);
  const floor = floors[name];
  if (!loadFile) continue;
  let ratio = 0;
  let c: Awaited<ReturnType<typeof runLoad>> | undefined;
  // One retry, as for the in-process cases.
  for (let attempt = 0; attempt < 2; attempt++) {
    const bare = await runLoad(loadFile, n, `${transport}-bare`, 4, 8, 10);
    c = await runLoad(loadFile, n, transport, 4, 8, 10);
    ratio = c.client.cores > 0 ? bare.client.cores / c.client.cores : 0;
    if (floor === undefined || ratio >= floor) break;
  }
  const cl = c!.client;
  const problems: string[] = [];
  if (floor !== undefined && ratio < floor) problems.push(`ratio below floor`);
  if (cl.sessions !== n) problems.push(`${cl.sessions} of ${n} sessions opened (${cl.startErrors[0] ?? ''})`);
  if (cl.clientTimers > cl.sessions) problems.push(`${cl.clientTimers} timers for ${cl.sessions} sessions`);
  const rssCap = 1024 + c!.gen.largestUnit / 1024;
  if (transport === 'tcp' && cl.rssPerSessionKiB > rssCap) problems.push(`RSS ${cl.rssPerSessionKiB} KiB per session > ${rssCap.toFixed(0)}`);
  if (transport === 'tcp' && (cl.gapFrames > 0 || c!.gen.framesSkipped > 0)) problems.push(`${cl.gapFrames} frames lost over TCP`);
  if (problems.length) failed++;
  console.log(
    `${problems.length ? 'FAIL' : 'ok  '} ${name.padEnd(44)} ratio ${ratio.toFixed(3)}  floor ${floor?.toFixed(2) ?? '—'}  (client ${cl.cores.toFixed(2)} cores, ${cl.rssPerSessionKiB} KiB/session, ${cl.clientTimers} timers, ${cl.gapFrames} lost, p99 ${cl.delayP99Ms.toFixed(1)} ms)${problems.length ? ': ' + problems.join('; ') : ''}`,
  );
}
for (const name of Object.keys(floors)) {
  if (!seen.has(name)) {
    failed++;
    console.log(`FAIL ${name}: floor set but no such benchmark case`);
  }
}
console.log(`bench gate: ${Object.keys(floors).length} gated cases, ${failed} below floor, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
