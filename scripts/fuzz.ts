/**
 * `npm run fuzz -- [target ...] [--seconds N] [--seed S] [--jobs J] [--hang-ms MS] [--memory-mb MB] [--list]`
 *
 * A structure-aware mutation fuzzer for every parser (targets: test/fuzz/targets.ts; mutations and
 * oracles: test/fuzz/engine.ts). Each target runs in a worker thread, for an equal share of
 * `--seconds` (default 60), `--jobs` workers at a time (default 1). Oracles: only ProtocolErrors, the
 * same outcome under any chunking, no intact unit lost. A watchdog ends a worker whose case has not
 * finished within `--hang-ms` (default 10000): a hang. A worker over `--memory-mb` of heap (default
 * 512) is ended by V8: a memory finding. Either way the input being run is saved (the worker keeps
 * it in shared memory before each case) and the target restarts with the next seed.
 *
 * Findings are written to corpus/fuzz/<target>/<kind>-<hash>.bin (the input) and .json (what
 * failed, the chunking), and test/fuzz/replay.test.ts replays every file there. Exit status 1 when
 * anything was found. Run it for hours with e.g. `npm run fuzz -- --seconds 14400 --jobs 2`.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS, repoRoot, targetByName } from '../test/fuzz/targets.js';
import { Rng, check, makeCase, randomCuts, type Finding } from '../test/fuzz/engine.js';

/** Largest input kept in shared memory for the watchdog (inputs are far smaller: seeds are KBs). */
const SHARED_MAX = 4 * 1024 * 1024;

interface Job {
  target: string;
  seed: number;
  deadline: number;
  shared: SharedArrayBuffer;
}

type FromWorker = { type: 'finding'; finding: Omit<Finding, 'input'> & { input: Uint8Array } } | { type: 'done'; cases: number };

function workerMain(): void {
  const job = workerData as Job;
  const t = targetByName(job.target)!;
  // [0]: cases started (the watchdog's heartbeat), [1]: input length; bytes from offset 8.
  const meta = new Int32Array(job.shared, 0, 2);
  const bytes = new Uint8Array(job.shared, 8);
  const rng = new Rng(job.seed);
  const seeds = t.seeds();
  const cleans = seeds.map((s) => t.run([s.bytes]));
  let cases = 0;
  while (Date.now() < job.deadline) {
    const k = rng.int(seeds.length);
    const c = makeCase(rng, t, seeds[k]!, seeds, cleans[k]!);
    const n = Math.min(c.input.length, SHARED_MAX - 8);
    bytes.set(c.input.subarray(0, n));
    Atomics.store(meta, 1, n);
    Atomics.add(meta, 0, 1);
    for (const f of check(t, c.input, randomCuts(rng, c.input.length), c.expect)) parentPort!.postMessage({ type: 'finding', finding: f } satisfies FromWorker);
    cases++;
  }
  parentPort!.postMessage({ type: 'done', cases } satisfies FromWorker);
}

interface Options {
  targets: string[];
  seconds: number;
  seed: number;
  jobs: number;
  hangMs: number;
  memoryMb: number;
}

function parseArgs(argv: string[]): Options | 'list' {
  const o: Options = { targets: [], seconds: 60, seed: (Date.now() ^ (process.pid << 16)) >>> 0, jobs: 1, hangMs: 10_000, memoryMb: 512 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--seconds') o.seconds = num();
    else if (a === '--seed') o.seed = num() >>> 0;
    else if (a === '--jobs') o.jobs = Math.max(1, Math.floor(num()));
    else if (a === '--hang-ms') o.hangMs = num();
    else if (a === '--memory-mb') o.memoryMb = num();
    else if (a === '--list') return 'list';
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else if (targetByName(a) === undefined) throw new Error(`unknown target ${a} (--list shows them)`);
    else o.targets.push(a);
  }
  if (o.targets.length === 0) o.targets = TARGETS.map((t) => t.name);
  return o;
}

function save(f: { kind: string; target: string; detail: string; input: Uint8Array; cuts?: number[]; expect?: string[] }): string {
  const dir = join(repoRoot(), 'corpus', 'fuzz', f.target);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha1').update(f.input).digest('hex').slice(0, 12);
  const base = join(dir, `${f.kind}-${hash}`);
  writeFileSync(`${base}.bin`, f.input);
  const cuts = f.cuts !== undefined && f.cuts.length > 64 && f.cuts.length === f.input.length - 1 ? 'bytes' : f.cuts;
  writeFileSync(`${base}.json`, JSON.stringify({ target: f.target, kind: f.kind, detail: f.detail.split('\n')[0], cuts, found: new Date().toISOString() }, null, 2) + '\n');
  return `${base}.bin`;
}

/** Runs one target until its deadline, restarting its worker after a hang or a memory finding. */
async function runTarget(name: string, deadline: number, o: Options, seed: number, report: (line: string) => void): Promise<{ cases: number; findings: number }> {
  let cases = 0;
  let findings = 0;
  let round = 0;
  while (Date.now() < deadline) {
    const shared = new SharedArrayBuffer(SHARED_MAX);
    const meta = new Int32Array(shared, 0, 2);
    const job: Job = { target: name, seed: (seed + round++ * 0x9e3779b9) >>> 0, deadline, shared };
    const w = new Worker(new URL(import.meta.url), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: o.memoryMb } });
    const current = (): Uint8Array => new Uint8Array(shared, 8, Atomics.load(meta, 1)).slice();
    await new Promise<void>((resolve) => {
      let last = -1;
      let since = Date.now();
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearInterval(dog);
        resolve();
      };
      const dog = setInterval(() => {
        const n = Atomics.load(meta, 0);
        if (n !== last) {
          last = n;
          since = Date.now();
          return;
        }
        // Before the first case the worker is loading its seeds: a startup grace, not a hang.
        if (Date.now() - since > (n === 0 ? Math.max(o.hangMs, 60_000) : o.hangMs)) {
          findings++;
          report(`${name}: HANG (no progress for ${o.hangMs} ms) -> ${save({ kind: 'hang', target: name, detail: `no progress for ${o.hangMs} ms`, input: current() })}`);
          void w.terminate();
          finish();
        }
      }, Math.min(1000, Math.max(50, o.hangMs / 4)));
      w.on('message', (m: FromWorker) => {
        if (m.type === 'finding') {
          findings++;
          report(`${name}: ${m.finding.kind.toUpperCase()} ${m.finding.detail.split('\n')[0]} -> ${save(m.finding)}`);
        } else {
          cases += m.cases;
          finish();
        }
      });
      w.on('error', (e: Error & { code?: string }) => {
        findings++;
        const kind = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crash';
        report(`${name}: ${kind.toUpperCase()} ${e.message} -> ${save({ kind, target: name, detail: e.message, input: current() })}`);
        finish();
      });
      w.on('exit', () => finish());
    });
  }
  return { cases, findings };
}

async function main(): Promise<void> {
  let o: Options | 'list';
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}`);
    process.exit(2);
  }
  if (o === 'list') {
    for (const t of TARGETS) console.log(`${t.name.padEnd(14)} ${t.chunked ? 'chunked' : 'whole  '} ${t.intact ? 'intact-units' : ''}`);
    return;
  }
  const opts = o;
  // Targets run back to back in `jobs` lanes: each gets seconds * jobs / targets, the total stays ~seconds.
  const share = (opts.seconds * 1000 * Math.min(opts.jobs, opts.targets.length)) / opts.targets.length;
  console.log(`fuzz: ${opts.targets.length} targets, ${opts.seconds} s, seed ${opts.seed}, ${opts.jobs} job(s); findings go to corpus/fuzz/<target>/`);
  const queue = opts.targets.map((name, i) => ({ name, i }));
  let total = 0;
  let found = 0;
  const start = Date.now();
  async function lane(): Promise<void> {
    for (;;) {
      const next = queue.shift();
      if (next === undefined) return;
      const r = await runTarget(next.name, Date.now() + share, opts, (opts.seed + next.i * 7919) >>> 0, (l) => console.log(l));
      total += r.cases;
      found += r.findings;
      console.log(`${next.name.padEnd(14)} ${String(r.cases).padStart(8)} cases  ${r.findings} finding(s)`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.jobs, queue.length) }, () => lane()));
  console.log(`fuzz: ${total} cases in ${((Date.now() - start) / 1000).toFixed(1)} s, ${found} finding(s)`);
  process.exit(found > 0 ? 1 : 0);
}

if (isMainThread) await main();
else workerMain();
