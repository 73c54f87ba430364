/**
 * Runs the many-sessions load (bench/load/generator.ts and bench/load/client.ts, each in its own
 * process): used by bench/many-sessions.ts (the full matrix, RESULTS.md) and bench/gate.ts (a short
 * N = 100 check with floors).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeTestH264 } from '../media-file.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The load stream: 20 s of 720p25 H.264 at 4 Mbit/s, 2 s GOP (a typical camera main stream). */
export function makeLoadFile(): string {
  return makeTestH264({ size: '1280x720', fps: 25, seconds: 20, mbps: 4, gop: 50 });
}

export const haveTaskset = spawnSync('taskset', ['--version']).status === 0 && cpus().length >= 2;
const pinned = (core: number, cmd: string, args: string[]): [string, string[]] => (haveTaskset ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
}

export interface GenResult {
  cpuS: number;
  wallS: number;
  framesSent: number;
  framesSkipped: number;
  bytesSent: number;
  lateP99Ms: number;
  largestUnit: number;
  meanUnit: number;
}

export interface ClientResult {
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

/**
 * One run: a fresh generator process, then a client process holding `n` sessions of `transport`
 * (`tcp`, `udp`, `auto`, or `tcp-bare` / `udp-bare` for the floor); both pinned to their own core.
 */
export async function runLoad(file: string, n: number, transport: string, warmupS: number, measureS: number, sampleS: number): Promise<{ gen: GenResult; client: ClientResult }> {
  const [gcmd, gargs] = pinned(0, process.execPath, [join(here, 'generator.js'), file, '--fps', '25']);
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
  const [ccmd, cargs] = pinned(1, process.execPath, ['--expose-gc', join(here, 'client.js'), `rtsp://127.0.0.1:${port}/load`, String(n), transport, String(warmupS), String(measureS), String(sampleS)]);
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

