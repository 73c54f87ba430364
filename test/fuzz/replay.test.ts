/**
 * Replays every input the fuzzer found (corpus/fuzz/<target>/*.bin, with the chunking and expected
 * units in the .json beside it) through all the oracles of its target: each is a regression test.
 * `npm run fuzz` writes new ones there; fix the defect, then commit the files.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, targetByName } from './targets.js';
import { check } from './engine.js';

interface Meta {
  target: string;
  kind: string;
  detail: string;
  /** Cut points of the chunking that failed, or 'bytes' for 1-byte chunks. */
  cuts?: number[] | 'bytes';
  /** Unit keys that must be delivered (intact oracle). */
  expect?: string[];
}

const root = join(repoRoot(), 'corpus', 'fuzz');
const files = existsSync(root)
  ? readdirSync(root).flatMap((t) => readdirSync(join(root, t)).filter((f) => f.endsWith('.bin')).map((f) => join(root, t, f)))
  : [];

describe('fuzz findings replay', () => {
  it('the corpus holds found inputs for several targets', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of files) {
    it(file.slice(root.length + 1), () => {
      const meta = JSON.parse(readFileSync(file.replace(/\.bin$/, '.json'), 'utf8')) as Meta;
      const t = targetByName(meta.target);
      expect(t, `target ${meta.target}`).toBeDefined();
      const input = new Uint8Array(readFileSync(file));
      const cuts = meta.cuts === 'bytes' ? Array.from({ length: Math.max(0, input.length - 1) }, (_, i) => i + 1) : (meta.cuts ?? []);
      const findings = check(t!, input, cuts, meta.expect);
      expect(findings.map((f) => `${f.kind}: ${f.detail.split('\n')[0]}`)).toEqual([]);
    });
  }
});
