/**
 * Builds corpus/dh/*.dh and *.dav from the elementary streams in corpus/ with the test-only muxers
 * (test/support/dh-mux.ts). Deterministic: test/dh/corpus.test.ts checks the files equal its output.
 *
 *   npx vite-node scripts/make-dh-corpus.ts -- --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { muxDh, muxDhav, packDhavDate, type MuxFrame } from '../test/support/dh-mux.js';

const root = new URL('../corpus/', import.meta.url);

export interface AccessUnit {
  data: Buffer;
  key: boolean;
}

/** Splits an Annex B stream into access units (a VCL NAL starting a picture, or non-VCL after VCL). */
export function accessUnits(es: Buffer, codec: 'h264' | 'h265'): AccessUnit[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 < es.length; i++) {
    if (es[i] === 0 && es[i + 1] === 0 && es[i + 2] === 1) {
      starts.push(i > 0 && es[i - 1] === 0 ? i - 1 : i);
      i += 2;
    }
  }
  const out: AccessUnit[] = [];
  let auStart = 0;
  let sawVcl = false;
  let key = false;
  for (let n = 0; n < starts.length; n++) {
    const s = starts[n]!;
    const h = es.indexOf(1, s) + 1; // NAL header
    let vcl: boolean;
    let firstSlice = false;
    let irap = false;
    if (codec === 'h264') {
      const t = es[h]! & 0x1f;
      vcl = t === 1 || t === 5;
      firstSlice = vcl && (es[h + 1]! & 0x80) !== 0;
      irap = t === 5;
    } else {
      const t = (es[h]! >> 1) & 0x3f;
      vcl = t < 32;
      firstSlice = vcl && (es[h + 2]! & 0x80) !== 0;
      irap = t >= 16 && t <= 21;
    }
    if (sawVcl && (!vcl || firstSlice)) {
      out.push({ data: es.subarray(auStart, s), key });
      auStart = s;
      sawVcl = false;
      key = false;
    }
    if (vcl) sawVcl = true;
    if (irap) key = true;
  }
  out.push({ data: es.subarray(auStart), key });
  return out;
}

const UTC0 = 1_700_000_000;

function frames(codec: 'h264' | 'h265'): MuxFrame[] {
  const es = readFileSync(new URL(codec === 'h264' ? 'h264-640x360-25fps.h264' : 'h265-640x360-25fps.h265', root));
  const alaw = readFileSync(new URL('g711a-8k.alaw', root));
  const aus = accessUnits(es, codec);
  const out: MuxFrame[] = [];
  let seq = 0;
  aus.forEach((au, i) => {
    const tMs = i * 40;
    const sec = Math.floor(tMs / 1000);
    const common = {
      channel: 0,
      utc: UTC0 + sec,
      utcms: tMs % 1000,
      date: packDhavDate(2024, 3, 1, 12, 0, sec),
      // Start near the top of the 16-bit counter so the corpus crosses the wrap at 65536.
      ms: (63_000 + tMs) & 0xffff,
    };
    out.push({
      ...common,
      kind: 'video',
      payload: au.data,
      sequence: seq++,
      videoType: codec === 'h264' ? 2 : 12,
      frameType: au.key ? 1 : 2,
      width: 640,
      height: 360,
      fps: 25,
      iFrameInterval: 25,
      ...(i === 0 ? { title: 'corpus cam', timeZone: { hours: 1, minutes: 0, dst: false } } : {}),
      // DHAV: 0x81 + 0x82 on I frames only, as cameras do; P frames inherit.
      ...(au.key ? { dhavVideoCodec: codec === 'h264' ? 2 : 0x0c } : {}),
    });
    const a = alaw.subarray(i * 320, i * 320 + 320);
    if (a.length > 0) {
      out.push({ ...common, kind: 'audio', payload: a, sequence: seq++, audioType: 8, tracks: 1, freqIndex: 2, dhavAudioCodec: 14 });
    }
  });
  return out;
}

/** Pads after small packets so the next one starts 0x8000 past the previous packet's start (FFmpeg's dhav resync step). */
function padPlan(fs: MuxFrame[], every: number, header: number): Map<number, number> {
  const plan = new Map<number, number>();
  let pos = header;
  fs.forEach((f, i) => {
    const start = pos;
    const len = f.payload.length + 32 + (f.dhavAudioCodec !== undefined ? 4 : 0) + (f.dhavVideoCodec !== undefined ? 12 : 0);
    pos += len;
    if (f.kind === 'audio' && i % every === every - 1) {
      const pad = start + 0x8000 - pos;
      plan.set(i, pad);
      pos += pad;
    }
  });
  return plan;
}

export function buildDhCorpus(): Map<string, Buffer> {
  const h264 = frames('h264');
  const h265 = frames('h265');
  const m = new Map<string, Buffer>();
  m.set('h264-g711a.dh', muxDh(h264));
  m.set('h265-g711a-playback.dh', muxDh(h265, { preamble: '4711' }));
  m.set('h264-g711a.dav', muxDhav(h264, { fileHeader: true, padAfter: padPlan(h264, 100, 1024) }));
  m.set('h265-g711a.dav', muxDhav(h265.map((f) => (f.kind === 'video' && f.frameType === 1 ? { ...f, pieces: 3 } : f))));
  return m;
}

if (process.argv.includes('--write')) {
  for (const [name, bytes] of buildDhCorpus()) {
    writeFileSync(new URL(`dh/${name}`, root), bytes);
    console.log(`corpus/dh/${name}: ${bytes.length} bytes`);
  }
}
