import { describe, expect, it } from 'vitest';
import { Mp4Writer } from '../../src/mp4/writer.js';
import { completeFragmentsLength } from '../../src/mp4/recover.js';
import { buildAvcDecoderConfig } from '../../src/codec/h264/sps.js';
import { ProtocolError } from '../../src/errors.js';
import { completeTopLevel, find, lengthPrefixedNalus, parseBoxes, readMp4 } from '../support/mp4-reader.js';
import { AAC_CONFIG, MemoryFile, aacUnits, g711Units, h264Units, h265Units, interleave, record } from './support.js';
import type { AccessUnit } from '../../src/codec/types.js';

const WALL = Date.UTC(2026, 10, 29, 12, 0, 0, 250);
const h264Type = (n: Uint8Array): number => n[0]! & 0x1f;
const h265Type = (n: Uint8Array): number => (n[0]! >> 1) & 0x3f;

/** The NAL units a sample-entry-mode writer keeps: no AUD, no parameter set equal to the entry's. */
function storedH264(u: AccessUnit): Uint8Array[] {
  return u.nalus!.filter((n) => ![7, 8, 9].includes(h264Type(n)));
}

/** Byte-list equality without vitest's slow deep compare of typed arrays: the first differing index, or -1. */
function firstDiff(a: readonly Uint8Array[], b: readonly Uint8Array[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (!a[i] || !b[i] || Buffer.compare(a[i]!, b[i]!) !== 0) return i;
  }
  return -1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

describe('Mp4Writer: H.264 + AAC from the corpus through the RTP path', () => {
  const video = h264Units();
  const audio = aacUnits();
  const videoCopy = video.map((u) => new Uint8Array(u.data));
  const r = record({ tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }] }, interleave([{ units: video, clockRate: 90000 }, { units: audio, clockRate: 16000 }]), [90000, 16000], WALL);
  const m = readMp4(r.file);
  const [v, a] = m.tracks;

  it('writes ftyp, moov, then [prft] moof mdat per fragment, then mfra', () => {
    const top = m.boxes.map((b) => b.type);
    expect(top.slice(0, 2)).toEqual(['ftyp', 'moov']);
    expect(top[top.length - 1]).toBe('mfra');
    expect(top.slice(2, -1).join(' ')).toBe('prft moof mdat '.repeat(4).trim());
    expect(m.majorBrand).toBe('isom');
    expect(r.errors).toEqual([]);
  });

  it('has one track per medium with the sample entries and decoder configuration from the stream', () => {
    expect(v!.entryType).toBe('avc1');
    expect([v!.width, v!.height, v!.timescale, v!.handler]).toEqual([640, 360, 90000, 'vide']);
    const sps = video[0]!.nalus!.find((n) => h264Type(n) === 7)!;
    const pps = video[0]!.nalus!.find((n) => h264Type(n) === 8)!;
    expect(v!.entryBoxes.avcC).toEqual(buildAvcDecoderConfig(sps, [pps]));
    expect(a!.entryType).toBe('mp4a');
    expect([a!.channels, a!.sampleRate, a!.timescale, a!.handler]).toEqual([1, 16000, 16000, 'soun']);
    // esds ends with DecoderSpecificInfo (tag 5, length 2, the config) then SLConfigDescriptor (6, 1, 2).
    expect([...a!.entryBoxes.esds!.subarray(-7)]).toEqual([0x05, 0x02, 0x14, 0x08, 0x06, 0x01, 0x02]);
    expect(r.writer.mimeType).toBe('video/mp4; codecs="avc1.42c01e, mp4a.40.2"');
  });

  it('stores every access unit length-prefixed, times, durations and sync flags as recorded', () => {
    expect(v!.samples).toHaveLength(video.length);
    v!.samples.forEach((s, i) => {
      expect(firstDiff(lengthPrefixedNalus(s.data), storedH264(video[i]!))).toBe(-1);
      expect(s.time).toBe(i * 3600);
      expect(s.duration).toBe(3600);
      expect(s.sync).toBe(video[i]!.keyframe);
    });
    expect(v!.samples.filter((s) => s.sync)).toHaveLength(4);
    expect(firstDiff(a!.samples.map((s) => s.data), audio.map((u) => u.data))).toBe(-1);
    expect(a!.samples.map((s) => s.time)).toEqual(audio.map((_, i) => i * 1024));
    expect(a!.samples.every((s) => s.duration === 1024 && s.sync)).toBe(true);
  });

  it('leaves its input untouched', () => {
    expect(firstDiff(video.map((u) => u.data), videoCopy)).toBe(-1);
  });

  it('cuts one fragment per GOP, each starting at a keyframe, indexed in mfra', () => {
    expect(m.fragments.map((f) => f.sequence)).toEqual([1, 2, 3, 4]);
    const firstOfFragment = m.fragments.map((f) => v!.samples.find((s) => s.offset > f.offset)!);
    expect(firstOfFragment.map((s) => s.sync)).toEqual([true, true, true, true]);
    expect(m.tfra.get(1)).toEqual(m.fragments.map((f, i) => [i * 25 * 3600, f.offset]));
  });

  it('audio and video are interleaved by time: each fragment holds the audio of its GOP', () => {
    for (let i = 0; i < m.fragments.length; i++) {
      const start = m.fragments[i]!.offset;
      const end = m.fragments[i + 1]?.offset ?? r.file.length;
      const vs = v!.samples.filter((s) => s.offset > start && s.offset < end);
      const as = a!.samples.filter((s) => s.offset > start && s.offset < end);
      const vEnd = (vs[vs.length - 1]!.time + 3600) / 90000;
      // Audio ends within one audio frame of the video (the last frame waits for its successor).
      expect(Math.abs((as[as.length - 1]!.time + 1024) / 16000 - vEnd)).toBeLessThan(2 * (1024 / 16000) + 1e-9);
      expect(as[0]!.time / 16000).toBeGreaterThanOrEqual(vs[0]!.time / 90000 - 1024 / 16000);
    }
  });

  it('writes the wall clock: mvhd creation_time and a prft per fragment', () => {
    expect(m.creationTime).toBe(Math.floor(WALL / 1000) + 2082844800);
    expect(m.prft).toHaveLength(4);
    m.prft.forEach((p, i) => {
      expect(p.trackId).toBe(1);
      expect(p.mediaTime).toBe(i * 25 * 3600);
      const ms = (p.ntpSeconds - 2208988800) * 1000 + (p.ntpFraction / 2 ** 32) * 1000;
      expect(Math.abs(ms - (WALL + i * 1000))).toBeLessThan(1);
    });
  });

  it('patches mehd with the duration on close', () => {
    expect(r.chunks.filter((c) => c.kind === 'patch')).toHaveLength(1);
    expect(m.fragmentDuration).toBe(Math.round(((audio.length * 1024) / 16000) * 1000));
  });

  it('faststart: a plain MP4 with moov first, the same samples and a sync table', () => {
    const mem = new MemoryFile();
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }], sampleTables: true }, mem);
    for (const { track, unit, t } of interleave([{ units: video, clockRate: 90000 }, { units: audio, clockRate: 16000 }])) {
      w.push(track, { data: unit.data, nalus: unit.nalus, keyframe: unit.keyframe, time: Math.round(t * (track ? 16000 : 90000)), duration: track ? 1024 : undefined });
    }
    w.close();
    const frag = mem.bytes();
    const plan = w.faststart();
    const plain = concat([plan.head, ...plan.ranges.map((x) => frag.subarray(x.offset, x.offset + x.length))]);
    const boxes = parseBoxes(plain);
    expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'moov', 'mdat']);
    const p = readMp4(plain, boxes);
    const f = readMp4(frag);
    for (const k of [0, 1]) {
      expect(p.tracks[k]!.samples.map((s) => [s.time, s.duration, s.sync])).toEqual(f.tracks[k]!.samples.map((s) => [s.time, s.duration, s.sync]));
      expect(firstDiff(p.tracks[k]!.samples.map((s) => s.data), f.tracks[k]!.samples.map((s) => s.data))).toBe(-1);
    }
    expect(find(boxes, 'moov/trak/mdia/minf/stbl/stss')).toBeDefined();
    expect(p.movieDuration).toBe(f.fragmentDuration);
  });
});

describe('Mp4Writer: other codecs and containers', () => {
  it('H.265: hvc1 + hvcC with VPS, SPS and PPS arrays; samples without parameter sets', () => {
    const units = h265Units();
    const r = record({ tracks: [{ codec: 'h265' }] }, interleave([{ units, clockRate: 90000 }]), [90000]);
    const [t] = readMp4(r.file).tracks;
    expect(t!.entryType).toBe('hvc1');
    const hvcC = t!.entryBoxes.hvcC!;
    expect(hvcC[0]).toBe(1);
    expect(hvcC[22]).toBe(3); // numOfArrays
    expect([hvcC[16], hvcC[17], hvcC[18]]).toEqual([0xfc | 1, 0xf8 | 0, 0xf8 | 0]); // 4:2:0, 8-bit luma and chroma (Main)
    expect([hvcC[23]! & 0x3f]).toEqual([32]);
    expect(t!.samples).toHaveLength(units.length);
    t!.samples.forEach((s, i) => expect(firstDiff(lengthPrefixedNalus(s.data), units[i]!.nalus!.filter((n) => ![32, 33, 34, 35].includes(h265Type(n))))).toBe(-1));
    expect(r.writer.mimeType).toMatch(/^video\/mp4; codecs="hvc1\.1\.6\.L\d+/);
  });

  it('G.711 only in .mov, as QuickTime alaw / ulaw', () => {
    expect(() => new Mp4Writer({ tracks: [{ codec: 'pcma' }] }, new MemoryFile())).toThrow(expect.objectContaining({ code: 'MP4_UNSUPPORTED' }));
    for (const codec of ['pcma', 'pcmu'] as const) {
      const g = g711Units(codec);
      const r = record({ container: 'mov', tracks: [{ codec }] }, interleave([{ units: g, clockRate: 8000 }]), [8000]);
      const f = readMp4(r.file);
      expect(f.majorBrand).toBe('qt  ');
      expect(f.tracks[0]!.entryType).toBe(codec === 'pcma' ? 'alaw' : 'ulaw');
      expect(Buffer.compare(concat(f.tracks[0]!.samples.map((s) => s.data)), concat(g.map((u) => u.data)))).toBe(0);
      expect(f.tracks[0]!.samples.every((s) => s.duration === s.size)).toBe(true);
    }
  });

  it('audio-only fragments are cut every maxFragmentDurationMs', () => {
    const audio = aacUnits();
    const r = record({ tracks: [{ codec: 'aac', config: AAC_CONFIG }], maxFragmentDurationMs: 500 }, interleave([{ units: audio, clockRate: 16000 }]), [16000]);
    const f = readMp4(r.file);
    // A fragment closes at the first frame at or past 500 ms: 8 frames of 64 ms.
    expect(f.fragments.length).toBe(Math.ceil(audio.length / Math.ceil(500 / 64)));
    expect(f.fragments.length).toBeGreaterThan(1);
    expect(f.tracks[0]!.samples).toHaveLength(audio.length);
  });

  it('in-band mode: avc3, parameter sets kept in the keyframes', () => {
    const video = h264Units();
    const r = record({ tracks: [{ codec: 'h264', parameterSets: 'in-band' }] }, interleave([{ units: video, clockRate: 90000 }]), [90000]);
    const [t] = readMp4(r.file).tracks;
    expect(t!.entryType).toBe('avc3');
    expect(lengthPrefixedNalus(t!.samples[0]!.data).map(h264Type)).toEqual(video[0]!.nalus!.filter((n) => h264Type(n) !== 9).map(h264Type));
    expect(lengthPrefixedNalus(t!.samples[0]!.data).map(h264Type)).toContain(7);
  });

  it('sample-entry mode: a keyframe with different parameter sets keeps them in band and is counted', () => {
    const video = h264Units(0, 50);
    const sps = video[25]!.nalus!.find((n) => h264Type(n) === 7)!;
    const changed = new Uint8Array(sps);
    changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x01;
    const nalus = video[25]!.nalus!.map((n) => (n === sps ? changed : n));
    video[25] = { ...video[25]!, nalus };
    const r = record({ tracks: [{ codec: 'h264' }] }, interleave([{ units: video, clockRate: 90000 }]), [90000]);
    expect(r.writer.stats.parameterSetChanges).toBe(1);
    const [t] = readMp4(r.file).tracks;
    expect(lengthPrefixedNalus(t!.samples[25]!.data)[0]).toEqual(changed);
    expect(lengthPrefixedNalus(t!.samples[0]!.data).map(h264Type)).not.toContain(7);
  });
});

describe('Mp4Writer: transientChunks', () => {
  it('media chunks share one reused buffer; copied during onChunk they make the same file', () => {
    const video = h264Units();
    const owned = record({ tracks: [{ codec: 'h264' }] }, interleave([{ units: video, clockRate: 90000 }]), [90000]).file;
    const parts: { offset: number; data: Uint8Array }[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let media = 0;
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }], transientChunks: true }, {
      onChunk: (c) => {
        if (c.kind === 'media') {
          buffers.add(c.data.buffer);
          media++;
        }
        parts.push({ offset: c.offset, data: new Uint8Array(c.data) });
      },
    });
    video.forEach((u, i) => w.push(0, { data: u.data, nalus: u.nalus, keyframe: u.keyframe, time: i * 3600 }));
    w.close();
    const file = new Uint8Array(owned.length);
    for (const p of parts) file.set(p.data, p.offset);
    expect(Buffer.compare(file, owned)).toBe(0);
    // Reused: it only grows (doubling) for a larger fragment.
    expect(media).toBe(4);
    expect(buffers.size).toBeLessThan(media);
  });
});

describe('Mp4Writer: start, order and bad input', () => {
  it('starts at the first keyframe; earlier audio waits, earlier video is counted and dropped', () => {
    const video = h264Units().slice(5);
    const audio = aacUnits();
    const units = interleave([{ units: video, clockRate: 90000 }, { units: audio, clockRate: 16000 }]).map((u) => (u.track === 0 ? { ...u, t: u.t + 5 / 25 } : u));
    const r = record({ tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }] }, units, [90000, 16000]);
    const f = readMp4(r.file);
    expect(r.writer.stats.droppedBeforeKeyframe).toBe(20);
    expect(f.tracks[0]!.samples[0]!.sync).toBe(true);
    expect(f.tracks[0]!.samples).toHaveLength(75);
    // The recording starts at the keyframe (1 s): audio from there on (frame 16 at 1.024 s), at its own time.
    const firstAudio = f.tracks[1]!.samples[0]!;
    expect(firstAudio.time).toBe(16 * 1024 - 16000);
    expect(firstAudio.data).toEqual(audio[16]!.data);
  });

  it('reports and drops a sample whose time does not increase', () => {
    const video = h264Units(0, 10);
    const mem = new MemoryFile();
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }] }, mem);
    video.forEach((u, i) => w.push(0, { data: u.data, nalus: u.nalus, keyframe: u.keyframe, time: (i === 5 ? 3 : i) * 3600 }));
    w.close();
    expect(mem.errors.map((e) => e.code)).toEqual(['MP4_NON_MONOTONIC']);
    expect(mem.errors[0]).toBeInstanceOf(ProtocolError);
    expect(readMp4(mem.bytes()).tracks[0]!.samples).toHaveLength(9);
    expect(w.stats.droppedSamples).toBe(1);
  });

  it('reports and drops empty and oversize samples', () => {
    const video = h264Units(0, 3);
    const mem = new MemoryFile();
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }], maxSampleSize: 20000 }, mem);
    w.push(0, { data: video[0]!.data, nalus: video[0]!.nalus, keyframe: true, time: 0 });
    w.push(0, { data: new Uint8Array(0), keyframe: false, time: 3600 });
    w.push(0, { data: new Uint8Array(20001), keyframe: false, time: 7200 });
    w.close();
    expect(mem.errors.map((e) => e.code)).toEqual(['MP4_BAD_SAMPLE', 'MP4_BAD_SAMPLE']);
  });

  it('waits for a keyframe that carries parameter sets when none are configured', () => {
    const video = h264Units(0, 30);
    const mem = new MemoryFile();
    const w = new Mp4Writer({ tracks: [{ codec: 'h264' }] }, mem);
    const bare = video[0]!.nalus!.filter((n) => h264Type(n) === 5);
    w.push(0, { data: bare[0]!, nalus: bare, keyframe: true, time: 0 });
    for (let i = 1; i < 30; i++) w.push(0, { data: video[i]!.data, nalus: video[i]!.nalus, keyframe: video[i]!.keyframe, time: i * 3600 });
    w.close();
    expect(mem.errors.map((e) => e.code)).toEqual(['MP4_UNSUPPORTED']);
    expect(readMp4(mem.bytes()).tracks[0]!.samples).toHaveLength(5);
  });
});

describe('a file cut anywhere', () => {
  const video = h264Units();
  const audio = aacUnits();
  const r = record({ tracks: [{ codec: 'h264' }, { codec: 'aac', config: AAC_CONFIG }] }, interleave([{ units: video, clockRate: 90000 }, { units: audio, clockRate: 16000 }]), [90000, 16000], WALL);
  const full = readMp4(r.file);

  it('keeps every complete fragment: completeFragmentsLength finds them, the reader reads exactly their samples', () => {
    const moofs = completeTopLevel(r.file).filter((b) => b.type === 'mdat');
    // Random cuts plus each box edge and its neighbours.
    const cuts = Array.from({ length: 40 }, () => Math.floor(Math.random() * (r.file.length + 1)));
    for (const b of completeTopLevel(r.file)) cuts.push(b.start - 1, b.start, b.start + 1, b.start + b.size - 1);
    for (const cut of cuts.filter((c) => c >= 0)) {
      const prefix = r.file.subarray(0, cut);
      const len = completeFragmentsLength(prefix);
      const complete = moofs.filter((b) => b.start + b.size <= cut);
      const init = r.chunks[0]!.data.length;
      expect(len).toBe(complete.length ? complete[complete.length - 1]!.start + complete[complete.length - 1]!.size : cut >= init ? init : 0);
      if (len === 0) continue;
      const part = readMp4(prefix.subarray(0, len));
      for (const k of [0, 1]) {
        const n = part.tracks[k]!.samples.length;
        const same = part.tracks[k]!.samples.every((s, i) => Buffer.compare(s.data, full.tracks[k]!.samples[i]!.data) === 0);
        expect(same, `cut ${cut} track ${k}`).toBe(true);
      }
      expect(part.tracks[0]!.samples.length).toBe(complete.length * 25);
    }
  });
});
