/**
 * URLs for recorded media on the camera (WV-V series HTTP API V2.40):
 *
 * - §4.1.2 "Get playback stream":
 *   `rtsp://<user>:<password>@<ip>:<port>/cam/playback?channel=<ChannelNo>&starttime=<t>&endtime=<t>`
 *   with times written `YYYY_MM_DD_HH_MM_SS` (example `starttime=2012_09_15_12_37_05`);
 * - §4.1.3 "Get file stream": `rtsp://<user>:<password>@<ip>:<port>/<filename>`, where filename is
 *   the absolute path on the device, so the URL has two slashes
 *   (`...:554//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4`).
 *
 * Which time zone: the document gives no zone for `starttime`/`endtime`. They are the device's own
 * wall-clock time, the one it stamps recordings and its on-screen clock with, set by its time zone
 * configuration (`NTP.TimeZone`, §4.7.8 "NTP"). So the builders take the device's zone explicitly:
 * minutes east of UTC (`+60` for UTC+1, `-300` for UTC-5), or `'local'` when the device runs in this
 * machine's zone (daylight saving applied as this machine applies it). There is no
 * default: guessing wrong shifts every recording by hours.
 */
import { ProtocolError } from '../errors.js';
import { parseRtspUrl } from './url.js';

/** Minutes east of UTC, or `'local'`: this machine's zone (with its daylight-saving rules). */
export type DeviceTimeZone = number | 'local';

function checkZone(tz: DeviceTimeZone): void {
  if (tz !== 'local' && !(Number.isInteger(tz) && tz >= -14 * 60 && tz <= 14 * 60)) {
    throw new ProtocolError('INVALID_ARGUMENT', `time zone offset ${String(tz)} minutes is not in -840..840`);
  }
}

/** `YYYY_MM_DD_HH_MM_SS` in the device's zone (the WV-V series HTTP API V2.40 §4.1.2 time format). */
export function formatDeviceTime(t: Date, tz: DeviceTimeZone): string {
  checkZone(tz);
  const ms = t.getTime();
  if (!Number.isFinite(ms)) throw new ProtocolError('INVALID_ARGUMENT', 'invalid Date');
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  let parts: number[];
  if (tz === 'local') {
    parts = [t.getFullYear(), t.getMonth() + 1, t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()];
  } else {
    const d = new Date(ms + tz * 60_000);
    parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  }
  if (parts[0]! < 1970 || parts[0]! > 9999) throw new ProtocolError('INVALID_ARGUMENT', `year ${parts[0]} out of range`);
  return `${p(parts[0]!, 4)}_${p(parts[1]!)}_${p(parts[2]!)}_${p(parts[3]!)}_${p(parts[4]!)}_${p(parts[5]!)}`;
}

/** Reads `YYYY_MM_DD_HH_MM_SS` (device time in zone `tz`) into a Date. Throws INVALID_ARGUMENT. */
export function parseDeviceTime(s: string, tz: DeviceTimeZone): Date {
  checkZone(tz);
  const m = /^(\d{4})_(\d{1,2})_(\d{1,2})_(\d{1,2})_(\d{1,2})_(\d{1,2})$/.exec(s.trim());
  if (!m) throw new ProtocolError('INVALID_ARGUMENT', `device time '${s.slice(0, 40)}' is not YYYY_MM_DD_HH_MM_SS`);
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 59) {
    throw new ProtocolError('INVALID_ARGUMENT', `device time '${s.slice(0, 40)}' out of range`);
  }
  const t = tz === 'local' ? new Date(y!, mo! - 1, d!, h!, mi!, se!) : new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!) - tz * 60_000);
  const check = tz === 'local' ? t.getDate() : new Date(t.getTime() + (tz as number) * 60_000).getUTCDate();
  if (check !== d) throw new ProtocolError('INVALID_ARGUMENT', `no such day '${s.slice(0, 40)}'`);
  return t;
}

export interface PlaybackUrlOptions {
  /** Video channel, from 1 (default 1). */
  channel?: number;
  start: Date;
  end: Date;
  /** The device's time zone (see the module comment). Required. */
  timeZone: DeviceTimeZone;
}

/** `scheme://[user:pass@]host[:port]` of `camera` (any path in it is dropped). */
function origin(camera: string): string {
  const u = parseRtspUrl(camera);
  const user = u.username !== undefined ? `${encodeURIComponent(u.username)}${u.password !== undefined ? `:${encodeURIComponent(u.password)}` : ''}@` : '';
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.scheme}://${user}${host}${u.explicitPort ? `:${u.port}` : ''}`;
}

/**
 * The WV-V series HTTP API V2.40 §4.1.2 playback URL for recordings between `start` and `end` on
 * `channel`. `camera` is any rtsp:// URL of the device (credentials kept, path replaced).
 */
export function playbackUrl(camera: string, o: PlaybackUrlOptions): string {
  const channel = o.channel ?? 1;
  if (!Number.isInteger(channel) || channel < 1 || channel > 1024) throw new ProtocolError('INVALID_ARGUMENT', `channel ${channel}`);
  if (!(o.end.getTime() > o.start.getTime())) throw new ProtocolError('INVALID_ARGUMENT', 'playback end must be after its start');
  return `${origin(camera)}/cam/playback?channel=${channel}&starttime=${formatDeviceTime(o.start, o.timeZone)}&endtime=${formatDeviceTime(o.end, o.timeZone)}`;
}

export interface PlaybackQuery {
  channel: number;
  start: Date;
  end: Date | undefined;
}

/** Reads a §4.1.2 URL's (or request line's) query: channel, starttime, endtime. Throws INVALID_ARGUMENT. */
export function parsePlaybackQuery(uri: string, tz: DeviceTimeZone): PlaybackQuery {
  const q = uri.indexOf('?');
  const params = new Map<string, string>();
  if (q >= 0) {
    for (const kv of uri.slice(q + 1).split('&')) {
      const eq = kv.indexOf('=');
      // Dahua bases keep a trailing '/' and the track control after the query (`...&endtime=X/trackID=0`).
      if (eq > 0) params.set(kv.slice(0, eq).toLowerCase(), kv.slice(eq + 1).split('/')[0]!);
    }
  }
  const start = params.get('starttime');
  if (start === undefined) throw new ProtocolError('INVALID_ARGUMENT', 'playback URL without starttime');
  const end = params.get('endtime');
  const channel = Number(params.get('channel') ?? '1');
  if (!Number.isInteger(channel) || channel < 1) throw new ProtocolError('INVALID_ARGUMENT', `bad channel ${params.get('channel')}`);
  return { channel, start: parseDeviceTime(start, tz), end: end !== undefined ? parseDeviceTime(end, tz) : undefined };
}

/**
 * The WV-V series HTTP API V2.40 §4.1.3 file-stream URL for `filePath`, the absolute path the device
 * reported (mediaFileFind's `FilePath`). The path is kept byte for byte where the document's
 * example shows raw characters (`/`, `[`, `]`, `@`, `-`, `.`); spaces, `%`, `?`, `#` and control or
 * non-ASCII characters are percent-encoded so the request line stays one valid line.
 */
export function fileStreamUrl(camera: string, filePath: string): string {
  if (!filePath.startsWith('/')) throw new ProtocolError('INVALID_ARGUMENT', 'file path must be absolute (start with /)');
  const path = filePath.replace(/[^A-Za-z0-9\-._~/[\]@!$&'()*+,;=:]/g, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  return `${origin(camera)}/${path}`;
}
