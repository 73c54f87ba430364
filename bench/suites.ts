/** Loads every bench/*.bench.js module next to this file (compiled) and collects its cases. */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchCase } from './harness.js';

export async function loadCases(filter?: RegExp): Promise<BenchCase[]> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.js')).sort();
  const out: BenchCase[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { cases?: () => BenchCase[] | Promise<BenchCase[]> };
    if (typeof mod.cases !== 'function') throw new Error(`${f} exports no cases()`);
    for (const c of await mod.cases()) if (!filter || filter.test(c.name)) out.push(c);
  }
  return out;
}
