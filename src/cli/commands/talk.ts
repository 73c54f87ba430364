/**
 * `camstream talk <rtsp url> [--file F]`: plays raw G.711 audio on the camera's speaker over its ONVIF
 * backchannel (ONVIF Streaming Specification §5.3; see client/backchannel.ts). The audio comes from
 * a file (`.ulaw`/`.alaw`, raw 8 kHz bytes) or stdin, and is sent paced in real time. Credentials are
 * never printed.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Backchannel, type TalkCodec } from '../../client/backchannel.js';
import { redactUrl } from '../../rtsp/url.js';
import { parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';

export const summary = 'send G.711 audio (a file or stdin) to a camera speaker over the ONVIF backchannel';

const HELP = `usage: camstream talk <rtsp url> [--file F | --file -] [--format ulaw|alaw] [--udp] [--json]

  --file F         raw G.711 at 8 kHz: F.ulaw (µ-law, PCMU) or F.alaw (A-law, PCMA); '-' or none: stdin
  --format ulaw|alaw   the G.711 law of stdin or of a file without that extension (default ulaw)
  --udp            send the audio over UDP instead of the RTSP connection (TCP interleaved)
  --json           print a JSON summary on stdout
The camera must offer a backchannel (Require: www.onvif.org/ver20/backchannel); Dahua cameras use
/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif and take one talking client at a time.
Make a file with: ffmpeg -i in.wav -ar 8000 -ac 1 -f mulaw tone.ulaw
Exit status: 0 done (also after Ctrl-C), 1 failed, 2 wrong usage.
`;

export const handlesSignals = true;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--udp', '--json'], options: ['--file', '--format'] });
  if (a.help) return void (await write(io.stdout, HELP)), 0;
  const url = a.positionals[0];
  if (url === undefined || a.positionals.length > 1) throw new UsageError('expected one rtsp:// URL');
  const file = a.options.get('--file');
  const format = a.options.get('--format');
  if (format !== undefined && format !== 'ulaw' && format !== 'alaw') throw new UsageError('--format is ulaw or alaw');
  const law = file && /\.alaw$/i.test(file) ? 'alaw' : file && /\.ulaw$/i.test(file) ? 'ulaw' : (format ?? 'ulaw');
  const codec: TalkCodec = law === 'alaw' ? 'pcma' : 'pcmu';
  const input: Readable = file === undefined || file === '-' ? io.stdin : createReadStream(file);
  const transport = a.flags.has('--udp') ? 'udp' : 'tcp';
  const shown = redactUrl(url.trim());
  const bc = await Backchannel.open(url, { codecs: [codec], talkTransport: transport, signal: io.signal });
  let bytes = 0;
  const onStop = (): void => void input.destroy();
  io.signal?.addEventListener('abort', onStop, { once: true });
  try {
    try {
      for await (const chunk of input) {
        const b = chunk as Buffer;
        bytes += b.length;
        await bc.sendAudio(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      }
    } catch (e) {
      if (!io.signal?.aborted) throw e;
    }
    if (!io.signal?.aborted) await bc.finish();
  } finally {
    io.signal?.removeEventListener('abort', onStop);
    await bc.close();
  }
  const seconds = bytes / 8000;
  const line = `talk ${shown}: sent ${bytes} bytes (${seconds.toFixed(2)} s) as ${codec.toUpperCase()} over ${transport}, ${bc.sender.stats.packets} RTP packets`;
  await write(io.stderr, `${line}\n`);
  if (a.flags.has('--json')) await write(io.stdout, JSON.stringify({ url: shown, codec, transport, bytes, seconds, packets: bc.sender.stats.packets }) + '\n');
  return 0;
}
