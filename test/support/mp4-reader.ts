/**
 * Test-only ISO BMFF reader: the box tree, and per track the samples (offset, size, decode time,
 * duration, sync flag) from either fragments (moof/traf/tfhd/tfdt/trun with trex defaults) or a
 * plain sample table (stts/stsz/stsc/stco/co64/stss). Strict: anything malformed throws, so a test
 * that reads a file also checks its structure.
 */
export interface Box {
  type: string;
  start: number;
  size: number;
  /** Payload start (after size/type/largesize). */
  body: number;
  children: Box[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'mfra', 'edts', 'dinf', 'udta']);

export function parseBoxes(buf: Uint8Array, start = 0, end = buf.length): Box[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Box[] = [];
  let pos = start;
  while (pos < end) {
    if (end - pos < 8) throw new Error(`box header cut at ${pos}`);
    let size = dv.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4]!, buf[pos + 5]!, buf[pos + 6]!, buf[pos + 7]!);
    let body = pos + 8;
    if (size === 1) {
      size = dv.getUint32(pos + 8) * 0x100000000 + dv.getUint32(pos + 12);
      body = pos + 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < body - pos || pos + size > end) throw new Error(`box ${type} at ${pos}: size ${size} past ${end}`);
    const box: Box = { type, start: pos, size, body, children: [] };
    if (CONTAINERS.has(type)) box.children = parseBoxes(buf, body, pos + size);
    out.push(box);
    pos += size;
  }
  return out;
}

/** Top-level boxes that are complete, stopping at the first cut one (what a reader of a cut file sees). */
export function completeTopLevel(buf: Uint8Array): Box[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Box[] = [];
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const size = dv.getUint32(pos);
    if (size < 8 || pos + size > buf.length) break;
    out.push(parseBoxes(buf, pos, pos + size)[0]!);
    pos += size;
  }
  return out;
}

export function find(boxes: Box[], path: string): Box | undefined {
  const [head, ...rest] = path.split('/');
  const b = boxes.find((x) => x.type === head);
  if (!b || rest.length === 0) return b;
  return find(b.children, rest.join('/'));
}

export function findAll(boxes: Box[], type: string): Box[] {
  return boxes.filter((b) => b.type === type);
}

export interface ReadSample {
  offset: number;
  size: number;
  time: number;
  duration: number;
  sync: boolean;
  data: Uint8Array;
}

export interface ReadTrack {
  id: number;
  handler: string;
  timescale: number;
  /** Sample entry type: avc1, avc3, hvc1, hev1, mp4a, alaw, ulaw. */
  entryType: string;
  /** The entry's child boxes' payloads by type (avcC, hvcC, esds). */
  entryBoxes: Record<string, Uint8Array>;
  width: number;
  height: number;
  channels: number;
  sampleRate: number;
  samples: ReadSample[];
}

export interface Prft {
  trackId: number;
  ntpSeconds: number;
  ntpFraction: number;
  mediaTime: number;
}

export interface ReadFile {
  boxes: Box[];
  majorBrand: string;
  compatible: string[];
  creationTime: number;
  /** mehd fragment_duration (movie timescale) when present. */
  fragmentDuration: number | undefined;
  movieTimescale: number;
  movieDuration: number;
  tracks: ReadTrack[];
  fragments: { sequence: number; offset: number }[];
  prft: Prft[];
  /** tfra entries per track id: [time, moof offset]. */
  tfra: Map<number, [number, number][]>;
}

class Cursor {
  private dv: DataView;
  constructor(
    private buf: Uint8Array,
    public pos: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(): number {
    return this.buf[this.pos++]!;
  }
  u16(): number {
    const v = this.dv.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(): number {
    const v = this.dv.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.dv.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const hi = this.u32();
    return hi * 0x100000000 + this.u32();
  }
  fourcc(): string {
    const s = String.fromCharCode(this.buf[this.pos]!, this.buf[this.pos + 1]!, this.buf[this.pos + 2]!, this.buf[this.pos + 3]!);
    this.pos += 4;
    return s;
  }
  skip(n: number): void {
    this.pos += n;
  }
}

function full(buf: Uint8Array, b: Box): { c: Cursor; version: number; flags: number } {
  const c = new Cursor(buf, b.body);
  const version = c.u8();
  const flags = c.u24();
  return { c, version, flags };
}

function must(b: Box | undefined, what: string): Box {
  if (!b) throw new Error(`missing ${what}`);
  return b;
}

export function readMp4(buf: Uint8Array, boxes: Box[] = parseBoxes(buf)): ReadFile {
  const ftyp = must(find(boxes, 'ftyp'), 'ftyp');
  const fc = new Cursor(buf, ftyp.body);
  const majorBrand = fc.fourcc();
  fc.skip(4);
  const compatible: string[] = [];
  while (fc.pos < ftyp.start + ftyp.size) compatible.push(fc.fourcc());
  const moov = must(find(boxes, 'moov'), 'moov');
  const mvhd = full(buf, must(find(moov.children, 'mvhd'), 'mvhd'));
  const creationTime = mvhd.version === 1 ? mvhd.c.u64() : mvhd.c.u32();
  mvhd.c.skip(mvhd.version === 1 ? 8 : 4);
  const movieTimescale = mvhd.c.u32();
  const movieDuration = mvhd.version === 1 ? mvhd.c.u64() : mvhd.c.u32();
  let fragmentDuration: number | undefined;
  const mehd = find(moov.children, 'mvex/mehd');
  if (mehd) {
    const m = full(buf, mehd);
    fragmentDuration = m.version === 1 ? m.c.u64() : m.c.u32();
  }
  const trex = new Map<number, { dur: number; size: number; flags: number }>();
  for (const t of findAll(find(moov.children, 'mvex')?.children ?? [], 'trex')) {
    const { c } = full(buf, t);
    const id = c.u32();
    c.skip(4);
    trex.set(id, { dur: c.u32(), size: c.u32(), flags: c.u32() });
  }
  const tracks: ReadTrack[] = [];
  for (const trak of findAll(moov.children, 'trak')) {
    const tk = full(buf, must(find(trak.children, 'tkhd'), 'tkhd'));
    tk.c.skip(tk.version === 1 ? 16 : 8);
    const id = tk.c.u32();
    const md = full(buf, must(find(trak.children, 'mdia/mdhd'), 'mdhd'));
    md.c.skip(md.version === 1 ? 16 : 8);
    const timescale = md.c.u32();
    const hd = full(buf, must(find(trak.children, 'mdia/hdlr'), 'hdlr'));
    hd.c.skip(4);
    const handler = hd.c.fourcc();
    const stbl = must(find(trak.children, 'mdia/minf/stbl'), 'stbl');
    const stsd = full(buf, must(find(stbl.children, 'stsd'), 'stsd'));
    if (stsd.c.u32() !== 1) throw new Error('stsd entry count');
    const entryStart = stsd.c.pos;
    const entrySize = stsd.c.u32();
    const entryType = stsd.c.fourcc();
    const video = handler === 'vide';
    const e = new Cursor(buf, entryStart + 8);
    e.skip(8);
    let width = 0;
    let height = 0;
    let channels = 0;
    let sampleRate = 0;
    if (video) {
      e.skip(16);
      width = e.u16();
      height = e.u16();
      e.skip(50);
    } else {
      e.skip(8);
      channels = e.u16();
      e.skip(6);
      sampleRate = e.u32() / 0x10000;
    }
    const entryBoxes: Record<string, Uint8Array> = {};
    for (const b of parseBoxes(buf, e.pos, entryStart + entrySize)) entryBoxes[b.type] = buf.subarray(b.body, b.start + b.size);
    const track: ReadTrack = { id, handler, timescale, entryType, entryBoxes, width, height, channels, sampleRate, samples: [] };
    readSampleTable(buf, stbl, track);
    tracks.push(track);
  }
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const fragments: { sequence: number; offset: number }[] = [];
  const prft: Prft[] = [];
  for (const b of boxes) {
    if (b.type === 'prft') {
      const { c, version } = full(buf, b);
      prft.push({ trackId: c.u32(), ntpSeconds: c.u32(), ntpFraction: c.u32(), mediaTime: version === 1 ? c.u64() : c.u32() });
    }
    if (b.type !== 'moof') continue;
    const mf = full(buf, must(find(b.children, 'mfhd'), 'mfhd'));
    fragments.push({ sequence: mf.c.u32(), offset: b.start });
    for (const traf of findAll(b.children, 'traf')) {
      const th = full(buf, must(find(traf.children, 'tfhd'), 'tfhd'));
      const id = th.c.u32();
      const tr = byId.get(id);
      if (!tr) throw new Error(`traf for unknown track ${id}`);
      const defs = trex.get(id) ?? { dur: 0, size: 0, flags: 0 };
      let base = b.start;
      if (th.flags & 0x1) base = th.c.u64();
      else if (!(th.flags & 0x020000)) throw new Error('tfhd without default-base-is-moof');
      if (th.flags & 0x2) th.c.skip(4);
      const dDur = th.flags & 0x8 ? th.c.u32() : defs.dur;
      const dSize = th.flags & 0x10 ? th.c.u32() : defs.size;
      const dFlags = th.flags & 0x20 ? th.c.u32() : defs.flags;
      const tfdt = find(traf.children, 'tfdt');
      if (!tfdt) throw new Error('traf without tfdt');
      const td = full(buf, tfdt);
      let time = td.version === 1 ? td.c.u64() : td.c.u32();
      for (const trun of findAll(traf.children, 'trun')) {
        const r = full(buf, trun);
        const n = r.c.u32();
        let off = base + (r.flags & 0x1 ? r.c.i32() : 0);
        const firstFlags = r.flags & 0x4 ? r.c.u32() : undefined;
        for (let i = 0; i < n; i++) {
          const dur = r.flags & 0x100 ? r.c.u32() : dDur;
          const size = r.flags & 0x200 ? r.c.u32() : dSize;
          let flags = r.flags & 0x400 ? r.c.u32() : dFlags;
          if (i === 0 && firstFlags !== undefined) flags = firstFlags;
          if (r.flags & 0x800) r.c.skip(4);
          if (off + size > buf.length) throw new Error(`sample past the end at ${off}`);
          tr.samples.push({ offset: off, size, time, duration: dur, sync: (flags & 0x10000) === 0, data: buf.subarray(off, off + size) });
          off += size;
          time += dur;
        }
      }
    }
  }
  const tfra = new Map<number, [number, number][]>();
  const mfra = find(boxes, 'mfra');
  if (mfra) {
    for (const b of findAll(mfra.children, 'tfra')) {
      const { c, version } = full(buf, b);
      const id = c.u32();
      const sizes = c.u32();
      const n = c.u32();
      const list: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        const t = version === 1 ? c.u64() : c.u32();
        const o = version === 1 ? c.u64() : c.u32();
        c.skip(((sizes >> 4) & 3) + 1 + ((sizes >> 2) & 3) + 1 + (sizes & 3) + 1);
        list.push([t, o]);
      }
      tfra.set(id, list);
    }
  }
  return { boxes, majorBrand, compatible, creationTime, fragmentDuration, movieTimescale, movieDuration, tracks, fragments, prft, tfra };
}

function readSampleTable(buf: Uint8Array, stbl: Box, track: ReadTrack): void {
  const stszBox = must(find(stbl.children, 'stsz'), 'stsz');
  const sz = full(buf, stszBox);
  const fixed = sz.c.u32();
  const count = sz.c.u32();
  if (count === 0) return;
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) sizes.push(fixed || sz.c.u32());
  const durs: number[] = [];
  const st = full(buf, must(find(stbl.children, 'stts'), 'stts'));
  const ne = st.c.u32();
  for (let i = 0; i < ne; i++) {
    const n = st.c.u32();
    const d = st.c.u32();
    for (let k = 0; k < n; k++) durs.push(d);
  }
  if (durs.length !== count) throw new Error(`stts covers ${durs.length} of ${count} samples`);
  const stss = find(stbl.children, 'stss');
  let syncSet: Set<number> | undefined;
  if (stss) {
    const s = full(buf, stss);
    const n = s.c.u32();
    syncSet = new Set();
    for (let i = 0; i < n; i++) syncSet.add(s.c.u32());
  }
  const coBox = find(stbl.children, 'stco') ?? must(find(stbl.children, 'co64'), 'stco/co64');
  const co = full(buf, coBox);
  const nChunks = co.c.u32();
  const chunkOffsets: number[] = [];
  for (let i = 0; i < nChunks; i++) chunkOffsets.push(coBox.type === 'co64' ? co.c.u64() : co.c.u32());
  const sc = full(buf, must(find(stbl.children, 'stsc'), 'stsc'));
  const nsc = sc.c.u32();
  const runs: [number, number][] = [];
  for (let i = 0; i < nsc; i++) {
    const first = sc.c.u32();
    const per = sc.c.u32();
    sc.c.skip(4);
    runs.push([first, per]);
  }
  let sample = 0;
  let time = 0;
  for (let ci = 0; ci < nChunks; ci++) {
    let per = 0;
    for (const [first, p] of runs) if (first <= ci + 1) per = p;
    let off = chunkOffsets[ci]!;
    for (let k = 0; k < per && sample < count; k++) {
      const size = sizes[sample]!;
      if (off + size > buf.length) throw new Error(`sample past the end at ${off}`);
      track.samples.push({ offset: off, size, time, duration: durs[sample]!, sync: syncSet ? syncSet.has(sample + 1) : true, data: buf.subarray(off, off + size) });
      time += durs[sample]!;
      off += size;
      sample++;
    }
  }
  if (sample !== count) throw new Error(`chunks hold ${sample} of ${count} samples`);
}

/** Splits a 4-byte length-prefixed sample into its NAL units. */
export function lengthPrefixedNalus(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < data.length) {
    if (p + 4 > data.length) throw new Error('NAL length cut');
    const len = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
    if (p + 4 + len > data.length) throw new Error('NAL past the sample');
    out.push(data.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return out;
}
