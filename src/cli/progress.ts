/**
 * Live progress line (on a TTY only: rewritten in place at most 4 times a second) and the final
 * summary shared by `record`, `mjpeg` and `demo`. Numbers only; URLs passed in are already redacted.
 */
export interface ProgressStats {
  frames: number;
  bytes: number;
  /** Frames the network lost or the depacketizer dropped/flagged. */
  losses: number;
  keyframes?: number;
}

export class ProgressLine {
  private readonly start = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly label: string,
  ) {}

  /** Redraws the line when on a TTY and 250 ms have passed since the last draw. */
  update(s: ProgressStats): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.drawn = true;
    this.out.write(`\r\x1b[K${this.label} ${formatStats(s, (now - this.start) / 1000)}`);
  }

  /** Clears the live line (if any) and writes the summary line. */
  finish(s: ProgressStats, extra = ''): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.out.write(`${this.label} done: ${formatStats(s, (Date.now() - this.start) / 1000)}${extra ? ` ${extra}` : ''}\n`);
  }
}

export function formatStats(s: ProgressStats, seconds: number): string {
  const secs = Math.max(seconds, 1e-3);
  const fps = s.frames / secs;
  const kbps = (s.bytes * 8) / secs / 1000;
  const kf = s.keyframes !== undefined ? ` (${s.keyframes} key)` : '';
  return `${s.frames} frames${kf}, ${fps.toFixed(1)} fps, ${formatRate(kbps)}, ${formatBytes(s.bytes)}, ${s.losses} lost, ${seconds.toFixed(1)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function formatRate(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbit/s` : `${kbps.toFixed(0)} kbit/s`;
}
