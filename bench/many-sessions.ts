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
 * Usage: npm run bench:many-sessions [-- --n 100,500,1000 --transports tcp,udp --measure 30
 *        --warmup 10 --soak 600 --soak-n 500]
 * Results go to the `many-sessions` section of bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { replaceSection, resultsPath } from './results-file.js';

const here = dirname(fileURLToPath(import.meta.url));

function makeFile(): string {
  const dir = join(tmpdir(), 'camstream-bench');
  const file = join(dir, 'camstream-load-720p25-4M.h264');
  if (existsSync(file) && statSync(file).size > 1e6) return file;
  mkdirSync(dir, { recursive: true });
  // 20 s of 1280x720 testsrc2 at 25 fps, 4 Mbit/s, 2 s GOP (a typical camera main stream).
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '20', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-b:v', '4M', '-maxrate', '4M', '-bufsize', '2M', '-g', '50', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264', file],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('ffmpeg could not make the load file (ffmpeg is required: docs/peers.md)');
  return file;
}

const haveTaskset = spawnSync('taskset', ['--version']).status === 0 && cpus().length >= 2;
const pinned = (core: number, cmd: string, args: string[]): [string, string[]] => (haveTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
}

interface GenResult {
  cpuS: number;
  wallS: number;
  framesSent: number;
  framesSkipped: number;
  bytesSent: number;
  lateP99Ms: number;
  largestUnit: number;
  meanUnit: number;
}

interface ClientResult {
  n: number;
  transport: string;
  sessions: number;
  transports: string[];
  startErrors: string[];
  wallS: number;
  cpuS: number;
  cores: number;
  rss0MiB: number;
  rssMiB: number;
  rssMaxMiB: number;
  heapMiB: number;
  rssPerSessionKiB: number;
  timers: number;
  clientTimers: number;
  delivered: number;
  bytesIn: number;
  gapFrames: number;
  lossFlagged: number;
  unstamped: number;
  lostPackets: number;
  droppedUnits: number;
  endedBeforeWindow: number;
  endedDuringWindow: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  samples: { t: number; rssMiB: number; heapMiB: number; externalMiB: number }[];
}

async function run(file: string, n: number, transport: string, warmupS: number, measureS: number, sampleS: number): Promise<{ gen: GenResult; client: ClientResult }> {
  const [gcmd, gargs] = pinned(0, process.execPath, [join(here, 'load', 'generator.js'), file, '--fps', '25']);
  const gen = spawn(gcmd, gargs, { stdio: ['ignore', 'pipe', 'inherit'] });
  let genResult: GenResult | undefined;
  const genDone = new Promise<void>((res) => gen.on('exit', () => res()));
  const port = await new Promise<number>((res, rej) => {
    lines(gen, (l) => {
      if (l.startsWith('READY ')) res(Number(l.slice(6)));
      else if (l.startsWith('{')) genResult = JSON.parse(l) as GenResult;
    });
    gen.once('exit', (c) => rej(new Error(`generator exited (${c})`)));
  });
  const [ccmd, cargs] = pinned(1, process.execPath, ['--expose-gc', join(here, 'load', 'client.js'), `rtsp://127.0.0.1:${port}/load`, String(n), transport, String(warmupS), String(measureS), String(sampleS)]);
  const client = spawn(ccmd, cargs, { stdio: ['ignore', 'pipe', 'inherit'] });
  let clientResult: ClientResult | undefined;
  lines(client, (l) => {
    if (l === 'WINDOW') gen.kill('SIGUSR2');
    else if (l.startsWith('{')) clientResult = JSON.parse(l) as ClientResult;
  });
  await new Promise<void>((res) => client.on('exit', () => res()));
  gen.kill('SIGTERM');
  await genDone;
  if (!clientResult || !genResult) throw new Error(`run N=${n} ${transport}: no result`);
  return { gen: genResult, client: clientResult };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : def;
  };
  const ns = opt('--n', '100,500,1000').split(',').map(Number);
  // `tcp-bare` / `udp-bare`: the floor (bench/load/client.ts BareClient), in the same run.
  const transports = opt('--transports', 'tcp-bare,tcp,udp-bare,udp').split(',');
  const bareCores = new Map<string, number>();
  const measureS = Number(opt('--measure', '30'));
  const warmupS = Number(opt('--warmup', '10'));
  const soakS = Number(opt('--soak', '0'));
  const soakN = Number(opt('--soak-n', '500'));
  const file = makeFile();
  const rows: string[] = [];
  let largest = 0;
  let mean = 0;
  const summary: string[] = [];
  for (const transport of transports) {
    for (const n of ns) {
      const { gen, client: c } = await run(file, n, transport, warmupS, measureS, 10);
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
    const { gen, client: c } = await run(file, soakN, 'tcp', warmupS, soakS, 30);
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
