/**
 * `npm run bench:external`: whole-process DHAV demux of a large .dav file, camstream against ffmpeg,
 * with `cat` as the floor. Rewrites the `external-dh` section of bench/RESULTS.md.
 *
 * The file (~300 MB, in a temp dir, deleted at the end) repeats the frames of corpus/dh/h264-g711a.dav
 * (640x360 H.264 + G.711A, 25 fps) with sequence numbers, the 16-bit ms counter and the packed date
 * running on, so it is one valid ~2 h stream: a DAHUA file header, then I/P/audio packets with
 * extensions and trailers, written by the test-only muxer (test/support/dh-mux.ts).
 *
 * Timed as processes (page cache warm, alternating, best and median of RUNS), CPU = user + sys of the
 * child from /usr/bin/time (wall only when it is missing):
 *   cat FILE > /dev/null                           the floor: reading the bytes
 *   ffmpeg -v error -i FILE -c copy -f null -      FFmpeg's dhav demuxer, packets to the null muxer
 *   node dist/cli/main.js demux FILE               camstream, summary mode
 * Usage: node build/bench/external.js [--mb 300] [--runs 5] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DhavDemuxer } from '../src/dh/dhav-demuxer.js';
import { muxDhav, packDhavDate, type MuxFrame } from '../test/support/dh-mux.js';
import { replaceSection, resultsPath } from './results-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}
const TARGET_MB = arg('mb', 300);
const RUNS = arg('runs', 5);
const KEEP = process.argv.includes('--keep');

interface Source {
  kind: 'video' | 'audio';
  key: boolean;
  payload: Buffer;
}

/** The corpus stream's frames, through our own demuxer (the interop tests hold it to FFmpeg's). */
function sourceFrames(): Source[] {
  const bytes = readFileSync(join(root, 'corpus', 'dh', 'h264-g711a.dav'));
  const out: Source[] = [];
  const d = new DhavDemuxer({
    frame: (f) => {
      if (f.kind !== 'aux') out.push({ kind: f.kind, key: f.keyframe, payload: Buffer.from(f.payload) });
    },
  });
  d.push(bytes);
  d.end();
  if (out.length === 0) throw new Error('no frames in corpus/dh/h264-g711a.dav');
  return out;
}

const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);

function buildFile(path: string): { bytes: number; frames: number } {
  const src = sourceFrames();
  const fd = openSync(path, 'w');
  let bytes = 0;
  let frames = 0;
  let seq = 0;
  let videoIndex = 0;
  try {
    for (let rep = 0; bytes < TARGET_MB * 1e6; rep++) {
      const batch: MuxFrame[] = [];
      for (const s of src) {
        const tMs = videoIndex * 40;
        if (s.kind === 'video') videoIndex++;
        const d = new Date(T0 + tMs);
        const common = {
          channel: 0,
          sequence: seq++ >>> 0,
          ms: tMs & 0xffff,
          date: packDhavDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()),
        };
        batch.push(
          s.kind === 'video'
            ? { ...common, kind: 'video', payload: s.payload, frameType: s.key ? 1 : 2, width: 640, height: 360, fps: 25, ...(s.key ? { dhavVideoCodec: 2 } : {}) }
            : { ...common, kind: 'audio', payload: s.payload, dhavAudioCodec: 14 },
        );
      }
      const chunk = muxDhav(batch, { fileHeader: rep === 0 });
      writeSync(fd, chunk);
      bytes += chunk.length;
      frames += batch.length;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, frames };
}

interface Run {
  wall: number;
  cpu: number | undefined;
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

function timed(cmd: string, args: string[], stdout: 'ignore' | 'pipe', check: (stdout: string, stderr: string) => void): Run {
  const timeFile = join(tmp, 'time.txt');
  const argv = haveTime ? ['-f', '%U %S', '-o', timeFile, cmd, ...args] : args;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(haveTime ? TIME : cmd, argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', stdout, 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  check(r.stdout ?? '', r.stderr);
  let cpu: number | undefined;
  if (haveTime) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    cpu = (u ?? NaN) + (s ?? NaN);
  }
  return { wall, cpu };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// --- build camstream's dist/ (the CLI under test) ---
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mainJs = join(root, 'dist', 'cli', 'main.js');
if (build.status !== 0) {
  // tsc still emits on type errors elsewhere in the tree; go on only with a fresh dist.
  if (!existsSync(mainJs) || Date.now() - statSync(mainJs).mtimeMs > 120_000) {
    throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
  console.warn(`warning: npm run build reported errors (dist was emitted):\n${(build.stdout + build.stderr).trim().slice(0, 800)}`);
}

const tmp = mkdtempSync(join(tmpdir(), 'camstream-external-dh-'));
const file = join(tmp, 'big.dav');
try {
  const t0 = Date.now();
  const { bytes, frames } = buildFile(file);
  console.log(`built ${file}: ${(bytes / 1e6).toFixed(0)} MB, ${frames} frames in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const size = statSync(file).size;

  const expectVideo = `video ${Math.round(frames / 2)}`;
  let summary = '';
  // stdout 'ignore' is /dev/null.
  const cases: { name: string; cmd: string; args: string[]; stdout: 'ignore' | 'pipe'; check: (o: string, e: string) => void }[] = [
    { name: '`cat FILE > /dev/null` (floor)', cmd: 'cat', args: [file], stdout: 'ignore', check: () => {} },
    {
      name: '`ffmpeg -v error -i FILE -c copy -f null -`',
      cmd: 'ffmpeg',
      args: ['-nostdin', '-v', 'error', '-i', file, '-c', 'copy', '-f', 'null', '-'],
      stdout: 'ignore',
      check: (_o, e) => {
        if (e.trim() !== '') throw new Error(`ffmpeg reported: ${e.slice(0, 300)}`);
      },
    },
    {
      name: '`camstream demux FILE` (summary)',
      cmd: process.execPath,
      args: [mainJs, 'demux', file],
      stdout: 'pipe',
      check: (o, e) => {
        // Every frame found, nothing skipped: the run did the whole job.
        if (!e.includes(`frames: ${expectVideo},`) || !e.includes('resyncs 0; skipped bytes 0')) throw new Error(`camstream demux: unexpected summary: ${e}`);
        summary = (o + e).trim();
      },
    },
  ];
  // Cat once to warm the page cache, then alternate the commands.
  spawnSync('cat', [file], { stdio: 'ignore' });
  const runs = new Map<string, Run[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const c of cases) {
      const x = timed(c.cmd, c.args, c.stdout, c.check);
      runs.get(c.name)!.push(x);
      console.log(`${c.name}: wall ${x.wall.toFixed(2)} s, cpu ${x.cpu?.toFixed(2) ?? '?'} s`);
    }
  }

  const gb = size / 1e9;
  const rows = cases.map((c) => {
    const rs = runs.get(c.name)!;
    const walls = rs.map((x) => x.wall);
    const cpus = rs.map((x) => x.cpu ?? NaN);
    return { name: c.name, bestWall: Math.min(...walls), medWall: median(walls), bestCpu: Math.min(...cpus), medCpu: median(cpus) };
  });
  const ff = rows[1]!;
  const cs = rows[2]!;
  const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const table = [
    '| command | MB/s (best wall) | MB/s (median wall) | CPU s/GB (best) | CPU s/GB (median) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${fmt(size / 1e6 / r.bestWall, 0)} | ${fmt(size / 1e6 / r.medWall, 0)} | ${fmt(r.bestCpu / gb, 3)} | ${fmt(r.medCpu / gb, 3)} |`),
  ];
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, by \`npm run bench:external\`.`,
    `Input: one ${(size / 1e6).toFixed(0)} MB .dav file (${frames} frames: 640x360 H.264 + G.711A at 25 fps, ~${Math.round(size / frames)} bytes a packet), the frames of`,
    'corpus/dh/h264-g711a.dav repeated with running sequence/ms/date, warm page cache; ' +
      `${RUNS} alternating runs each, CPU = user + sys of the process${haveTime ? ' (/usr/bin/time)' : ' (not measured: /usr/bin/time missing)'}.`,
    '',
    ...table,
    '',
    `camstream / ffmpeg: throughput (best wall) ${fmt(ff.bestWall / cs.bestWall)}x, CPU per byte (best) ${fmt(cs.bestCpu / ff.bestCpu)}x ` +
      `(median: ${fmt(ff.medWall / cs.medWall)}x, ${fmt(cs.medCpu / ff.medCpu)}x).`,
    '',
    'What `camstream demux FILE` does per frame in this mode: checks magic, type, length, header checksum and trailer,',
    'decodes header + extensions (codec, size, fps, sequence, unwrapped ms timestamp, packed date) into a frame object',
    'whose payload is a view of the read chunk (transient reused-buffer copy when a packet spans reads), and adds it to a',
    'per-stream summary (frames, keyframes, bytes, first/last timestamp); no per-frame output. Its output was:',
    '',
    '```',
    ...summary.split('\n').map((l) => l.replace(file, 'FILE')),
    '```',
  ];
  const old = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
  writeFileSync(resultsPath, replaceSection(old, 'external-dh', lines.join('\n')));
  console.log(lines.join('\n'));
  console.log(`wrote ${resultsPath}`);
} finally {
  if (KEEP) console.log(`kept ${file}`);
  else rmSync(tmp, { recursive: true, force: true });
}
