/**
 * `camstream dump <url|capture.pcapng>`: the session as it happens, like `openRTSP -V` plus tshark.
 * Thin: the decoding is src/debug/dump-tap.ts, the printing src/debug/records.ts.
 */
import { parseArgs, numberOption, transportOption, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { runDump } from '../../debug/run-dump.js';
import { formatRecord, jsonRecord, type DumpRecord } from '../../debug/records.js';
import { redactText } from '../../capture/redact.js';

export const summary = 'print every RTSP/HTTP message, RTP/RTCP packet, loss and resync of a session (live or from a capture)';

const HELP = `usage: camstream dump <rtsp://...|http://...|capture.pcapng> [options]

Prints the session as it happens: every RTSP/HTTP message (credentials redacted), one line per RTP
packet (channel, track, payload type, sequence, timestamp, marker, SSRC, size, H.264/H.265 NAL type,
FU start/end, STAP/AP count), RTCP decoded (SR with NTP time, RR, SDES, BYE), losses, reorders and
resyncs; for HTTP streams one line per multipart part or DH/DHAV frame. A .pcapng/.pcap file (from
--capture, tcpdump or Wireshark) is dumped the same way, on its own clock.

  --json           one JSON object per line (schema: docs/dump-schema.md)
  --frames         also one line per frame from the depacketizers
  --track N        media lines of track N only (SDP media index)
  --no-rtp         no per-packet RTP/RTCP lines (losses and frames still shown)
  --duration S     stop after S seconds
  --count N        stop after N media packets (RTP packets, parts, DH frames)
  --capture FILE   also write a pcapng capture (passwords removed)
  --timeout MS     per-request timeout (default 10000)
  --transport T    live RTSP: tcp (default: every byte on the RTSP connection), udp, auto, multicast,
                   http; over UDP each socket's datagrams show as a connection of their own
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--json', '--frames', '--no-rtp'], options: ['--track', '--duration', '--count', '--capture', '--timeout', '--transport'] });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const source = a.positionals[0];
  if (!source || a.positionals.length > 1) throw new UsageError('dump takes one URL or capture file (see --help)');
  const trackOpt = a.options.get('--track');
  const track = trackOpt === undefined ? undefined : Number(trackOpt);
  if (track !== undefined && !(Number.isInteger(track) && track >= 0)) throw new UsageError(`--track must be a track index, not '${trackOpt}'`);
  const duration = numberOption(a, '--duration');
  const count = numberOption(a, '--count');
  const json = a.flags.has('--json');
  const transport = transportOption(a);
  const abort = new AbortController();
  // Piping into `head`: the reader goes away; stop quietly with status 0 (like tshark | head).
  let closedPipe = false;
  const onError = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      closedPipe = true;
      abort.abort();
    }
  };
  io.stdout.on('error', onError);
  let pending = false;
  const print = (r: DumpRecord): void => {
    if (closedPipe) return;
    const text = (json ? jsonRecord(r) : formatRecord(r)) + '\n';
    if (!io.stdout.write(text)) pending = true;
  };
  try {
    await runDump(source, print, {
      rtp: !a.flags.has('--no-rtp'),
      frames: a.flags.has('--frames'),
      track,
      durationMs: duration !== undefined ? duration * 1000 : undefined,
      count,
      capture: a.options.get('--capture'),
      signal: abort.signal,
      requestTimeoutMs: numberOption(a, '--timeout') ?? 10_000,
      ...(transport !== undefined ? { transport } : {}),
      waitWritable: () => (io.stdout.writableNeedDrain && !closedPipe ? new Promise<void>((resolve) => io.stdout.once('drain', resolve)) : undefined),
    });
    if (pending && !closedPipe) await new Promise<void>((resolve) => (io.stdout.writableNeedDrain ? io.stdout.once('drain', resolve) : resolve()));
    return 0;
  } catch (e) {
    if (closedPipe) return 0;
    io.stderr.write(`camstream dump: ${redactText(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  } finally {
    // After EPIPE more write errors may still be queued: keep swallowing them.
    if (!closedPipe) io.stdout.off('error', onError);
  }
}
