/**
 * ffmpeg as the oracle for DHAV (docs/peers.md): our --video output decodes with zero errors and
 * the right frame count, and our frame list agrees with `ffprobe -show_packets` on the same file.
 *
 * Documented difference: FFmpeg's dhav demuxer (5.1) returns each sub-frame piece (byte 7 counting
 * down) as its own packet, all with the frame's pts, and its decoder then reports "No start code"
 * for the pieces after the first. We join pieces into one frame, so one of our frames matches a run
 * of ffprobe packets of the same stream and pts whose sizes add up to ours.
 * Timestamps: FFmpeg resets pts to date * 1000 whenever the packed date's second changes and adds
 * 65535 instead of 65536 at the ms counter wrap; we compare deltas only where both are defined alike.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { demux } from '../dh/helpers.js';
import { runCli } from '../../src/cli/registry.js';

const haveFfmpeg = spawnSync('ffprobe', ['-version']).status === 0;
const skip = !haveFfmpeg && !process.env['CI'];
const corpus = (f: string) => new URL(`../../corpus/${f}`, import.meta.url).pathname;

interface Pkt {
  stream: number;
  kind: string;
  pts: number;
  size: number;
  key: boolean;
}

function ffprobePackets(file: string): Pkt[] {
  const kinds = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=index,codec_type', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const kindOf = new Map(kinds.map(([i, t]) => [Number(i), t!]));
  const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_packets', '-of', 'json', file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as {
    packets: { stream_index: number; pts: number; size: string; flags: string }[];
  };
  return j.packets.map((x) => ({ stream: x.stream_index, kind: kindOf.get(x.stream_index)!, pts: x.pts, size: Number(x.size), key: x.flags.startsWith('K') }));
}

/** Joins runs of consecutive same-stream, same-pts video packets (sub-frame pieces). */
function joinPieces(p: Pkt[]): { kind: string; size: number; key: boolean; pieces: number; pts: number }[] {
  const out: { kind: string; size: number; key: boolean; pieces: number; pts: number }[] = [];
  let lastVideo: (typeof out)[number] | undefined;
  let lastWasVideo = false;
  for (const x of p) {
    if (x.kind === 'video' && lastWasVideo && lastVideo && lastVideo.pts === x.pts && lastVideo.key && x.key) {
      lastVideo.size += x.size;
      lastVideo.pieces++;
      continue;
    }
    const e = { kind: x.kind, size: x.size, key: x.key, pieces: 1, pts: x.pts };
    out.push(e);
    lastWasVideo = x.kind === 'video';
    if (lastWasVideo) lastVideo = e;
  }
  return out;
}

async function cliVideo(file: string, ext: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'camstream-ff-')), `v.${ext}`);
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  io.stdout.resume();
  io.stderr.resume();
  expect(await runCli(['demux', file, '--video', out], io)).toBe(0);
  return out;
}

describe.skipIf(skip)('DHAV interop with ffmpeg', () => {
  for (const [name, ext] of [['h264-g711a.dav', 'h264'], ['h265-g711a.dav', 'h265']] as const) {
    it(`${name}: --video decodes with zero errors and 100 frames`, async () => {
      const v = await cliVideo(corpus(`dh/${name}`), ext);
      const dec = spawnSync('ffmpeg', ['-v', 'error', '-i', v, '-f', 'null', '-'], { encoding: 'utf8' });
      expect(dec.status).toBe(0);
      expect(dec.stderr + dec.stdout).toBe('');
      const n = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', v], { encoding: 'utf8' });
      expect(Number(n.trim())).toBe(100);
    });

    it(`${name}: our frame list agrees with ffprobe -show_packets`, () => {
      const file = corpus(`dh/${name}`);
      const ff = ffprobePackets(file);
      const ours = demux('dhav', [readFileSync(file)]).frames;
      const joined = joinPieces(ff);
      expect(ours.map((f) => [f.kind, f.payload.length, f.keyframe, f.pieces])).toEqual(joined.map((p) => [p.kind, p.size, p.key, p.pieces]));
      // The piece-splitting file really exercises the difference.
      if (name.startsWith('h265')) expect(ff.length).toBeGreaterThan(ours.length);
      // Timestamp deltas inside one date second agree (FFmpeg adds counter deltas there too).
      const ov = ours.filter((f) => f.kind === 'video');
      const fv = joined.filter((p) => p.kind === 'video');
      let compared = 0;
      for (let i = 1; i < ov.length; i++) {
        if (ov[i]!.time !== ov[i - 1]!.time) continue;
        const ffDelta = fv[i]!.pts - fv[i - 1]!.pts;
        const ourDelta = ov[i]!.timestamp - ov[i - 1]!.timestamp;
        // At the 16-bit wrap FFmpeg adds 65535, one short of 65536 (docs/dh-format.md).
        expect(ffDelta === ourDelta || ffDelta === ourDelta - 1).toBe(true);
        compared++;
      }
      expect(compared).toBeGreaterThan(50);
    });
  }
});
