/**
 * The boundary parameter of a multipart Content-Type (RFC 2046 §5.1.1, RFC 2045 §5.1 parameter
 * syntax), read tolerantly: quoted or not, any parameter-name case, extra parameters before or
 * after, spaces around `=` and `;`, trailing spaces.
 *
 *   multipart/x-mixed-replace; boundary=myboundary          the WV-V series HTTP API V2.40 §4.9.17
 *   multipart/x-mixed-replace;boundary=<boundary>           the IP Camera Standard API 5.0.0 §5.4.2 (no space after ';')
 *   multipart/x-mixed-replace; boundary="--frame"; charset=x
 *
 * The value is returned as written (unquoted). A leading `--` is kept here: some cameras declare
 * `boundary=--myboundary` and then write either `--myboundary` or `----myboundary`; the parser
 * (`MultipartParser`) strips it and accepts both spellings.
 */
import { ProtocolError } from '../errors.js';

/** The boundary value, or undefined when the Content-Type has none (or an empty one). */
export function parseBoundary(contentType: string): string | undefined {
  const s = contentType;
  let i = s.indexOf(';');
  while (i >= 0 && i < s.length) {
    i++; // past ';'
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) return undefined;
    const name = s.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    let value: string;
    if (s[j] === '"') {
      // quoted-string (RFC 2045 §5.1 / RFC 822): backslash escapes one char.
      let v = '';
      j++;
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) j++;
        v += s[j];
        j++;
      }
      value = v;
      const next = s.indexOf(';', j);
      i = next < 0 ? s.length : next;
    } else {
      const next = s.indexOf(';', j);
      const end = next < 0 ? s.length : next;
      value = s.slice(j, end).trim();
      i = next < 0 ? s.length : next;
    }
    if (name === 'boundary') return value.length > 0 ? value : undefined;
    if (i >= s.length) break;
  }
  return undefined;
}

/** Like `parseBoundary` but throws `MULTIPART_NO_BOUNDARY` when there is none. */
export function boundaryFromContentType(contentType: string): string {
  const b = parseBoundary(contentType);
  if (b === undefined) {
    throw new ProtocolError('MULTIPART_NO_BOUNDARY', `no boundary parameter in Content-Type "${contentType.slice(0, 200)}"`);
  }
  return b;
}

/** True when the media type is multipart/* (case-insensitive). */
export function isMultipart(contentType: string): boolean {
  return /^\s*multipart\//i.test(contentType);
}
