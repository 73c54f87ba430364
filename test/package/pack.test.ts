/**
 * The package as a user gets it: `npm pack`, install the tarball into an empty folder (no checkout,
 * no registry: zero dependencies, `--offline`), then run what a new user runs first. Needs dist/
 * (`npm test` builds it first); outside CI a missing dist/ skips with a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const haveDist = existsSync(join(root, 'dist/cli/main.js'));
if (!haveDist && process.env['CI']) throw new Error('dist/ is missing in CI: run npm run build first');
if (!haveDist) console.warn('skipping the package test: dist/ is missing (npm run build)');

let tmp: string;
let app: string;
let pkgDir: string;
let tarball: string;

function npm(args: string[], cwd: string): string {
  // A private cache: nothing is read from or written to the user's npm cache.
  return execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_cache: join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' } });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

describe.skipIf(!haveDist)('the packed tarball, installed into an empty folder', () => {
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'camstream-pack-'));
    app = join(tmp, 'app');
    mkdirSync(app);
    // --ignore-scripts: pack the dist/ that `npm test` built (prepack would rebuild it under the feet
    // of the other test files that run the built CLI); the prepack script itself is checked below.
    const [info] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], root)) as [{ filename: string }];
    tarball = join(tmp, info.filename);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(['install', '--offline', '--no-audit', '--no-fund', tarball], app);
    pkgDir = join(app, 'node_modules/camstream');
  }, 60_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs without install scripts and builds in prepack', () => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies?: object };
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.scripts['prepack']).toContain('npm run build');
    expect(pkg.scripts['build']).toMatch(/^node scripts\/clean-dist.mjs && /);
    expect(pkg.dependencies).toBeUndefined();
  });

  it('is small, and every source map points at a shipped file', () => {
    // A loose cap that catches shipping a whole corpus or build tree by mistake; the code itself grows.
    expect(statSync(tarball).size).toBeLessThan(4 * 1024 * 1024);
    const files = walk(pkgDir).map((f) => f.slice(pkgDir.length + 1));
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('bench/'))).toBe(false);
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    for (const m of maps) {
      const { sources } = JSON.parse(readFileSync(join(pkgDir, m), 'utf8')) as { sources: string[] };
      for (const s of sources) expect(existsSync(resolve(dirname(join(pkgDir, m)), s)), `${m} -> ${s}`).toBe(true);
    }
  });

  it('npx camstream demo runs, checks its recording and leaves no temporary file', () => {
    const demoTmp = join(tmp, 'demo-tmp');
    mkdirSync(demoTmp);
    const r = spawnSync('npx', ['--no-install', 'camstream', 'demo', '--duration', '1'], { cwd: app, encoding: 'utf8', timeout: 30_000, env: { ...process.env, TMPDIR: demoTmp, npm_config_cache: join(tmp, 'npm-cache') } });
    expect(r.stderr).not.toMatch(/ENOENT|Error:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/check: all \d+ NAL units equal the source/);
    expect(r.stdout.match(/^recorded /gm)).toHaveLength(1);
    expect(readdirSync(demoTmp)).toEqual([]);
  });

  it('camstream/testing: VirtualCamera and VirtualHttpCamera start from the installed package', () => {
    const script = `
      import { VirtualCamera, VirtualHttpCamera } from 'camstream/testing';
      import { RtspClient, CameraHttp } from 'camstream';
      const rtsp = await new VirtualCamera({ pace: 'fast' }).start();
      const http = await new VirtualHttpCamera({ pace: 'fast' }).start();
      const c = new RtspClient(rtsp.url(), { keepalive: false });
      const d = await c.describe();
      await c.close();
      const jpeg = await new CameraHttp(http.url('/')).snapshot({ channel: 1 });
      await rtsp.stop();
      await http.stop();
      console.log(JSON.stringify({ tracks: d.tracks.length, jpeg: jpeg.length }));
    `;
    writeFileSync(join(app, 'virtual.mjs'), script);
    const r = spawnSync(process.execPath, ['virtual.mjs'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { tracks: number; jpeg: number };
    expect(out.tracks).toBeGreaterThan(0);
    expect(out.jpeg).toBeGreaterThan(1000);
  });

  it("require('camstream') works (Node >= 20.19 loads the ESM build) and equals the import", () => {
    const r = spawnSync(process.execPath, ['-e', "const c = require('camstream'); const p = require('camstream/parsers'); console.log(JSON.stringify([typeof c.RtspClient, typeof c.createDemuxer, typeof p.RtspStreamParser, Object.keys(c).length]))"], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [client, demux, parser, n] = JSON.parse(r.stdout) as [string, string, string, number];
    expect([client, demux, parser]).toEqual(['function', 'function', 'function']);
    const esm = spawnSync(process.execPath, ['--input-type=module', '-e', "import * as c from 'camstream'; console.log(Object.keys(c).length)"], { cwd: app, encoding: 'utf8' });
    expect(Number(esm.stdout)).toBe(n);
  });

  it('the types compile in a strict NodeNext project, including the type of createDemuxer()', () => {
    writeFileSync(
      join(app, 'use.ts'),
      `import { createDemuxer, RtspClient, ProtocolError, type Demuxer, type DhFrame, type RtspFrame } from 'camstream';
       import { RtspStreamParser } from 'camstream/parsers';
       import { VirtualCamera } from 'camstream/testing';
       const frames: DhFrame[] = [];
       const d: Demuxer = createDemuxer({ frame: (f) => frames.push(f), event: () => {} });
       d.push(new Uint8Array(0)); d.end();
       const n: number = d.stats.bytes;
       const f = (x: RtspFrame): number => x.data.length;
       export { n, f, RtspClient, ProtocolError, RtspStreamParser, VirtualCamera };
      `,
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')], skipLibCheck: true, lib: ['ES2022'] }, files: ['use.ts'] }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 30_000);
});
