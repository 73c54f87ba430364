/**
 * `-v` / `--verbose`: the RTSP or HTTP dialogue on stderr, like `curl -v`: `> ` lines we sent,
 * `< ` lines we received, heads only (bodies are summarised by size). Authorization values and URL
 * passwords are redacted (and the CLI's scrubber removes any password given on the command line).
 */
import type { Writable } from 'node:stream';
import { redactText } from '../capture/redact.js';
import type { RtspClient } from '../client/rtsp-client.js';
import type { HttpResponse } from '../client/http-client.js';
import { redactUrl } from '../rtsp/url.js';

/** `> `/`< ` lines of one message; a body is shown as its size, an SDP body in full (it is text). */
export function dialogueLines(direction: 'in' | 'out', text: string): string {
  const mark = direction === 'out' ? '> ' : '< ';
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text.replace(/\s+$/, '');
  const body = end >= 0 ? text.slice(end).replace(/^\r?\n\r?\n/, '') : '';
  const lines = redactText(head).split(/\r?\n/).map((l) => mark + l);
  if (body.length > 0) {
    if (/^v=0/.test(body)) lines.push(...redactText(body).replace(/\s+$/, '').split(/\r?\n/).map((l) => mark + l));
    else lines.push(`${mark}[${Buffer.byteLength(body)} body bytes]`);
  }
  return lines.join('\n') + '\n';
}

/** Prints every RTSP message the client sends and receives. */
export function verboseRtsp(client: RtspClient, err: Writable): void {
  client.on('message', (direction: 'in' | 'out', text: string) => {
    err.write(dialogueLines(direction, text));
  });
}

/** Prints the request line we send and the response head we got (HTTP). */
export function verboseHttpRequest(err: Writable, method: string, url: string): void {
  err.write(`> ${method} ${redactUrl(url)}\n`);
}

export function verboseHttpResponse(err: Writable, res: HttpResponse): void {
  const lines = [`${res.protocol} ${res.status} ${res.reason}`];
  for (const [name, value] of res.headers) lines.push(`${name}: ${value}`);
  err.write(dialogueLines('in', lines.join('\r\n')));
}
