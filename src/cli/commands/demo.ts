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
import { numberOption, parseArgs } from '../args.js';
import { write, type CliIo } from '../io.js';
import { trackReport } from './probe.js';
import { recordRtsp } from './record.js';

export const summary = 'start a virtual camera on loopback and record from it (no camera needed)';

const HELP = `usage: camstream demo [--duration S] [-o OUT] [--url RTSP_URL]

Starts camstream's VirtualCamera on 127.0.0.1 (Digest auth, H.264 640x360 25 fps), probes it,
records --duration seconds (default 4) to OUT (default: a temporary file, removed at the end) and checks the recording
against the source, NAL unit for NAL unit. With --url, probes and records a real camera instead.
`;

export async function run(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, { options: ['--duration', '--out', '--url'], aliases: { '-o': '--out' } });
  if (a.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const durationS = numberOption(a, '--duration') ?? 4;
  // Without -o the recording goes to a private temporary folder, removed when the demo ends.
  const tmp = a.options.has('--out') ? undefined : mkdtempSync(join(tmpdir(), 'camstream-demo-'));
  const out = a.options.get('--out') ?? join(tmp!, 'demo.h264');
  let cam: VirtualCamera | undefined;
  let url = a.options.get('--url');
  if (!url) {
    cam = await new VirtualCamera({ auth: 'digest', username: 'admin', password: 'demo-password', pace: 'realtime' }).start();
    url = cam.url();
    await write(io.stdout, `virtual camera listening on rtsp://127.0.0.1:${cam.port} (Digest, qop=auth)\n`);
  }
  try {
    const probe = new RtspClient(url, { keepalive: false });
    const d = await probe.describe();
    await probe.close();
    await write(io.stdout, `probe ${redactUrl(url)}: server "${d.server ?? '?'}", auth ${d.authScheme ?? 'none'}, methods ${d.methods.join(' ')}\n`);
    for (const t of trackReport(d)) {
      await write(io.stdout, `  track ${t.index}: ${t.type} ${t.codec}${t.width ? ` ${t.width}x${t.height}` : ''}${t.codecString ? ` ${t.codecString}` : ''} -> ${t.control}\n`);
    }
    const r = await recordRtsp(url, { out, durationS }, io);
    await write(io.stdout, `recorded ${r.frames} frames (${r.keyframes} keyframes) of ${r.codec} ${r.width ?? '?'}x${r.height ?? '?'}, ${r.bytes} bytes in ${r.seconds.toFixed(1)} s, ${r.lost} packets lost, ${r.droppedUnits} units dropped -> ${out}\n`);
    if (cam) {
      // Check: the recording is the source file's NAL units, in order, from the first keyframe.
      const src = loadH264();
      const want = src.units.flat();
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
