/**
 * `camstream demo` — the README's main job on an embedded default: starts the VirtualCamera on
 * loopback (Digest auth with qop, the corpus H.264 stream in real time), probes it, records from it
 * with the RTSP client, checks what arrived against the source file, and prints what it got.
 * No camera needed. `--url` points the same job at a real camera instead.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { VirtualCamera } from '../../testing/virtual-camera.js';
import { loadH264 } from '../../testing/media-source.js';
import { splitAnnexB } from '../../codec/annex-b.js';
import { RtspClient } from '../../client/rtsp-client.js';
import { redactUrl } from '../../rtsp/url.js';
import { numberOption, parseArgs, UsageError } from '../args.js';
import { write, type CliIo } from '../io.js';
import { chooseOutput, RecordOutput } from '../output.js';
import { NORMAL_ENDS } from '../record-summary.js';
import { trackReport } from './probe.js';
import { recordRtsp } from './record.js';
import { verboseRtsp } from '../verbose.js';

export const summary = 'start a virtual camera on loopback and record from it (no camera needed)';
export const handlesSignals = true;

const HELP = `usage: camstream demo [--duration S] [-o OUT] [--url RTSP_URL] [-v]

Starts camstream's VirtualCamera on 127.0.0.1 (Digest auth, H.264 640x360 25 fps), probes it,
records --duration seconds (default 4) to OUT (default: a temporary file, removed at the end) and
checks the recording against the source, NAL unit for NAL unit. With --url, probes and records a
real camera instead. -v prints the RTSP dialogue on stderr (credentials redacted).
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { flags: ['--verbose'], options: ['--duration', '--out', '--url'], aliases: { '-o': '--out', '-v': '--verbose' } });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  if (a.positionals.length > 0) throw new UsageError('demo takes no positional arguments (a camera is given with --url)');
  const durationS = numberOption(a, '--duration') ?? 4;
  const given = a.options.get('--out');
  if (given !== undefined) chooseOutput(given, 'rtsp');
  const verbose = a.flags.has('--verbose');
  let cam: VirtualCamera | undefined;
  let url = a.options.get('--url');
  // Without -o the recording goes to a private temporary folder, removed when the demo ends.
  let tmp: string | undefined;
  try {
    tmp = given === undefined ? mkdtempSync(join(tmpdir(), 'camstream-demo-')) : undefined;
    const out = given ?? join(tmp!, 'demo.h264');
    if (!url) {
      cam = await new VirtualCamera({ auth: 'digest', username: 'admin', password: 'demo-password', pace: 'realtime' }).start();
      url = cam.url();
      await write(io.stdout, `virtual camera listening on rtsp://127.0.0.1:${cam.port} (Digest, qop=auth)\n`);
    }
    const probe = new RtspClient(url, { keepalive: false });
    if (verbose) verboseRtsp(probe, io.stderr);
    try {
      const d = await probe.describe();
      await write(io.stdout, `probe ${redactUrl(url)}: server "${d.server ?? '?'}", auth ${d.authScheme ?? 'none'}, methods ${d.methods.join(' ')}\n`);
      for (const t of trackReport(d)) {
        await write(io.stdout, `  track ${t.index}: ${t.type} ${t.codec}${t.width ? ` ${t.width}x${t.height}` : ''}${t.codecString ? ` ${t.codecString}` : ''} -> ${t.control}\n`);
      }
    } finally {
      await probe.close();
    }
    const r = await recordRtsp(url, { out: new RecordOutput(out, io.stdout), durationS, verbose, summaryLine: false }, io);
    const shownOut = tmp ? `${out} (temporary, removed)` : out;
    await write(
      io.stdout,
      `recorded ${r.frames} frames (${r.keyframes} keyframes) of ${r.codec || '?'} ${r.width ?? '?'}x${r.height ?? '?'}, ${r.bytes} bytes in ${r.durationS.toFixed(1)} s, ` +
        `${r.losses.lostPackets} packets lost, ${r.losses.droppedUnits} units dropped -> ${shownOut}\n`,
    );
    if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    if (!NORMAL_ENDS.includes(r.endReason)) return 1;
    if (cam && r.frames > 0) {
      // Check: the recording is the source file's NAL units, in order, from the first keyframe.
      const want = loadH264().units.flat();
      const got = splitAnnexB(readFileSync(out));
      let same = got.length > 0;
      for (let i = 0; i < got.length && same; i++) same = Buffer.compare(got[i]!, want[i % want.length]!) === 0;
      await write(io.stdout, same ? `check: all ${got.length} NAL units equal the source, byte for byte\n` : 'check: FAILED — the recording differs from the source\n');
      if (!same) return 1;
    }
    return r.frames > 0 ? 0 : 1;
  } finally {
    await cam?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
