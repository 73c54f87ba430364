/**
 * Playback positions and rates in RTSP: the `Range` header (RFC 2326 §12.29) with its three time
 * formats, npt (§3.6), clock / absolute UTC (§3.7) and SMPTE (§3.5), and the `Scale` (§12.34) and
 * `Speed` (§12.35) headers. Sans-IO: strings in, values out; a value that does not follow the grammar
 * is a `ProtocolError('RTSP_BAD_HEADER')` whose context names the header and the character position.
 *
 * ```
 * Range        = "Range" ":" 1#ranges-specifier [ ";" "time" "=" utc-time ]
 * npt-range    = ( npt-time "-" [ npt-time ] ) | ( "-" npt-time )
 * npt-time     = "now" | npt-sec | npt-hhmmss
 * npt-sec      = 1*DIGIT [ "." *DIGIT ]
 * npt-hhmmss   = npt-hh ":" npt-mm ":" npt-ss [ "." *DIGIT ]      (mm, ss: 0..59)
 * utc-range    = "clock" "=" utc-time "-" [ utc-time ]
 * utc-time     = utc-date "T" utc-time "Z"                        (YYYYMMDD "T" HHMMSS[.fraction] "Z")
 * smpte-range  = smpte-type "=" smpte-time "-" [ smpte-time ]
 * smpte-type   = "smpte" | "smpte-30-drop" | "smpte-25"
 * smpte-time   = 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT [ ":" 1*2DIGIT ] [ "." 1*2DIGIT ]
 * Scale        = "Scale" ":" [ "-" ] 1*DIGIT [ "." *DIGIT ]
 * Speed        = "Speed" ":" 1*DIGIT [ "." *DIGIT ]
 * ```
 *
 * Reverse playback (a negative Scale) may name a range whose start is after its end (RFC 7826
 * §18.40 allows it, the ONVIF Streaming Specification uses it): that is kept, not rejected.
 *
 * Tolerant reader, strict writer: the reader also accepts the ISO 8601 extended form
 * `2024-01-02T03:04:05Z` that some recorders send in `clock=`, leading/trailing blanks and upper-case
 * units; the writer emits exactly the RFC grammar.
 */
import { ProtocolError } from '../errors.js';

/** Normal play time in seconds from the start of the presentation (`start` may be `now`, live). */
export interface NptRange {
  readonly unit: 'npt';
  /** Seconds, `'now'`, or undefined for the `-end` form. */
  readonly start: number | 'now' | undefined;
  readonly end: number | undefined;
}

/** Absolute (wall-clock, UTC) range: milliseconds since the Unix epoch (fractions of a ms kept). */
export interface ClockRange {
  readonly unit: 'clock';
  readonly start: number;
  readonly end: number | undefined;
}

export type SmpteUnit = 'smpte' | 'smpte-25' | 'smpte-30-drop';

export interface SmpteTime {
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly frames: number;
  /** Hundredths of a frame. */
  readonly subframes: number;
}

export interface SmpteRange {
  readonly unit: SmpteUnit;
  readonly start: SmpteTime;
  readonly end: SmpteTime | undefined;
}

export type MediaRange = NptRange | ClockRange | SmpteRange;

export interface RangeHeader {
  readonly range: MediaRange;
  /** The `;time=` parameter: when the server is to act (ms since the epoch). */
  readonly time: number | undefined;
}

/** What `play()` takes: a header value as is, or a range in one of the forms above. */
export type RangeInput =
  | string
  | MediaRange
  | { readonly npt: number | 'now'; readonly end?: number }
  | { readonly clock: Date | number; readonly end?: Date | number };

const HEADER_CAP = 1024;

function bad(header: string, value: string, at: number, why: string): ProtocolError {
  return new ProtocolError('RTSP_BAD_HEADER', `${header}: ${why} in '${value.slice(0, 80)}'`, { context: { header, at } });
}

// ---------------------------------------------------------------------------------------------
// npt (§3.6)

const NPT_SEC = /^(\d{1,12})(?:\.(\d*))?$/;
const NPT_HMS = /^(\d{1,9}):(\d{1,2}):(\d{1,2})(?:\.(\d*))?$/;

/** `int.frac` as one decimal literal, so the result is the double nearest to what was written. */
function decimal(int: string, frac: string | undefined): number {
  return frac ? Number(`${int}.${frac.slice(0, 15)}`) : Number(int);
}

function parseNptTime(s: string, value: string, at: number): number | 'now' {
  if (s.toLowerCase() === 'now') return 'now';
  let m = NPT_SEC.exec(s);
  if (m) return decimal(m[1]!, m[2]);
  m = NPT_HMS.exec(s);
  if (m) {
    const mm = Number(m[2]);
    const ss = Number(m[3]);
    if (mm > 59 || ss > 59) throw bad('Range', value, at, `npt minutes/seconds over 59 ('${s}')`);
    return Number(m[1]) * 3600 + mm * 60 + decimal(m[3]!, m[4]);
  }
  throw bad('Range', value, at, `bad npt time '${s.slice(0, 20)}'`);
}

// ---------------------------------------------------------------------------------------------
// clock (§3.7)

const UTC_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/i;
const UTC_EXTENDED = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/i;

/** Parses an RFC 2326 §3.7 utc-time (`19961108T143720.25Z`) into ms since the epoch. */
export function parseUtcTime(s: string, header = 'Range', value = s, at = 0): number {
  const m = UTC_BASIC.exec(s) ?? UTC_EXTENDED.exec(s);
  if (!m) throw bad(header, value, at, `bad utc-time '${s.slice(0, 30)}'`);
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  // Leap second 60 is allowed by ISO 8601; anything else must be a real calendar time.
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 60) throw bad(header, value, at, `utc-time out of range '${s.slice(0, 30)}'`);
  const base = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
  if (new Date(base - se! * 1000).getUTCDate() !== d) throw bad(header, value, at, `no such day '${s.slice(0, 30)}'`);
  // The fraction as milliseconds written as one literal (`.25` -> 250, `.4401` -> 440.1): exact for whole ms.
  const f = (m[7] ?? '').slice(0, 12).padEnd(3, '0');
  return base + decimal(f.slice(0, 3), f.slice(3) || undefined);
}

/** Writes an RFC 2326 §3.7 utc-time: `YYYYMMDDThhmmss[.fff]Z` (milliseconds when not whole). */
export function formatUtcTime(t: Date | number): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  if (!Number.isFinite(ms)) throw new ProtocolError('INVALID_ARGUMENT', 'utc-time of an invalid date');
  const whole = Math.floor(ms);
  const d = new Date(whole);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new ProtocolError('INVALID_ARGUMENT', `utc-time year ${y} out of range`);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  let s = `${String(y).padStart(4, '0')}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}T${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}`;
  const milli = whole % 1000;
  if (milli !== 0) s += `.${String(milli).padStart(3, '0')}`;
  return `${s}Z`;
}

// ---------------------------------------------------------------------------------------------
// SMPTE (§3.5)

const SMPTE = /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d{1,2}))?$/;

function parseSmpteTime(unit: SmpteUnit, s: string, value: string, at: number): SmpteTime {
  const m = SMPTE.exec(s);
  if (!m) throw bad('Range', value, at, `bad smpte time '${s.slice(0, 20)}'`);
  const t = { hours: Number(m[1]), minutes: Number(m[2]), seconds: Number(m[3]), frames: m[4] !== undefined ? Number(m[4]) : 0, subframes: m[5] !== undefined ? Number(m[5]) : 0 };
  const fps = unit === 'smpte-25' ? 25 : 30;
  if (t.minutes > 59 || t.seconds > 59 || t.frames >= fps) throw bad('Range', value, at, `smpte field out of range '${s}'`);
  return t;
}

/**
 * Seconds from 0:00:00:00 for a SMPTE time code. `smpte` and `smpte-30-drop` are SMPTE 30 drop-frame
 * (29.97 frames/s, RFC 2326 §3.5: frame numbers 0 and 1 are skipped at every minute except every
 * tenth); `smpte-25` is 25 frames/s.
 */
export function smpteSeconds(unit: SmpteUnit, t: SmpteTime): number {
  const f = t.frames + t.subframes / 100;
  if (unit === 'smpte-25') return t.hours * 3600 + t.minutes * 60 + t.seconds + f / 25;
  const minutes = t.hours * 60 + t.minutes;
  const frameNumber = (minutes * 60 + t.seconds) * 30 + f - 2 * (minutes - Math.floor(minutes / 10));
  return (frameNumber * 1001) / 30000;
}

function formatSmpteTime(t: SmpteTime): string {
  const p2 = (n: number, what: string, max: number): string => {
    if (!Number.isInteger(n) || n < 0 || n > max) throw new ProtocolError('INVALID_ARGUMENT', `smpte ${what} ${n}`);
    return String(n).padStart(2, '0');
  };
  let s = `${p2(t.hours, 'hours', 99)}:${p2(t.minutes, 'minutes', 59)}:${p2(t.seconds, 'seconds', 59)}`;
  if (t.frames !== 0 || t.subframes !== 0) s += `:${p2(t.frames, 'frames', 29)}`;
  if (t.subframes !== 0) s += `.${p2(t.subframes, 'subframes', 99)}`;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Range header

/**
 * Parses a `Range` header value (or an SDP `a=range:` value). Only the first ranges-specifier is
 * read (RFC 2326 allows a list; no server sends one). Throws `RTSP_BAD_HEADER`.
 */
export function parseRangeHeader(value: string): RangeHeader {
  if (value.length > HEADER_CAP) throw bad('Range', value, HEADER_CAP, `longer than ${HEADER_CAP} characters`);
  const parts = value.split(';');
  const first = parts[0]!;
  const lead = first.length - first.trimStart().length;
  const spec = first.trim();
  const eq = spec.indexOf('=');
  if (eq <= 0) throw bad('Range', value, lead, 'no unit=');
  const unit = spec.slice(0, eq).trim().toLowerCase();
  const body = spec.slice(eq + 1);
  const bodyAt = lead + eq + 1;
  // The extended ISO form has '-' inside the date: the range dash then comes after its 'Z'.
  const extended = unit === 'clock' && /^\s*\d{4}-/.test(body);
  const dash = extended ? (body.search(/z/i) < 0 ? -1 : body.indexOf('-', body.search(/z/i))) : body.indexOf('-');
  if (dash < 0) throw bad('Range', value, bodyAt, "no '-' between start and end");
  const startText = body.slice(0, dash).trim();
  const endText = body.slice(dash + 1).trim();
  const endAt = bodyAt + dash + 1;
  let range: MediaRange;
  if (unit === 'npt') {
    const start = startText === '' ? undefined : parseNptTime(startText, value, bodyAt);
    const end = endText === '' ? undefined : parseNptTime(endText, value, endAt);
    if (end === 'now') throw bad('Range', value, endAt, "npt end cannot be 'now'");
    if (start === undefined && end === undefined) throw bad('Range', value, bodyAt, 'npt range with neither start nor end');
    range = { unit: 'npt', start, end };
  } else if (unit === 'clock') {
    if (startText === '') throw bad('Range', value, bodyAt, 'clock range without a start');
    range = { unit: 'clock', start: parseUtcTime(startText, 'Range', value, bodyAt), end: endText === '' ? undefined : parseUtcTime(endText, 'Range', value, endAt) };
  } else if (unit === 'smpte' || unit === 'smpte-25' || unit === 'smpte-30-drop') {
    if (startText === '') throw bad('Range', value, bodyAt, 'smpte range without a start');
    range = { unit, start: parseSmpteTime(unit, startText, value, bodyAt), end: endText === '' ? undefined : parseSmpteTime(unit, endText, value, endAt) };
  } else {
    throw bad('Range', value, lead, `unknown unit '${unit.slice(0, 20)}'`);
  }
  let time: number | undefined;
  let at = first.length + 1;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const m = /^\s*time\s*=\s*(\S+)\s*$/i.exec(p);
    if (m) time = parseUtcTime(m[1]!, 'Range', value, at);
    at += p.length + 1;
  }
  return { range, time };
}

/** `parseRangeHeader` that returns undefined instead of throwing (answers we can live without). */
export function tryParseRangeHeader(value: string | undefined): RangeHeader | undefined {
  if (value === undefined) return undefined;
  try {
    return parseRangeHeader(value);
  } catch {
    return undefined;
  }
}

/** Seconds written with at most 6 decimals, no exponent, no trailing zeros (`12.5`, `0`). */
export function formatDecimal(n: number, what = 'number'): string {
  if (!Number.isFinite(n)) throw new ProtocolError('INVALID_ARGUMENT', `${what} ${n} is not finite`);
  const neg = n < 0;
  let s = Math.abs(n).toFixed(6);
  s = s.replace(/\.?0+$/, '');
  if (s === '') s = '0';
  return neg && s !== '0' ? `-${s}` : s;
}

function nptText(t: number, what: string): string {
  if (!(t >= 0)) throw new ProtocolError('INVALID_ARGUMENT', `npt ${what} ${t} must be >= 0`);
  // RFC 2326 §3.6 allows any number of decimals; three keeps a millisecond, as live555 and FFmpeg write.
  if (!Number.isFinite(t) || t > 1e15) throw new ProtocolError('INVALID_ARGUMENT', `npt ${what} ${t} out of range`);
  return (Math.round(t * 1000) / 1000).toFixed(3);
}

/** Writes a Range header value: `npt=10.000-20.000`, `clock=20240101T000000Z-`, `smpte=00:01:00:10-`. */
export function formatRange(r: MediaRange, time?: Date | number): string {
  let s: string;
  switch (r.unit) {
    case 'npt':
      if (r.start === undefined && r.end === undefined) throw new ProtocolError('INVALID_ARGUMENT', 'npt range with neither start nor end');
      s = `npt=${r.start === undefined ? '' : r.start === 'now' ? 'now' : nptText(r.start, 'start')}-${r.end === undefined ? '' : nptText(r.end, 'end')}`;
      break;
    case 'clock':
      s = `clock=${formatUtcTime(r.start)}-${r.end === undefined ? '' : formatUtcTime(r.end)}`;
      break;
    case 'smpte':
    case 'smpte-25':
    case 'smpte-30-drop':
      s = `${r.unit}=${formatSmpteTime(r.start)}-${r.end === undefined ? '' : formatSmpteTime(r.end)}`;
      break;
    default:
      throw new ProtocolError('INVALID_ARGUMENT', `unknown range unit ${(r as { unit: string }).unit}`);
  }
  if (time !== undefined) s += `;time=${formatUtcTime(time)}`;
  return s;
}

/** The Range value for a `RangeInput` (a string is checked by parsing it, then sent as given). */
export function rangeValue(input: RangeInput): string {
  if (typeof input === 'string') {
    if (/[\r\n]/.test(input)) throw new ProtocolError('INVALID_ARGUMENT', 'Range value with a line break');
    try {
      parseRangeHeader(input);
    } catch (e) {
      throw new ProtocolError('INVALID_ARGUMENT', `bad Range '${input.slice(0, 60)}'`, { cause: e });
    }
    return input;
  }
  if ('unit' in input) return formatRange(input);
  if ('npt' in input) return formatRange({ unit: 'npt', start: input.npt, end: input.end });
  const ms = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());
  return formatRange({ unit: 'clock', start: ms(input.clock), end: input.end === undefined ? undefined : ms(input.end) });
}

// ---------------------------------------------------------------------------------------------
// Scale (§12.34) and Speed (§12.35)

const SCALE_RE = /^\s*(-?)(\d{1,9})(?:\.(\d*))?\s*$/;
const SPEED_RE = /^\s*(\d{1,9})(?:\.(\d*))?\s*$/;

/** Scale: 1 normal, 2 twice as fast, 0.5 slow motion, -1 reverse (§12.34). Throws RTSP_BAD_HEADER. */
export function parseScale(value: string): number {
  const m = SCALE_RE.exec(value);
  if (!m) throw bad('Scale', value, 0, 'not a decimal number');
  const n = decimal(m[2]!, m[3]);
  return m[1] === '-' && n !== 0 ? -n : n;
}

/** Writes a Scale value; 0 and non-finite values are refused (a scale of 0 plays nothing). */
export function formatScale(n: number): string {
  if (!Number.isFinite(n) || n === 0) throw new ProtocolError('INVALID_ARGUMENT', `Scale ${n} must be a non-zero number`);
  return formatDecimal(n, 'Scale');
}

/** Speed: delivery rate relative to the nominal bandwidth, positive (§12.35). Throws RTSP_BAD_HEADER. */
export function parseSpeed(value: string): number {
  const m = SPEED_RE.exec(value);
  if (!m) throw bad('Speed', value, 0, 'not a positive decimal number');
  const n = decimal(m[1]!, m[2]);
  if (n === 0) throw bad('Speed', value, 0, 'zero');
  return n;
}

export function formatSpeed(n: number): string {
  if (!Number.isFinite(n) || n <= 0) throw new ProtocolError('INVALID_ARGUMENT', `Speed ${n} must be a positive number`);
  return formatDecimal(n, 'Speed');
}

/** Seconds from the start of a range, or undefined when the range has no numeric start. */
export function rangeStartSeconds(r: MediaRange): number | undefined {
  if (r.unit === 'npt') return typeof r.start === 'number' ? r.start : undefined;
  if (r.unit === 'clock') return undefined;
  return smpteSeconds(r.unit, r.start);
}
