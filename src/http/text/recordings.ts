/**
 * Text answers of the two documents' "find recordings" endpoints, and the requests that ask for them.
 *
 * The WV-V series HTTP API V2.40 §4.11.5 mediaFileFind.cgi, as the document prints the answers:
 *
 *   factory.create   result= 2086170840          (a space after '='; the id is kept as text: the
 *                                                 document's next examples use `object=08137`)
 *   findFile         OK  /  Error                (Error = no file matches: not a failure)
 *   findNextFile     found=1
 *                     items[0]. Channel =1        (leading space, a space after the '.', before '=')
 *                    items[0]. StartTime =2011-1-1 12:00:00      (unpadded date fields)
 *                    items[0]. Events[0]=AlarmLocal
 *                    items[0]. FilePath =/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg
 *                    items[0]. Length =790        (bytes)     items[0]. Duration = 3600   (seconds)
 *   close, destroy   OK
 *
 * Its appendix says the answer's Channel "equals to API findFile input condition.Channel -1" while
 * the example answers Channel =1 to a search on channel 1: the value is reported as the camera wrote
 * it (`channel`), never adjusted.
 *
 * The IP Camera Standard API 5.0.0 §5.1.5 storagemanagement.cgi `action=list` documents no answer
 * body; the reader takes one file name per line (an optional `filename=` prefix and a trailing size
 * in bytes accepted), and reads a start time from names like the document's `A_20110101_010101.avi`.
 *
 * Times are the camera's local wall clock with no zone: `Date`s are built in this machine's local
 * time (as `formatCameraTime` writes them), and the text is kept beside them.
 */
import { ProtocolError } from '../../errors.js';
import { nonEmptyLines } from './camera-text.js';

export interface MediaFile {
  /** As the camera wrote it (see the file comment about the document's -1). */
  channel: number | undefined;
  start: Date | undefined;
  end: Date | undefined;
  /** `yyyy-m-d hh:mm:ss` as received. */
  startText: string;
  endText: string;
  /** `dav`, `jpg`, `mp4`. */
  type: string;
  /** Triggering events (`AlarmLocal`, `VideoMotion`, ...). */
  events: string[];
  /** `Timing`, `Manual`, `Marker`, `Event`, ... when the camera says. */
  flags: string[];
  /** `Main`, `Extra1`, ... */
  videoStream: string;
  /** Path on the device: give it to the file-stream URL or loadfile.cgi. */
  filePath: string;
  /** Bytes (`Length`), undefined when absent or not a number. */
  size: number | undefined;
  /** Seconds. */
  duration: number | undefined;
}

export interface FindNextFileResult {
  /** `found=`: items in this page (0 at the end). */
  found: number;
  items: MediaFile[];
}

/** The most items one page may describe (the document caps `count` at 100; a margin for odd firmware). */
export const MAX_ITEMS_PER_PAGE = 1000;

const TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T_]+(\d{1,2}):(\d{1,2}):(\d{1,2})$/;

/** `2011-1-1 12:00:00` (unpadded fields allowed) as a local-time Date; undefined when not a valid time. */
export function parseCameraTime(text: string): Date | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t.getTime()) || t.getDate() !== d ? undefined : t;
}


function bad(message: string, text: string): ProtocolError {
  return new ProtocolError('HTTP_BAD_RESPONSE', message, { context: { body: text.slice(0, 80) } });
}

/** factory.create: the finder's object id (text, leading zeros kept). */
export function parseFinderCreate(text: string): string {
  for (const l of nonEmptyLines(text)) {
    const m = /^result\s*=\s*(\d{1,20})$/.exec(l);
    if (m) return m[1]!;
  }
  throw bad('mediaFileFind factory.create answered without result=<object id>', text);
}

const ITEM = /^items\s*\[\s*(\d{1,9})\s*\]\s*\.\s*([A-Za-z]+)\s*(?:\[\s*(\d{1,4})\s*\])?\s*$/;

function emptyFile(): MediaFile {
  return { channel: undefined, start: undefined, end: undefined, startText: '', endText: '', type: '', events: [], flags: [], videoStream: '', filePath: '', size: undefined, duration: undefined };
}

function intOf(v: string): number | undefined {
  return /^\d{1,15}$/.test(v) ? Number(v) : undefined;
}

/**
 * findNextFile. Throws `HTTP_BAD_RESPONSE` when `found=` is missing or not a number, or an item
 * index is out of bounds; unknown fields are ignored.
 */
export function parseFindNextFile(text: string): FindNextFileResult {
  let found: number | undefined;
  const items = new Map<number, MediaFile>();
  for (const l of nonEmptyLines(text)) {
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    const key = l.slice(0, eq).trim();
    const value = l.slice(eq + 1).trim();
    if (key === 'found') {
      found = intOf(value);
      if (found === undefined || found > MAX_ITEMS_PER_PAGE) throw bad(`findNextFile found=${value.slice(0, 16)} is not a count`, text);
      continue;
    }
    const m = ITEM.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    if (index >= MAX_ITEMS_PER_PAGE) throw bad(`findNextFile item index ${index} out of range`, text);
    let f = items.get(index);
    if (f === undefined) items.set(index, (f = emptyFile()));
    const field = m[2]!;
    const sub = m[3] === undefined ? undefined : Number(m[3]);
    switch (field) {
      case 'Channel':
        f.channel = intOf(value);
        break;
      case 'StartTime':
        f.startText = value;
        f.start = parseCameraTime(value);
        break;
      case 'EndTime':
        f.endText = value;
        f.end = parseCameraTime(value);
        break;
      case 'Type':
        f.type = value;
        break;
      case 'Events':
      case 'Flags':
      case 'Flag': {
        const list = field === 'Events' ? f.events : f.flags;
        if (sub !== undefined && sub < 64) list[sub] = value;
        else if (sub === undefined && list.length < 64) list.push(value);
        break;
      }
      case 'VideoStream':
        f.videoStream = value;
        break;
      case 'FilePath':
        f.filePath = value;
        break;
      case 'Length':
        f.size = intOf(value);
        break;
      case 'Duration':
        f.duration = intOf(value);
        break;
      default:
        break;
    }
  }
  if (found === undefined) throw bad('findNextFile answered without found=', text);
  const out = [...items.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => ({ ...f, events: f.events.filter((e) => e !== undefined), flags: f.flags.filter((e) => e !== undefined) }));
  return { found, items: out };
}

export interface FindFileQuery {
  /** 1-based, as the document's findFile takes it. */
  channel: number;
  start: Date | string;
  end: Date | string;
  /** `/mnt/dvr/sda0`, ... */
  dirs?: string[];
  /** `dav`, `jpg`, `mp4`. */
  types?: string[];
  /** `Timing`, `Manual`, `Marker`, `Event`, `Mosaic`, `Cutout`. */
  flags?: string[];
  /** `AlarmLocal`, `VideoMotion`, `VideoLoss`, `VideoBlind`, ... */
  events?: string[];
  /** `Main`, `Extra1`, `Extra2`, `Extra3`. */
  videoStream?: string;
}

/** `yyyy-m-d hh:mm:ss` in local time, unpadded date fields as the document writes them. */
export function formatFindTime(t: Date | string): string {
  if (typeof t === 'string') return t;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${t.getMonth() + 1}-${t.getDate()} ${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
}

/** Query value as the document writes it: percent-encoded, `:` and `/` kept (`2014-1-1%2012:00:00`). */
function qv(v: string): string {
  return encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2F/gi, '/');
}

/** The findFile request line's query (after `action=findFile&object=<id>`). */
export function findFileParams(q: FindFileQuery): string {
  if (!Number.isInteger(q.channel) || q.channel < 1) throw new ProtocolError('INVALID_ARGUMENT', `channel ${q.channel}: the document counts channels from 1`);
  let s = `&condition.Channel=${q.channel}`;
  const list = (name: string, values: string[] | undefined): void => {
    values?.forEach((v, i) => (s += `&condition.${name}[${i}]=${qv(v)}`));
  };
  list('Dirs', q.dirs);
  list('Types', q.types);
  list('Flag', q.flags);
  list('Events', q.events);
  s += `&condition.StartTime=${qv(formatFindTime(q.start))}&condition.EndTime=${qv(formatFindTime(q.end))}`;
  if (q.videoStream !== undefined) s += `&condition.VideoStream=${qv(q.videoStream)}`;
  return s;
}

export interface StoredFile {
  /** The name to give `action=download&filename=`. */
  name: string;
  /** From a `_YYYYMMDD_HHMMSS` part of the name (local time), when present. */
  start: Date | undefined;
  size: number | undefined;
}

/** IP Camera Standard API 5.0.0 §5.1.5 `action=list` (see the file comment); `# Error:` lines are the caller's to check. */
export function parseStorageList(text: string): StoredFile[] {
  const out: StoredFile[] = [];
  for (const l of nonEmptyLines(text)) {
    if (l.startsWith('#')) continue;
    let rest = l.replace(/^filename\s*=\s*/i, '');
    let size: number | undefined;
    const m = /^(\S+)\s+(\d{1,15})$/.exec(rest);
    if (m) {
      rest = m[1]!;
      size = Number(m[2]);
    }
    if (/\s/.test(rest) || rest.length > 255) continue;
    const t = /_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:\.|_|$)/.exec(rest);
    const start = t ? parseCameraTime(`${t[1]}-${t[2]}-${t[3]} ${t[4]}:${t[5]}:${t[6]}`) : undefined;
    out.push({ name: rest, start, size });
    if (out.length >= 100_000) throw bad('storage list over 100000 files', text);
  }
  return out;
}
