/**
 * `camstream events <url> [--codes A,B] [--keepalive S] [--count N]`: one JSON event per
 * line on stdout. A the WV-V series HTTP API V2.40 camera (`/cgi-bin/eventManager.cgi?action=attach`) is used unless the
 * URL's path is the IP Camera Standard API 5.0.0's `eventdata.cgi` (then `action=monitor` statuses are printed).
 */
import { CameraHttp } from '../../client/camera-http.js';
import { parseHttpUrl } from '../../http/url.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { captureForUrl } from '../../capture/file.js';

export const summary = 'print camera events (the WV-V series HTTP API V2.40 eventManager attach / the IP Camera Standard API 5.0.0 eventdata monitor) as JSON lines';

const HELP = `usage: camstream events <http url> [--codes A,B,...] [--keepalive S] [--count N] [--heartbeats]

  --codes LIST    event codes to subscribe to (default All)
  --keepalive S   ask for heartbeats every S seconds and send keepalive bytes (the WV-V series HTTP API V2.40 §4.9.17)

  An eventManager.cgi URL is sent as given: its own codes= and keepalive= win, and the options
  only fill in what it leaves out (keepalive bytes follow the URL's keepalive=).
  --count N       stop after N events
  --heartbeats    print heartbeat lines too
  --capture FILE  also write a pcapng capture (passwords removed)
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { options: ['--codes', '--keepalive', '--count', '--capture'], flags: ['--heartbeats'] });
  if (a.help) return void (await write(io.stdout, HELP)), 0;
  const url = a.positionals[0];
  if (url === undefined || a.positionals.length > 1) throw new UsageError('expected one http(s):// URL');
  const count = numberOption(a, '--count');
  const keepalive = numberOption(a, '--keepalive');
  const u = parseHttpUrl(url);
  const cap = captureForUrl(a.options.get('--capture'), url);
  const cam = new CameraHttp(url, { idleTimeoutMs: 0, tap: cap?.tap });
  let n = 0;
  if (/eventdata\.cgi/i.test(u.target)) {
    const group = new URL(url).searchParams.get('group') ?? undefined;
    const s = await cam.eventData({ action: 'monitor', group });
    try {
      for await (const st of s) {
        await write(io.stdout, JSON.stringify(st) + '\n');
        if (count !== undefined && ++n >= count) break;
      }
    } finally {
      s.close();
      cap?.close();
    }
    return 0;
  }
  const codes = a.options.get('--codes');
  // The URL is the request: an eventManager.cgi URL is sent as given (its codes= and keepalive=
  // win); --codes/--keepalive only fill in what it leaves out.
  const path = /eventManager\.cgi/i.test(u.target) ? u.target : undefined;
  const s = await cam.events({ codes: codes === undefined ? 'All' : codes.split(',').map((c) => c.trim()), keepalive, path });
  try {
    for await (const m of s) {
      if (m.kind === 'heartbeat' && !a.flags.has('--heartbeats')) continue;
      await write(io.stdout, JSON.stringify({ ...m, time: new Date().toISOString() }) + '\n');
      if (count !== undefined && ++n >= count) break;
    }
  } finally {
    s.close();
    cap?.close();
  }
  return 0;
}
