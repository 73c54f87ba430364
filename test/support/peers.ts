/**
 * Real third-party peers for interop tests: GStreamer's RTSP server and ffmpeg (installed by
 * scripts/install-peers.sh). Outside CI a missing peer skips its tests with a clear reason; in CI
 * (env CI set) a missing peer is a failure, so a broken install can never pass as green.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const PY = '/usr/bin/python3';
const GST_SCRIPT = fileURLToPath(new URL('./gst-rtsp-server.py', import.meta.url));

function has(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

export const haveFfmpeg = has('ffmpeg', ['-version']) && has('ffprobe', ['-version']);
export const haveGst = has(PY, ['-c', 'import gi; gi.require_version("GstRtspServer","1.0"); from gi.repository import GstRtspServer']);

/** For `describe.skipIf(...)`: true when the peer is missing and we are not in CI (in CI: throw). */
export function missing(peer: 'ffmpeg' | 'gst'): boolean {
  const ok = peer === 'ffmpeg' ? haveFfmpeg : haveGst;
  if (!ok && process.env.CI) throw new Error(`interop peer '${peer}' is missing in CI: run scripts/install-peers.sh`);
  if (!ok) console.warn(`skipping ${peer} interop tests: not installed (bash scripts/install-peers.sh)`);
  return !ok;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface GstServer {
  port: number;
  url(path: string, creds?: { user: string; password: string }): string;
  stop(): Promise<void>;
  proc: ChildProcess;
}

export interface GstOptions {
  auth?: 'none' | 'basic' | 'digest' | 'both';
  user?: string;
  password?: string;
  /** mount path -> gst-launch line ending in a payloader named pay0 (pay1, ...). */
  mounts: Record<string, string>;
  /** Session timeout in seconds (shown in the Session header). */
  timeout?: number;
  /** Sinks with sync=false: a file source is pushed as fast as the client reads (throughput runs). */
  unpaced?: boolean;
  /** Serve RTSPS with this PEM (certificate + private key); `url()` then gives rtsps:// URLs. */
  tlsCert?: string;
}

export const GST_H264_LIVE =
  'videotestsrc is-live=true ! video/x-raw,width=640,height=360,framerate=25/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! rtph264pay name=pay0 pt=96';

export function gstFileH264(path: string, loop = false): string {
  const src = loop ? `multifilesrc location=${path} loop=true` : `filesrc location=${path}`;
  return `${src} ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1`;
}

export async function startGst(opts: GstOptions): Promise<GstServer> {
  const port = await freePort();
  const args = [GST_SCRIPT, '--port', String(port), '--auth', opts.auth ?? 'none'];
  if (opts.user) args.push('--user', opts.user);
  if (opts.password) args.push('--password', opts.password);
  if (opts.timeout) args.push('--timeout', String(opts.timeout));
  if (opts.unpaced) args.push('--unpaced');
  if (opts.tlsCert) args.push('--tls-cert', opts.tlsCert);
  for (const [path, launch] of Object.entries(opts.mounts)) args.push('--mount', `${path}=${launch}`);
  const proc = spawn(PY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gst server did not start: ${stderr}`)), 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gst server exited ${code}: ${stderr}`));
    });
  });
  return {
    port,
    proc,
    url(path, creds) {
      const auth = creds ? `${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@` : '';
      return `${opts.tlsCert ? 'rtsps' : 'rtsp'}://${auth}127.0.0.1:${port}${path}`;
    },
    stop() {
      return new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
      });
    },
  };
}

/** Runs ffmpeg/ffprobe and returns { status, stdout, stderr }. */
export function run(cmd: string, args: string[], input?: Uint8Array): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

/** `ffmpeg -v error -i FILE -f null -` stderr (must be empty for a clean decode). */
export function ffmpegDecodeErrors(file: string, format?: string): string {
  const args = ['-v', 'error'];
  if (format) args.push('-f', format);
  args.push('-i', file, '-f', 'null', '-');
  const r = run('ffmpeg', args);
  return r.stderr.trim() + (r.status !== 0 ? `\n(exit ${r.status})` : '');
}

/** Decoded frame count of the first video stream, per ffprobe -count_frames. */
export function ffprobeFrameCount(file: string, format?: string): number {
  const args = ['-v', 'error'];
  if (format) args.push('-f', format);
  args.push('-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file);
  const r = run('ffprobe', args);
  return Number.parseInt(r.stdout.trim(), 10);
}
