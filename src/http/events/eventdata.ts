/**
 * the IP Camera Standard API 5.0.0 §5.4.2 `eventdata.cgi?action=get|monitor` text into typed status. One line per group:
 *
 *   Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; \r\n      (trailing space, the IP Camera Standard API 5.0.0)
 *   Motion1:Enabled=0; \r\n
 *   IO:Status=00000100000000;\r\n
 *   T0:Enabled=1;Triggered=0;
 *   Face:Enabled=1;H264_Face=2 0.5_0.4_0.2_0.3,0.8_0.1_0.2_0.3;H264_2_Face=2
 *   0.5_0.4_0.2_0.3,0.7_0.5_0.2_0.3\r\n                               (a value wrapped onto a new line)
 *
 * IO:Status is 7 hex bytes <XX0>..<XX6>; in each, bit b0 is Input1/Output1 ... b7 Input8/Output8
 * ("a2 => 10100010 means Input8, 6, and 2 are enabled"):
 *
 *   +------+------------------------------------------+
 *   | XX0  | Input n enabled          (1 = enabled)   |
 *   | XX1  | Input n state            (1 = closed)    |
 *   | XX2  | Output n state           (1 = closed)    |
 *   | XX3  | Input n setting          (1 = normally closed) |
 *   | XX4  | Output n setting         (1 = active status closed) |
 *   | XX5  | Input n                  (1 = active)    |
 *   | XX6  | Output n                 (1 = active)    |
 *   +------+------------------------------------------+
 */
import type { MultipartPart } from '../../multipart/multipart-parser.js';

export interface MotionStatus {
  enabled?: boolean;
  /** Percentage of motion in the areas of interest (0..100). */
  level?: number;
  sensitivity?: number;
  triggered?: boolean;
}

export interface IoInput {
  /** 1-based. */
  n: number;
  enabled?: boolean;
  closed?: boolean;
  normallyClosed?: boolean;
  active?: boolean;
}

export interface IoOutput {
  n: number;
  closed?: boolean;
  activeClosed?: boolean;
  active?: boolean;
}

export interface IoStatus {
  /** The hex digits as written. */
  raw: string;
  inputs: IoInput[];
  outputs: IoOutput[];
}

export interface FaceRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface FaceStatus {
  enabled?: boolean;
  /** Per stream (`H264_Face`, `H264_2_Face`, `Mjpeg_Face`, ...): the detected rectangles (0..1 units). */
  streams: Record<string, FaceRect[]>;
}

export interface TamperingStatus {
  enabled?: boolean;
  triggered?: boolean;
}

export interface EventDataStatus {
  /** `Motion`, `Motion1`, `Motion2`, ... */
  motion: Record<string, MotionStatus>;
  io?: IoStatus;
  tampering?: TamperingStatus;
  face?: FaceStatus;
  /** Every group's fields as written. */
  groups: Record<string, Record<string, string>>;
}

const flag = (v: string | undefined): boolean | undefined => (v === undefined || v === '' ? undefined : v.trim() !== '0');
const num = (v: string | undefined): number | undefined => (v !== undefined && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : undefined);

/** Groups as written: a line `Group:k=v;k=v;`; a line with neither ':' nor '=' continues the previous one. */
function groupLines(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l.length === 0) continue;
    const colon = l.indexOf(':');
    const eq = l.indexOf('=');
    if (colon > 0 && (eq < 0 || colon < eq)) {
      out.push([l.slice(0, colon).trim(), l.slice(colon + 1)]);
    } else if (out.length > 0) {
      // Quirk (the IP Camera Standard API 5.0.0 §5.4.2 Face example): a long value wrapped onto the next line.
      const last = out[out.length - 1]!;
      last[1] = `${last[1].trimEnd()} ${l}`;
    }
  }
  return out;
}

function fieldsOf(s: string): Record<string, string> {
  const f = Object.create(null) as Record<string, string>;
  for (const item of s.split(';')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    f[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return f;
}

/** `IO:Status=` hex digits to per-input/output booleans (missing bytes stay undefined). */
export function decodeIoStatus(hex: string): IoStatus {
  const raw = hex.trim();
  const bytes: Array<number | undefined> = [];
  for (let k = 0; k < 7; k++) {
    const pair = raw.slice(2 * k, 2 * k + 2);
    bytes.push(/^[0-9a-fA-F]{2}$/.test(pair) ? parseInt(pair, 16) : undefined);
  }
  const bit = (b: number | undefined, n: number): boolean | undefined => (b === undefined ? undefined : ((b >> (n - 1)) & 1) === 1);
  const inputs: IoInput[] = [];
  const outputs: IoOutput[] = [];
  for (let n = 1; n <= 8; n++) {
    inputs.push({ n, enabled: bit(bytes[0], n), closed: bit(bytes[1], n), normallyClosed: bit(bytes[3], n), active: bit(bytes[5], n) });
    outputs.push({ n, closed: bit(bytes[2], n), activeClosed: bit(bytes[4], n), active: bit(bytes[6], n) });
  }
  return { raw, inputs, outputs };
}

/** `N x_y_w_h,x_y_w_h,...` (N = number of faces; `0` = none). Malformed rectangles are skipped. */
export function parseFaceRects(v: string): FaceRect[] {
  const s = v.trim();
  const m = /^(\d+)\s*(.*)$/s.exec(s);
  if (!m) return [];
  const count = Number(m[1]);
  const out: FaceRect[] = [];
  for (const r of m[2]!.split(',')) {
    const p = r.trim().split('_');
    if (p.length !== 4) continue;
    const [x, y, w, h] = p.map(Number) as [number, number, number, number];
    if ([x, y, w, h].some((k) => !Number.isFinite(k))) continue;
    out.push({ x, y, w, h });
    if (out.length >= count) break;
  }
  return out;
}

export function parseEventData(text: string): EventDataStatus {
  const st: EventDataStatus = { motion: Object.create(null) as Record<string, MotionStatus>, groups: Object.create(null) as Record<string, Record<string, string>> };
  for (const [group, rest] of groupLines(text)) {
    const f = fieldsOf(rest);
    st.groups[group] = f;
    if (/^Motion\d*$/i.test(group)) {
      st.motion[group] = { enabled: flag(f.Enabled ?? f.Enable), level: num(f.Level), sensitivity: num(f.Sensitivity), triggered: flag(f.Triggered) };
    } else if (/^IO$/i.test(group)) {
      if (f.Status !== undefined) st.io = decodeIoStatus(f.Status);
    } else if (/^T\d*$/i.test(group)) {
      // T0: tampering (Event.E2); the IP Camera Standard API 5.0.0 §5.4.2 names the parameter both "Enable" and "Enabled".
      st.tampering = { enabled: flag(f.Enabled ?? f.Enable), triggered: flag(f.Triggered) };
    } else if (/^Face$/i.test(group)) {
      const streams = Object.create(null) as Record<string, FaceRect[]>;
      for (const [k, v] of Object.entries(f)) if (/_Face$/i.test(k)) streams[k] = parseFaceRects(v);
      st.face = { enabled: flag(f.Enabled ?? f.Enable), streams };
    }
  }
  return st;
}

/** Decodes one `action=monitor` multipart part (text/plain). */
export function decodeEventDataPart(part: Pick<MultipartPart, 'body'>): EventDataStatus {
  const b = part.body;
  return parseEventData(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'));
}
