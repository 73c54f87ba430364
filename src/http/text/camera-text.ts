/**
 * Parsers for the plain-text bodies the vendor documents' CGI endpoints answer with (docs/vendor-documents.md). All accept CRLF or bare LF
 * line ends, trailing spaces and empty lines (the IP Camera Standard API 5.0.0 §4/5.1.1.3 mixes "\r\n" with "\n").
 *
 *   the IP Camera Standard API 5.0.0 §5.1.1.3   root.Network.IPAddress=192.168.0.250\n        # Error: <description>\n
 *   the WV-V series HTTP API V2.40 getConfig  table.Encode[0].MainFormat[0].Video.FPS=18     caps.AlarmOutEnable=true
 *   the WV-V series HTTP API V2.40            streamId=3   result=1   operateId=1   OK
 *   the WV-V series HTTP API V2.40 §3.3       Error\r\nErrorID=<Error Code>, Detail=<Error Description>
 */
import { ProtocolError } from '../../errors.js';

/** The non-empty lines of a camera text answer, trimmed (CRLF or bare LF). */
export function nonEmptyLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l.length > 0) out.push(l);
  }
  return out;
}

/** `key=value` lines in order (split at the first '='; lines without one are skipped). */
export function parseKeyValueLines(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const l of nonEmptyLines(text)) {
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    out.push([l.slice(0, eq).trim(), l.slice(eq + 1).trim()]);
  }
  return out;
}

/** `key=value` lines into a record (`streamId=3`, `result=1`, `operateId=1`); later lines win. */
export function parseKeyValues(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of parseKeyValueLines(text)) out[k] = v;
  return out;
}

/** the WV-V series HTTP API V2.40: a bare `OK` answer. */
export function isOk(text: string): boolean {
  return text.trim() === 'OK';
}

/** the WV-V series HTTP API V2.40 Table 3-2: ErrorID meanings. */
export const CAMERA_ERROR_DETAILS: Readonly<Record<number, string>> = {
  0: 'Invalid Authority!',
  1: 'Request parses error!',
  2: 'Invalid Request!',
  3: 'Method not found!',
  4: 'Request invalid param!',
  5: 'Server internal error!',
  6: 'Request Timeout!',
  7: 'Client keepalive failed!',
};

export interface CameraError {
  /** the WV-V series HTTP API V2.40 ErrorID; undefined for the IP Camera Standard API 5.0.0 `# Error:` lines or a bare `Error`. */
  errorId?: number;
  detail: string;
}

/**
 * The camera's application error in a 200 body, or undefined when the body is not one.
 *  - the WV-V series HTTP API V2.40 §3.3: `Error` line, then `ErrorID=2, Detail= Invalid Request!` (the detail may be empty
 *    or missing; the ErrorID line may come alone).
 *  - the IP Camera Standard API 5.0.0 §5.1.1.3: `# Error: <description>` (also accepted without `#`).
 */
export function parseCameraError(text: string): CameraError | undefined {
  const ls = nonEmptyLines(text);
  if (ls.length === 0 || ls.length > 8) return undefined;
  for (const l of ls) {
    const m = /^#?\s*Error\s*:\s*(.*)$/i.exec(l);
    if (m) return { detail: m[1]!.trim() };
  }
  const first = ls[0]!;
  const idLine = ls.find((l) => /^ErrorID\s*=/i.test(l));
  if (!/^Error$/i.test(first) && idLine === undefined) return undefined;
  if (idLine === undefined) return { detail: ls.slice(1).join(' ') };
  const m = /^ErrorID\s*=\s*(-?\d+)\s*(?:[,;]\s*Detail\s*=\s*(.*))?$/i.exec(idLine);
  if (!m) return { detail: idLine };
  const errorId = Number(m[1]);
  const detail = (m[2] ?? '').trim() || (CAMERA_ERROR_DETAILS[errorId] ?? '');
  return { errorId, detail };
}

/** The ProtocolError an HTTP client throws for a camera error body. */
export function cameraErrorToProtocolError(e: CameraError, context: Record<string, string | number> = {}): ProtocolError {
  const id = e.errorId !== undefined ? ` ErrorID=${e.errorId}` : '';
  return new ProtocolError('HTTP_CAMERA_ERROR', `camera answered an error:${id} ${e.detail}`.trimEnd(), {
    context: { ...context, errorId: e.errorId, detail: e.detail },
  });
}

export interface RootParams {
  /** Parameters by full name as written (`root.Network.IPAddress`). */
  params: Record<string, string>;
  /** The `# Error:` description when the camera refused the request. */
  error?: string;
}

/** the IP Camera Standard API 5.0.0 §5.1.1.3 `param.cgi?action=list` output: `root.Group.Name=value` lines and `# Error:`. */
export function parseRootParams(text: string): RootParams {
  const params = Object.create(null) as Record<string, string>;
  const out: RootParams = { params };
  for (const l of nonEmptyLines(text)) {
    const err = /^#?\s*Error\s*:\s*(.*)$/i.exec(l);
    if (err) {
      out.error = err[1]!.trim();
      continue;
    }
    if (l.startsWith('#')) continue;
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    params[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

export type TableValue = string | TableNode | TableValue[];
export interface TableNode {
  [key: string]: TableValue;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Largest array index accepted (a peer must not make us allocate a huge sparse array). */
const MAX_INDEX = 4096;

/**
 * the WV-V series HTTP API V2.40 getConfig style `table.A[0].B[1][2].C=value` (and `caps.X=y`, `channels[0]=0`) lines
 * into nested objects and arrays: `{ table: { A: [ { B: [ [ , , { C: 'value' } ] ] } ] } }`.
 * Values stay strings. Lines whose path conflicts with an earlier value or is malformed are skipped.
 */
export function parseTable(text: string): TableNode {
  const root: TableNode = {};
  for (const [key, value] of parseKeyValueLines(text)) {
    const path = parsePath(key);
    if (path === undefined || path.length === 0) continue;
    setPath(root, path, value);
  }
  return root;
}

function parsePath(key: string): Array<string | number> | undefined {
  const out: Array<string | number> = [];
  const re = /\s*(?:\.?\s*([^.[\]\s]+)|\[\s*(\d+)\s*\])/y;
  let i = 0;
  while (i < key.length) {
    re.lastIndex = i;
    const m = re.exec(key);
    if (!m) return undefined;
    if (m[1] !== undefined) {
      if (UNSAFE_KEYS.has(m[1])) return undefined;
      out.push(m[1]);
    } else {
      const n = Number(m[2]);
      if (n > MAX_INDEX || out.length === 0) return undefined;
      out.push(n);
    }
    i = re.lastIndex;
  }
  return out;
}

function setPath(root: TableNode, path: Array<string | number>, value: string): void {
  let node: TableNode | TableValue[] = root;
  for (let k = 0; k < path.length; k++) {
    const seg = path[k]!;
    const last = k === path.length - 1;
    const nextIsIndex = !last && typeof path[k + 1] === 'number';
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return;
      if (last) {
        if (node[seg] !== undefined && typeof node[seg] !== 'string') return;
        node[seg] = value;
        return;
      }
      let child: TableValue | undefined = node[seg];
      if (child === undefined) node[seg] = child = nextIsIndex ? [] : {};
      if (typeof child === 'string' || Array.isArray(child) !== nextIsIndex) return;
      node = child;
    } else {
      if (Array.isArray(node)) return;
      if (last) {
        const cur = node[seg];
        if (cur !== undefined && typeof cur !== 'string') return;
        node[seg] = value;
        return;
      }
      let child: TableValue | undefined = Object.prototype.hasOwnProperty.call(node, seg) ? node[seg] : undefined;
      if (child === undefined) node[seg] = child = nextIsIndex ? [] : {};
      if (typeof child === 'string' || Array.isArray(child) !== nextIsIndex) return;
      node = child;
    }
  }
}
