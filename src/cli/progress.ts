/**
 * Live progress line (on a TTY only: rewritten in place at most 4 times a second, cut to the terminal
 * width so it never wraps) and the final summary shared by `record`, `mjpeg` and `demo`. Numbers only;
 * URLs passed in are already redacted.
 */
export interface ProgressStats {
  frames: number;
  bytes: number;
  /** Frames the network lost or the depacketizer dropped/flagged. */
  losses: number;
  keyframes?: number;
}

export interface ProgressOut {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width (a TTY's `columns`); 80 when unknown. */
  columns?: number;
}

export class ProgressLine {
  private readonly start: number;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: ProgressOut,
    private readonly label: string,
    /** Injectable clock (tests). */
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  /** Redraws the line when on a TTY and 250 ms have passed since the last draw; `note` follows the label. */
  update(s: ProgressStats, note = ''): void {
    if (!this.out.isTTY) return;
    const now = this.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.drawn = true;
    const stats = formatStats(s, (now - this.start) / 1000);
    this.out.write(`\r\x1b[K${fitLine(this.label, note ? `${note} ${stats}` : stats, this.out.columns ?? 80)}`);
  }

  /** Clears the live line (if any); with `summary`, writes the summary line. */
  finish(s: ProgressStats, extra = '', summary = true): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
    if (summary) this.out.write(`${this.label} done: ${formatStats(s, (this.now() - this.start) / 1000)}${extra ? ` ${extra}` : ''}\n`);
  }
}

/**
 * `label stats` in at most `columns - 1` characters (the last column would wrap on some terminals):
 * the stats are kept whole when they fit and the label (a URL) is shortened in the middle with '…'.
 */
export function fitLine(label: string, stats: string, columns: number): string {
  const width = Math.max(20, columns) - 1;
  const full = `${label} ${stats}`;
  if (full.length <= width) return full;
  const room = width - stats.length - 1;
  if (room >= 12) {
    const head = Math.ceil((room - 1) / 2);
    const tail = room - 1 - head;
    return `${label.slice(0, head)}…${tail > 0 ? label.slice(-tail) : ''} ${stats}`;
  }
  return stats.slice(0, width);
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
