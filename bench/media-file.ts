/** Test streams the whole-process benchmarks need, made once with ffmpeg (docs/peers.md) into the temp dir. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestStream {
  /** `WIDTHxHEIGHT`. */
  size: string;
  fps: number;
  seconds: number;
  /** Target bitrate, Mbit/s (also the max rate; the VBV buffer is half of it). */
  mbps: number;
  /** Keyframe interval in frames. */
  gop: number;
}

/**
 * An Annex B H.264 file of `testsrc2` (libx264 ultrafast, no B-frames), kept in
 * `$TMPDIR/camstream-bench/` and reused when it is already there.
 */
export function makeTestH264(s: TestStream): string {
  const dir = join(tmpdir(), 'camstream-bench');
  const file = join(dir, `camstream-${s.size}-${s.fps}fps-${s.seconds}s-${s.mbps}M-g${s.gop}.h264`);
  if (existsSync(file) && statSync(file).size > 1e6) return file;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${s.size}:rate=${s.fps}`, '-t', String(s.seconds), '-c:v', 'libx264', '-preset', 'ultrafast',
      '-b:v', `${s.mbps}M`, '-maxrate', `${s.mbps}M`, '-bufsize', `${s.mbps / 2}M`, '-g', String(s.gop), '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264', file],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file} (ffmpeg is required: docs/peers.md)`);
  return file;
}
