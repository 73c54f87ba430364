/**
 * the WV-V series HTTP API V2.40 §4.9.17 `eventManager.cgi?action=attach` event parts into typed events.
 *
 *   Code=VideoMotion; action=Start; index=0
 *   Code=VideoBlind; action=Start; index=0
 *   Code= MDResult; action=Pulse; index=0; data=61708863,61708863…
 *   Code=VideoMotion;action=Start;index=0;data={ "RegionName" : [ "Region1" ] }   (newer firmware)
 *   Heartbeat                                                                         (keepalive=N)
 *
 * Fields are `;`-separated `key=value` with spaces anywhere (note "Code= MDResult"); `data=` is last
 * and runs to the end of the line (JSON may contain ';'). Keys are read case-insensitively.
 */
import type { MultipartPart } from '../../multipart/multipart-parser.js';

export type EventAction = 'Start' | 'Stop' | 'Pulse' | (string & {});

export interface AttachEvent {
  kind: 'event';
  code: string;
  action: EventAction;
  /** Channel index; -1 when absent. */
  index: number;
  /** `data=`: parsed JSON, a number list (MDResult row masks), or the text. */
  data?: unknown;
  /** Every field as written (trimmed), keys as written. */
  fields: Record<string, string>;
}

export interface AttachHeartbeat {
  kind: 'heartbeat';
}

export type AttachMessage = AttachEvent | AttachHeartbeat;

/** One line of an attach part; undefined for lines that are neither an event nor a heartbeat. */
export function parseAttachLine(line: string): AttachMessage | undefined {
  const l = line.trim();
  if (l.length === 0) return undefined;
  if (/^heartbeat$/i.test(l)) return { kind: 'heartbeat' };
  const fields = Object.create(null) as Record<string, string>;
  let code: string | undefined;
  let action = '';
  let index = -1;
  let data: unknown;
  let hasData = false;
  let i = 0;
  while (i < l.length) {
    const eq = l.indexOf('=', i);
    if (eq < 0) break;
    const key = l.slice(i, eq).trim();
    const lower = key.toLowerCase();
    let value: string;
    if (lower === 'data') {
      value = l.slice(eq + 1).trim();
      i = l.length;
    } else {
      const semi = l.indexOf(';', eq + 1);
      const end = semi < 0 ? l.length : semi;
      value = l.slice(eq + 1, end).trim();
      i = end + 1;
    }
    if (key.length === 0) continue;
    fields[key] = value;
    if (lower === 'code') code = value;
    else if (lower === 'action') action = value;
    else if (lower === 'index') index = /^-?\d+$/.test(value) ? Number(value) : -1;
    else if (lower === 'data') {
      hasData = true;
      data = parseData(value);
    }
  }
  if (code === undefined) return undefined;
  const ev: AttachEvent = { kind: 'event', code, action, index, fields };
  if (hasData) ev.data = data;
  return ev;
}

function parseData(v: string): unknown {
  const c = v[0];
  if (c === '{' || c === '[') {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  // MDResult (the WV-V series HTTP API V2.40 §4.9.17): one mask per row of the 18 x 22 detection grid, comma-separated.
  if (/^\d+(\s*,\s*\d+)*$/.test(v)) return v.split(',').map((s) => Number(s.trim()));
  return v;
}

/** All events/heartbeats in one attach text (a part body; one message per line). */
export function parseAttachText(text: string): AttachMessage[] {
  const out: AttachMessage[] = [];
  for (const line of text.split('\n')) {
    const m = parseAttachLine(line);
    if (m) out.push(m);
  }
  return out;
}

/** Decodes a multipart part of the attach stream (UTF-8 text). */
export function decodeAttachPart(part: Pick<MultipartPart, 'body'>): AttachMessage[] {
  const b = part.body;
  return parseAttachText(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
}

