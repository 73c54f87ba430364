/**
 * Many sessions in one process: the load generator (bench/load/generator.ts, its own process, one
 * prepacketized 4 Mbit/s 720p25 H.264 stream paced in real time per session) and the client
 * (bench/load/client.ts, N `RtspClient` sessions in one process), for N and transport in a matrix.
 * With two or more cores, each process is pinned to its own core (`taskset`), so "the client on
 * one core" is literal.
 *
 * Reported per run: client CPU (cores, and ms of CPU per session per second), RSS per session over
 * the process's idle baseline, timers, frames delivered and lost, and the 50th/99th percentile delay
 * from a frame's send time (stamped by the generator on the shared monotonic clock) to `frames()`.
 * `--soak S` adds one long run (N = --soak-n, TCP) sampling RSS and heap every 30 s.
 *
 * Usage: npm run bench:many-sessions [-- --n 100,500,1000 --udp-n 100,250
 *        --transports tcp-bare,tcp,udp-bare,udp --measure 30 --warmup 10 --soak 600 --soak-n 500]
 * Results go to the `many-sessions` section of bench/RESULTS.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceSection, resultsPath } from './results-file.js';
import { haveTaskset, makeLoadFile, runLoad } from './load/run.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : def;
  };
  const ns = opt('--n', '100,500,1000').split(',').map(Number);
  // UDP: the generator (node:dgram, one core) nears its limit at 250 sessions (94k datagrams/s) and
  // cannot feed 500 (187k/s): UDP runs stop where it still keeps up.
  const udpNs = opt('--udp-n', '100,250').split(',').map(Number);
  // `tcp-bare` / `udp-bare`: the floor (bench/load/client.ts BareClient), in the same run.
  const transports = opt('--transports', 'tcp-bare,tcp,udp-bare,udp').split(',');
  const bareCores = new Map<string, number>();
  const measureS = Number(opt('--measure', '30'));
  const warmupS = Number(opt('--warmup', '10'));
  const soakS = Number(opt('--soak', '0'));
  const soakN = Number(opt('--soak-n', '500'));
  const file = makeLoadFile();
  const rows: string[] = [];
  let largest = 0;
  let mean = 0;
  const summary: string[] = [];
  for (const transport of transports) {
    for (const n of transport.startsWith('udp') ? udpNs : ns) {
      const { gen, client: c } = await runLoad(file, n, transport, warmupS, measureS, 10);
      largest = gen.largestUnit;
      mean = gen.meanUnit;
      const expected = (gen.framesSent + gen.framesSkipped) || 1;
      const mbitPerSession = (c.bytesIn * 8) / 1e6 / c.wallS / Math.max(1, c.sessions);
      const bareRow = transport.endsWith('-bare');
      if (bareRow) bareCores.set(`${transport.slice(0, -5)} ${n}`, c.cores);
      const bare = bareCores.get(`${transport} ${n}`);
      const vsBare = transport.endsWith('-bare') ? '—' : bare ? (c.cores / bare).toFixed(2) : '?';
      const row = `| ${transport} | ${n} | ${c.sessions}${c.startErrors.length ? ` (${c.startErrors[0]})` : ''} | ${mbitPerSession.toFixed(2)} | ${c.cores.toFixed(2)} | ${vsBare} | ${((c.cpuS * 1000) / c.wallS / Math.max(1, c.sessions)).toFixed(3)} | ${((c.cpuS / (c.bytesIn / 1e9)) || 0).toFixed(2)} | ${c.rssPerSessionKiB} | ${c.rssMiB} | ${c.timers} (${c.clientTimers}) | ${c.delivered} | ${bareRow ? '—' : `${c.gapFrames} (${((100 * c.gapFrames) / expected).toFixed(3)} %)`} | ${gen.framesSkipped} | ${bareRow ? '—' : `${c.delayP50Ms.toFixed(2)} / ${c.delayP99Ms.toFixed(2)} / ${c.delayMaxMs.toFixed(1)}`} | ${(gen.cpuS / gen.wallS).toFixed(2)} / ${gen.lateP99Ms.toFixed(1)} |`;
      rows.push(row);
      console.log(row);
      summary.push(JSON.stringify({ transport, n, gen, client: { ...c, samples: undefined } }));
    }
  }
  let soak: string[] = [];
  if (soakS > 0) {
    const { gen, client: c } = await runLoad(file, soakN, 'tcp', warmupS, soakS, 30);
    const first = c.samples[1] ?? c.samples[0]!;
    const last = c.samples[c.samples.length - 1]!;
    soak = [
      '',
      `Soak: ${soakN} sessions over TCP for ${(c.wallS / 60).toFixed(1)} min (after ${warmupS} s warm-up), client ${c.cores.toFixed(2)} cores, ${c.delivered} frames delivered, ${c.gapFrames} lost, generator skipped ${gen.framesSkipped}, delay p99 ${c.delayP99Ms.toFixed(2)} ms.`,
      `RSS and heap (MiB) every 30 s: ${c.samples.map((s) => `${s.t}s ${s.rssMiB}/${s.heapMiB}`).join(', ')}.`,
      `From ${first.t} s to the end RSS went ${first.rssMiB} -> ${last.rssMiB} MiB (max ${c.rssMaxMiB}), heap ${first.heapMiB} -> ${last.heapMiB} MiB.`,
    ];
    console.log(soak.join('\n'));
  }
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, by \`npm run bench:many-sessions\``,
    `(${haveTaskset ? 'generator pinned to core 0, client to core 1' : 'not pinned'}; ${warmupS} s warm-up, ${measureS} s measured per row).`,
    `Stream: 720p25 H.264, 4 Mbit/s, 2 s GOP, mean access unit ${(mean / 1024).toFixed(0)} KiB, largest ${(largest / 1024).toFixed(0)} KiB, RTP payloads <= 1400 bytes.`,
    'Client: the built package, one `RtspClient` per session, `media: [\'video\']`, each reading `frames()`. CPU and RSS are the client process only;',
    'RSS per session is (RSS at the end of the window - RSS before the first session) / sessions. Delay: frame send time (generator) to delivery by `frames()`.',
    'Lost: frame indices missing in the delivered sequence (includes frames the generator skipped because a TCP client was not reading).',
    '',
    'Rows `tcp-bare` / `udp-bare` are the floor: a bare reader (hand-made SETUP/PLAY, then only counting marker bits) in place of `RtspClient`.',
    '',
    '| transport | N | sessions | Mbit/s per session | client cores | vs bare | CPU ms/s per session | CPU s/GB | RSS KiB/session | RSS MiB | timers (sessions with a timer) | frames | lost | generator skipped | delay ms p50 / p99 / max | generator cores / lateness p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    ...soak,
  ];
  const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
  writeFileSync(resultsPath, replaceSection(old, 'many-sessions', lines.join('\n')));
  writeFileSync(join(tmpdir(), 'camstream-bench', 'many-sessions.jsonl'), summary.join('\n') + '\n');
  console.log(lines.join('\n'));
  console.log(`wrote ${resultsPath}`);
}

await main();
