/**
 * A short, deterministic fuzz campaign over every target (the same engine as `npm run fuzz`), so
 * the default test run exercises the three oracles on mutated inputs. Bounded by a case count, not a
 * clock: CAMSTREAM_FUZZ_CASES (default 25 per target) and CAMSTREAM_FUZZ_SEED (default fixed) make a
 * longer or different campaign, e.g. in CI with a new seed per run. A failure prints the input.
 */
import { describe, expect, it } from 'vitest';
import { TARGETS } from './targets.js';
import { campaign } from './engine.js';

const CASES = Number(process.env.CAMSTREAM_FUZZ_CASES ?? '') || 25;
const SEED = Number(process.env.CAMSTREAM_FUZZ_SEED ?? '') || 20261129;

describe('fuzz campaign (bounded)', { timeout: Math.max(30_000, CASES * 400) }, () => {
  TARGETS.forEach((t, i) => {
    it(`${t.name}: ${CASES} mutated cases hold the oracles`, () => {
      const r = campaign(t, CASES, (SEED + i * 7919) >>> 0, true);
      const f = r.findings[0];
      const where = f === undefined ? '' : `\n${f.kind}: ${f.detail}\ninput (${f.input.length} bytes, hex prefix): ${Buffer.from(f.input.subarray(0, 2048)).toString('hex')}\ncuts: ${JSON.stringify(f.cuts?.slice(0, 32) ?? [])}\nreproduce: CAMSTREAM_FUZZ_SEED=${SEED} CAMSTREAM_FUZZ_CASES=${CASES} npx vitest run test/fuzz/campaign.test.ts -t '${t.name}'`;
      expect(r.findings.length, where).toBe(0);
      expect(r.cases).toBe(CASES);
    });
  });
});
