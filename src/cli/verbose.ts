/**
 * `-v` / `--verbose`: the RTSP or HTTP dialogue on stderr, like `curl -v`: `> ` lines we sent,
 * `< ` lines we received, heads only (bodies are summarised by size). Authorization values and URL
 * passwords are redacted (and the CLI's scrubber removes any password given on the command line).
 */
import type { Writable } from 'node:stream';
import { redactText } from '../capture/redact.js';
import type { RtspClient } from '../client/rtsp-client.js';
import type { WireTap } from '../capture/tap.js';
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

/**
 * A wire tap (src/capture/tap.ts) for the HTTP client that prints each request and response head as it
 * crosses the wire (bodies are not shown). Bytes are only read during the call, as the tap contract asks.
 */
export function httpHeadTap(err: Writable): WireTap {
  const state = new Map<string, { text: string; done: boolean }>();
  return {
    open(c) {
      state.set(`${c.id}:in`, { text: '', done: false });
      state.set(`${c.id}:out`, { text: '', done: false });
    },
    data(id, direction, bytes) {
      const st = state.get(`${id}:${direction}`);
      if (!st || st.done) return;
      st.text += Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 16384)).toString('latin1');
      const end = st.text.search(/\r?\n\r?\n/);
      if (end >= 0 || st.text.length > 65536) {
        st.done = true;
        err.write(dialogueLines(direction, end >= 0 ? st.text.slice(0, end) : st.text));
      }
    },
    close(id) {
      state.delete(`${id}:in`);
      state.delete(`${id}:out`);
    },
  };
}
