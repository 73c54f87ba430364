import fc from 'fast-check';

/** Shared fast-check settings: quick by default, long with CAMSTREAM_PROP_RUNS=N. */
export const PROP_RUNS = Number(process.env.CAMSTREAM_PROP_RUNS ?? '') || 100;

/** Split `bytes` at the given cut points (sorted, deduplicated, clamped). */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = p;
  }
  if (prev < bytes.length) out.push(bytes.subarray(prev));
  return out;
}

/**
 * Per-test timeout for properties, scaled to the run count: the default 30 s at the quick default,
 * 100 ms per run beyond it (a bound on a hang, not a speed target: the slowest properties take
 * ~25 ms per run on a loaded 2-core machine). Applied with `describe(name, { timeout: PROP_TIMEOUT }, ...)`.
 */
export const PROP_TIMEOUT = Math.max(30_000, PROP_RUNS * 100);

/** Runs per `fc.assert` batch before `assertProp` yields to the event loop. */
const BATCH = 250;

/**
 * `fc.assert` in batches of at most 250 runs, yielding to the event loop between batches (a
 * `setImmediate`), so a long synchronous property does not block vitest's worker (its RPC calls time
 * out after a minute: "Timeout calling onTaskUpdate"). Each batch has its own seed, derived from one
 * base seed (`params.seed`, or random) and reported on failure with the batch, so a failure replays
 * with `{ seed, numRuns: 250 }`. At the default run count this is one batch: the plain `fc.assert`.
 */
export async function assertProp<Ts>(property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts> = {}): Promise<void> {
  const total = params.numRuns ?? PROP_RUNS;
  const base = params.seed ?? ((Math.random() * 0x7fffffff) | 0);
  for (let done = 0; done < total; done += BATCH) {
    const p = { ...params, numRuns: Math.min(BATCH, total - done), seed: (base + done) | 0 };
    if (property.isAsync()) await fc.assert(property as fc.IAsyncProperty<Ts>, p);
    else fc.assert(property as fc.IProperty<Ts>, p);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
