/**
 * DH and DHAV muxers (strict writers of the layouts in docs/dh-format.md, the WV-V series HTTP API V2.40 §7). The virtual
 * camera uses them at run time (playback streams re-muxed with the current operateId); the tests,
 * benches and scripts/make-dh-corpus.ts use them through test/support/dh-mux.ts.
 */
export interface MuxFrame {
  kind: 'video' | 'audio' | 'aux';
  payload: Uint8Array;
  channel?: number;
  sequence?: number;
  // --- DH (the WV-V series HTTP API V2.40 §7) ---
  utc?: number;
  utcms?: number;
  /** DH video type (1 MPEG4, 2 H.264; 12 H.265 by our assumption); undefined = no 0x21 record. */
  videoType?: number;
  frameType?: number;
  width?: number;
  height?: number;
  iFrameInterval?: number;
  fps?: number;
  operateId?: number;
  /** DH audio type (1..16); undefined = no 0x11 record. */
  audioType?: number;
  tracks?: number;
  freqIndex?: number;
  title?: string;
  events?: number;
  gap?: { operateId: number; startTime: number; beginMs: number; endTime: number; endMs: number };
  timeZone?: { hours: number; minutes: number; dst: boolean };
  /** Raw extra extend records (DH) or extensions (DHAV) appended as is. */
  rawExt?: Uint8Array;
  badChecksum?: boolean;
  // --- DHAV ---
  /** DHAV type byte; default from kind/frameType (0xFD I, 0xFC P, 0xF0 audio, 0xF1 aux). */
  dhavType?: number;
  subtype?: number;
  /** Packed local date (see packDhavDate). */
  date?: number;
  /** 16-bit ms counter (taken mod 65536). */
  ms?: number;
  /** 0x81 codec byte (2 H.264, 0x0C H.265); undefined = no 0x81 extension. */
  dhavVideoCodec?: number;
  /** 0x83 audio codec byte (DHAV numbering); undefined = no 0x83 extension. */
  dhavAudioCodec?: number;
  /** Split into this many sub-frame pieces (index counting down to 0); extensions on the first only. */
  pieces?: number;
  badTrailer?: boolean;
}

export function packDhavDate(year: number, month: number, day: number, h: number, mi: number, s: number): number {
  return (((year - 2000) << 26) | (month << 22) | (day << 17) | (h << 12) | (mi << 6) | s) >>> 0;
}

function checksum(b: Uint8Array, at: number): number {
  let s = 0;
  for (let k = at; k < at + 23; k++) s += b[k]!;
  return s & 0xff;
}

function record(type: number, data: number[] | Uint8Array, minLen = 0): Buffer {
  const len = Math.max(minLen, (4 + data.length + 3) & ~3);
  const r = Buffer.alloc(len);
  r[0] = type;
  r[1] = len;
  r.set(data, 4);
  return r;
}

function le16(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}
function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** DH extend headers of one frame (the WV-V series HTTP API V2.40 §7.2). */
export function dhExtend(f: MuxFrame): Buffer {
  const recs: Buffer[] = [];
  if (f.audioType !== undefined) {
    recs.push(record(0x11, [f.audioType, f.tracks ?? 1, f.freqIndex ?? 2, 0, ...le32(f.operateId ?? 0), 0, 0, 0, 0]));
  }
  if (f.videoType !== undefined) {
    recs.push(
      record(0x21, [f.videoType, f.frameType ?? 1, ...le16(f.width ?? 0), ...le16(f.height ?? 0), f.iFrameInterval ?? 0, f.fps ?? 0, ...le32(f.operateId ?? 0)]),
    );
  }
  if (f.title !== undefined) recs.push(record(0x22, Buffer.from(f.title, 'utf8')));
  if (f.events !== undefined) recs.push(record(0x23, le32(f.events)));
  if (f.gap) {
    const g = f.gap;
    recs.push(record(0x24, [...le32(g.operateId), ...le32(g.startTime), ...le16(g.beginMs), 0, 0, ...le32(g.endTime), ...le16(g.endMs), 0, 0]));
  }
  if (f.timeZone) recs.push(record(0x31, [f.timeZone.hours & 0xff, f.timeZone.minutes & 0xff, f.timeZone.dst ? 1 : 0, 0]));
  if (f.rawExt) recs.push(Buffer.from(f.rawExt));
  return Buffer.concat(recs);
}

/** One DH packet. */
export function dhPacket(f: MuxFrame): Buffer {
  const ext = dhExtend(f);
  const len = 24 + ext.length + f.payload.length;
  const b = Buffer.alloc(len);
  b.write('DH', 0, 'latin1');
  b[2] = f.kind === 'audio' ? 0x10 : f.kind === 'video' ? 0x20 : 0x21;
  b.writeUInt32LE(len, 4);
  b.writeUInt16LE(f.channel ?? 0, 8);
  b.writeUInt16LE(ext.length, 10);
  b.writeUInt32LE((f.sequence ?? 0) >>> 0, 12);
  b.writeUInt32LE((f.utc ?? 0) >>> 0, 16);
  b.writeUInt16LE(f.utcms ?? 0, 20);
  b[23] = (checksum(b, 0) + (f.badChecksum ? 1 : 0)) & 0xff;
  ext.copy(b, 24);
  b.set(f.payload, 24 + ext.length);
  return b;
}

export function muxDh(frames: MuxFrame[], opts: { preamble?: string } = {}): Buffer {
  const parts: Buffer[] = [];
  if (opts.preamble !== undefined) parts.push(Buffer.from(`streamId=${opts.preamble}\r\n`, 'latin1'));
  for (const f of frames) parts.push(dhPacket(f));
  return Buffer.concat(parts);
}

export function dhavType(f: MuxFrame): number {
  if (f.dhavType !== undefined) return f.dhavType;
  if (f.kind === 'audio') return 0xf0;
  if (f.kind === 'aux') return 0xf1;
  return (f.frameType ?? 1) === 1 ? 0xfd : (f.frameType === 3 ? 0xfe : 0xfc);
}

/** DHAV extensions of one frame (fixed sizes by type, docs/dh-format.md). */
export function dhavExt(f: MuxFrame): Buffer {
  const parts: number[] = [];
  if (f.dhavVideoCodec !== undefined) parts.push(0x81, f.iFrameInterval ?? 0, f.dhavVideoCodec, f.fps ?? 0);
  if (f.width !== undefined && f.kind === 'video' && f.dhavVideoCodec !== undefined) parts.push(0x82, 0, 0, 0, ...le16(f.width), ...le16(f.height ?? 0));
  if (f.dhavAudioCodec !== undefined) parts.push(0x83, f.tracks ?? 1, f.dhavAudioCodec, f.freqIndex ?? 2);
  const raw = f.rawExt ? Buffer.from(f.rawExt) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(parts), raw]);
}

function dhavPiece(f: MuxFrame, ext: Buffer, payload: Uint8Array, index: number): Buffer {
  const len = 24 + ext.length + payload.length + 8;
  const b = Buffer.alloc(len);
  b.write('DHAV', 0, 'latin1');
  b[4] = dhavType(f);
  b[5] = f.subtype ?? 0;
  b[6] = f.channel ?? 0;
  b[7] = index;
  b.writeUInt32LE((f.sequence ?? 0) >>> 0, 8);
  b.writeUInt32LE(len, 12);
  b.writeUInt32LE((f.date ?? 0) >>> 0, 16);
  b.writeUInt16LE((f.ms ?? 0) & 0xffff, 20);
  b[22] = ext.length;
  b[23] = (checksum(b, 0) + (f.badChecksum ? 1 : 0)) & 0xff;
  ext.copy(b, 24);
  b.set(payload, 24 + ext.length);
  b.write(f.badTrailer ? 'dhaw' : 'dhav', len - 8, 'latin1');
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** One DHAV frame: one packet, or `pieces` packets with sub-frame index counting down to 0. */
export function dhavPackets(f: MuxFrame): Buffer[] {
  const ext = dhavExt(f);
  const n = Math.max(1, f.pieces ?? 1);
  if (n === 1) return [dhavPiece(f, ext, f.payload, 0)];
  const out: Buffer[] = [];
  const step = Math.ceil(f.payload.length / n);
  for (let k = 0; k < n; k++) {
    const part = f.payload.subarray(Math.min(f.payload.length, k * step), Math.min(f.payload.length, (k + 1) * step));
    out.push(dhavPiece(f, k === 0 ? ext : Buffer.alloc(0), part, n - 1 - k));
  }
  return out;
}

export interface DhavMuxOptions {
  /** Start with a 1024-byte "DAHUA" file header. */
  fileHeader?: boolean;
  /** Bytes of 0xFF padding written after frame i (by index). */
  padAfter?: Map<number, number>;
}

export function muxDhav(frames: MuxFrame[], opts: DhavMuxOptions = {}): Buffer {
  const parts: Buffer[] = [];
  if (opts.fileHeader) {
    const h = Buffer.alloc(1024);
    h.write('DAHUA', 0, 'latin1');
    parts.push(h);
  }
  frames.forEach((f, i) => {
    parts.push(...dhavPackets(f));
    const pad = opts.padAfter?.get(i);
    if (pad) parts.push(Buffer.alloc(pad, 0xff));
  });
  return Buffer.concat(parts);
}

