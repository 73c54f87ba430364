/**
 * `camstream recordings <http url> --from T --to T [--json]`: what a camera or recorder stored.
 *
 * A camera URL (or a mediaFileFind.cgi URL) searches with the WV-V series HTTP API V2.40 §4.11.5
 * finder (factory.create, findFile, findNextFile pages, close, destroy); a storagemanagement.cgi URL
 * lists the IP Camera Standard API 5.0.0 §5.1.5 local storage instead. Times are the camera's local
 * wall clock (`2024-01-31 08:00:00` or `2024-01-31T08:00:00`).
 */
import { CameraHttp } from '../../client/camera-http.js';
import { parseHttpUrl } from '../../http/url.js';
import { parseCameraTime, type MediaFile, type StoredFile } from '../../http/text/recordings.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';

export const summary = 'list stored recordings (WV-V series HTTP API V2.40 mediaFileFind, IP Camera Standard API 5.0.0 storagemanagement)';

const HELP = `usage: camstream recordings <http url> --from T --to T [options]

  --from T, --to T   time range, camera local time: "2024-01-31 08:00:00" or 2024-01-31T08:00:00
  --channel N        channel, from 1 (default 1)
  --type LIST        file types: dav,jpg,mp4 (default all)
  --events LIST      triggering events: AlarmLocal,VideoMotion,VideoLoss,VideoBlind (default all)
  --stream S         Main, Extra1, Extra2, Extra3 (default all)
  --max N            stop after N files (default 10000)
  --json             one JSON object: {"files":[...],"truncated":false}

  A URL whose path is /cgi-bin/admin/storagemanagement.cgi lists the camera's local storage (IP Camera
  Standard API 5.0.0 §5.1.5): file names, with the start time their names carry (--from/--to then
  filter on it when present).
`;

function timeOption(v: string | undefined, name: string): Date {
  if (v === undefined) throw new UsageError(`recordings needs ${name} (see --help)`);
  const t = parseCameraTime(v);
  if (t === undefined) throw new UsageError(`${name} ${v}: expected "YYYY-MM-DD HH:MM:SS" (camera local time)`);
  return t;
}

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));

function local(d: Date | undefined, fallback: string): string {
  if (d === undefined) return fallback || '?';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function fileJson(f: MediaFile): object {
  return { channel: f.channel, start: local(f.start, f.startText), end: local(f.end, f.endText), type: f.type, size: f.size, duration: f.duration, events: f.events, flags: f.flags, videoStream: f.videoStream, filePath: f.filePath };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { options: ['--from', '--to', '--channel', '--type', '--events', '--stream', '--max'], flags: ['--json'] });
  if (a.help) return void (await write(io.stdout, HELP)), 0;
  const url = a.positionals[0];
  if (url === undefined || a.positionals.length > 1) throw new UsageError('expected one http(s):// URL');
  const target = parseHttpUrl(url).target;
  const from = timeOption(a.options.get('--from'), '--from');
  const to = timeOption(a.options.get('--to'), '--to');
  if (to.getTime() <= from.getTime()) throw new UsageError('--to must be after --from');
  const json = a.flags.has('--json');
  const cam = new CameraHttp(url);

  if (/storagemanagement\.cgi/i.test(target)) {
    const files = (await cam.listStoredFiles()).filter((f: StoredFile) => f.start === undefined || (f.start >= from && f.start < to));
    if (json) await write(io.stdout, JSON.stringify({ files: files.map((f) => ({ name: f.name, start: f.start ? local(f.start, '') : undefined, size: f.size })), truncated: false }) + '\n');
    else for (const f of files) await write(io.stdout, `${f.start ? local(f.start, '') : '-'.padEnd(19)}  ${f.size ?? '-'}  ${f.name}\n`);
    if (!json) io.stderr.write(`${files.length} file(s)\n`);
    return 0;
  }

  const channel = numberOption(a, '--channel') ?? 1;
  const r = await cam.findRecordings({
    channel,
    start: from,
    end: to,
    types: list(a.options.get('--type')),
    events: list(a.options.get('--events')),
    videoStream: a.options.get('--stream'),
    maxResults: numberOption(a, '--max'),
  });
  if (json) {
    await write(io.stdout, JSON.stringify({ files: r.files.map(fileJson), truncated: r.truncated }) + '\n');
    return 0;
  }
  for (const f of r.files) {
    const ev = f.events.length > 0 ? ` [${f.events.join(',')}]` : '';
    await write(io.stdout, `${local(f.start, f.startText)} - ${local(f.end, f.endText)}  ch${f.channel ?? '?'}  ${f.type || '?'}  ${f.size ?? '-'} B  ${f.duration ?? '-'} s  ${f.filePath}${ev}\n`);
  }
  io.stderr.write(`${r.files.length} file(s)${r.truncated ? ` (stopped at --max ${r.files.length})` : ''}\n`);
  return 0;
}
