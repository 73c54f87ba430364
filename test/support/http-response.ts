import { expect } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { HttpResponseParser, type HttpBodyFraming, type HttpResponseParserOptions } from '../../src/http/response-parser.js';

export interface Outcome {
  status?: number;
  framing?: HttpBodyFraming;
  body: string;
  ended: boolean;
  error?: { code: string; offset: number };
  events: string[];
}

/** Runs the parser over `chunks`, then EOF when `eof`; collects everything the sink saw. */
export function run(chunks: Uint8Array[], eof = true, opts: HttpResponseParserOptions = {}): Outcome {
  const out: Outcome = { body: '', ended: false, events: [] };
  const body: Buffer[] = [];
  const p = new HttpResponseParser(
    {
      head: (h, f) => {
        out.status = h.status;
        out.framing = f;
        out.events.push('head');
      },
      body: (b) => {
        expect(b.length).toBeGreaterThan(0);
        body.push(Buffer.from(b));
      },
      end: () => {
        out.ended = true;
        out.events.push('end');
      },
      error: (e) => {
        expect(e).toBeInstanceOf(ProtocolError);
        out.error = { code: e.code, offset: e.offset };
        out.events.push('error');
      },
    },
    opts,
  );
  for (const c of chunks) p.push(c);
  if (eof) p.end();
  out.body = Buffer.concat(body).toString('latin1');
  return out;
}

