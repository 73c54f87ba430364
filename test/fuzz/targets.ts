/**
 * Fuzz targets: every parser of the library driven the way its callers drive it, from bytes.
 *
 * A target gives
 * - seeds: byte streams made of units (frames, packets, parts, messages) whose boundaries and
 *   payload ranges are known, from corpus/ files and the project's own packetizers and muxers;
 * - run(chunks): feeds the chunks and returns a comparable outcome: one key per delivered unit
 *   (content, not position) and one `code@offset` per reported error. A throw that is not a
 *   `ProtocolError` is a crash; a reported error that is not one is a crash too.
 *
 * The oracles (test/fuzz/engine.ts): only ProtocolErrors; the outcome is the same under any chunking
 * (for `chunked` targets); a unit whose bytes arrived intact is delivered (for `intact` mutations).
 * Used by scripts/fuzz.ts (`npm run fuzz`) and the tests in test/fuzz/.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProtocolError } from '../../src/errors.js';
import { RtspStreamParser } from '../../src/rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeRequest, encodeResponse } from '../../src/rtsp/encode.js';
import { HeadParser } from '../../src/message/head-parser.js';
import { parseSdp } from '../../src/rtsp/sdp.js';
import { RtpPacketView, RtpStatus } from '../../src/rtp/rtp-packet.js';
import { tryParseRtcp } from '../../src/rtp/rtcp.js';
import { H264Depacketizer } from '../../src/codec/h264/depacketizer.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';
import { H265Depacketizer } from '../../src/codec/h265/depacketizer.js';
import { H265Packetizer } from '../../src/codec/h265/packetizer.js';
import { JpegDepacketizer } from '../../src/codec/jpeg/depacketizer.js';
import { JpegPacketizer } from '../../src/codec/jpeg/packetizer.js';
import { AacDepacketizer } from '../../src/codec/aac/depacketizer.js';
import { AacPacketizer } from '../../src/codec/aac/packetizer.js';
import { G711Depacketizer } from '../../src/codec/g711/depacketizer.js';
import { G711Packetizer } from '../../src/codec/g711/packetizer.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import type { AccessUnit, Depacketizer } from '../../src/codec/types.js';
import { MultipartParser } from '../../src/multipart/multipart-parser.js';
import { DhDemuxer } from '../../src/dh/dh-demuxer.js';
import { DhavDemuxer } from '../../src/dh/dhav-demuxer.js';
import { AutoDemuxer } from '../../src/dh/sniff.js';
import type { DhEvent, DhFrame } from '../../src/dh/types.js';
import { muxDh, muxDhav, type MuxFrame } from '../../src/testing/dh-muxer.js';
import { ChunkedDecoder } from '../../src/http/chunked.js';
import { HttpResponseParser } from '../../src/http/response-parser.js';
import { parseCameraError, parseKeyValues, parseTable } from '../../src/http/text/camera-text.js';
import { parseAttachText } from '../../src/http/events/attach-events.js';
import { parseEventData } from '../../src/http/events/eventdata.js';

/** One unit of a seed stream: bytes [start, end) of the stream, its payload [pStart, pEnd). */
export interface SeedUnit {
  start: number;
  end: number;
  pStart: number;
  pEnd: number;
  /** Offsets (in the stream) and sizes of the unit's length fields, for length-field corruption. */
  lengths: Array<[at: number, size: 1 | 2 | 4, bigEndian: boolean]>;
  /**
   * False when the format cannot find this unit again after garbage (an RTSP request from the server:
   * out of garbage only 'RTSP/' or '$' restarts, by design), so no garbage is inserted before it.
   */
  resync?: boolean;
}

export interface Seed {
  bytes: Uint8Array;
  /** Known units (empty: the seed is mutated as flat bytes only). */
  units: SeedUnit[];
}

export interface Outcome {
  units: string[];
  errors: string[];
  /** A throw or a reported error that is not a ProtocolError: the message and stack. */
  crash?: string;
}

export interface Target {
  name: string;
  /** Whether the target takes a stream in chunks (chunking oracle applies). */
  chunked: boolean;
  /**
   * Whether a payload mutation inside one unit leaves every other unit deliverable, and that unit too
   * when `payloadOpaque` (its payload does not steer the framing).
   */
  intact: boolean;
  payloadOpaque: boolean;
  /** Bytes that must not appear in garbage inserted between units for the intact oracle. */
  garbageAvoid?: number[];
  seeds(): Seed[];
  run(chunks: Uint8Array[]): Outcome;
}

// ---------------------------------------------------------------------------------------------

export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'corpus'))) return d;
    d = dirname(d);
  }
  throw new Error('repository root not found');
}

function corpus(name: string): Buffer {
  return readFileSync(join(repoRoot(), 'corpus', name));
}

function key(...parts: Array<string | number | Uint8Array>): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(typeof p === 'string' || typeof p === 'number' ? String(p) + '\u0000' : p);
  return h.digest('hex').slice(0, 16);
}

function err(e: unknown, out: Outcome): void {
  if (e instanceof ProtocolError) out.errors.push(`${e.code}@${e.offset}`);
  else if (out.crash === undefined) out.crash = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : `non-Error thrown: ${String(e)}`;
}

/** Runs `body`, recording a throw; returns the outcome. */
function guarded(body: (out: Outcome) => void): Outcome {
  const out: Outcome = { units: [], errors: [] };
  try {
    body(out);
  } catch (e) {
    err(e, out);
  }
  return out;
}

/** Builds a seed from unit byte arrays and their payload ranges (relative to each unit). */
function seedOf(parts: Array<{ bytes: Uint8Array; p?: [number, number]; lengths?: Array<[number, 1 | 2 | 4, boolean]>; resync?: boolean }>): Seed {
  const units: SeedUnit[] = [];
  let at = 0;
  for (const u of parts) {
    const [ps, pe] = u.p ?? [0, 0];
    units.push({ start: at, end: at + u.bytes.length, pStart: at + ps, pEnd: at + pe, lengths: (u.lengths ?? []).map(([o, s, be]) => [at + o, s, be]), resync: u.resync ?? true });
    at += u.bytes.length;
  }
  return { bytes: Buffer.concat(parts.map((u) => u.bytes)), units };
}

// --- RTP streams over RTSP interleaved framing (the client's receive path) ----------------------

/**
 * Bytes that garbage between interleaved units must avoid for the intact oracle: '$' starts a frame,
 * and an upper-case letter at a unit boundary may start a request line ('METHOD SP uri'), which the
 * parser rightly reads as a message head until its end or its cap.
 */
const RTSP_AVOID = [0x24, ...Array.from({ length: 26 }, (_, i) => 0x41 + i)];

const H264 = (): Buffer => corpus('h264-640x360-25fps.h264');
const H265 = (): Buffer => corpus('h265-640x360-25fps.h265');

/** Access units of an Annex B stream: NALs grouped up to each VCL NAL (one slice per picture in the corpus). */
function accessUnits(annexB: Buffer, isVcl: (nal: Uint8Array) => boolean, max: number): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  for (const n of splitAnnexB(annexB)) {
    cur.push(n);
    if (isVcl(n)) {
      out.push(cur);
      cur = [];
      if (out.length >= max) break;
    }
  }
  return out;
}

/** Interleaved '$' frames on channel 0 from RTP packets, one seed unit per access unit. */
function interleavedSeed(aus: Uint8Array[][]): Seed {
  const parts: Array<{ bytes: Uint8Array; p: [number, number]; lengths: Array<[number, 1 | 2 | 4, boolean]> }> = [];
  for (const packets of aus) {
    const frames = packets.map((p) => encodeInterleaved(0, p));
    const bytes = Buffer.concat(frames);
    // Payload range: the first packet's RTP payload (after '$' header and the 12-byte RTP header).
    const first = frames[0]!;
    parts.push({ bytes, p: [16, first.length], lengths: [[2, 2, true]] });
  }
  return seedOf(parts);
}

function feedInterleaved(chunks: Uint8Array[], out: Outcome, onRtp: (v: RtpPacketView) => void, onRtcp?: (b: Uint8Array) => void): void {
  const v = new RtpPacketView();
  const p = new RtspStreamParser({
    message: () => undefined,
    interleaved: (ch, payload) => {
      if (ch % 2 === 1) {
        onRtcp?.(payload);
        return;
      }
      if (v.parse(payload) === RtpStatus.Ok) onRtp(v);
      else out.errors.push('RTP_BAD');
    },
    error: (e) => err(e, out),
  });
  for (const c of chunks) p.push(c);
  p.end();
}

function depacketizerTarget(name: string, make: (sink: { onUnit(u: AccessUnit): void; onError(e: ProtocolError): void }) => Depacketizer, seeds: () => Seed[]): Target {
  return {
    name,
    chunked: true,
    intact: true,
    payloadOpaque: false,
    garbageAvoid: RTSP_AVOID,
    seeds,
    run: (chunks) =>
      guarded((out) => {
        const d = make({ onUnit: (u) => out.units.push(key(u.timestamp, u.data)), onError: (e) => err(e, out) });
        feedInterleaved(chunks, out, (v) => d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber));
        d.flush();
      }),
  };
}

function h264Seeds(): Seed[] {
  const aus = accessUnits(H264(), (n) => (n[0]! & 0x1f) >= 1 && (n[0]! & 0x1f) <= 5, 12);
  const small = new H264Packetizer({ maxPayloadSize: 300, stapA: true, initialSequenceNumber: 65530, ssrc: 1 });
  const big = new H264Packetizer({ maxPayloadSize: 1400, stapA: false, initialSequenceNumber: 7, ssrc: 2 });
  return [
    interleavedSeed(aus.map((au, i) => small.packetize(au, 3000 * i))),
    interleavedSeed(aus.slice(0, 6).map((au, i) => big.packetize(au, 90_000 + 3000 * i))),
  ];
}

function h265Seeds(): Seed[] {
  const aus = accessUnits(H265(), (n) => ((n[0]! >> 1) & 0x3f) < 32, 10);
  const p = new H265Packetizer({ maxPayloadSize: 400, initialSequenceNumber: 65533, ssrc: 3 });
  return [interleavedSeed(aus.map((au, i) => p.packetize(au, 3000 * i)))];
}

function jpegSeeds(): Seed[] {
  // GStreamer-made JPEGs with the T.81 Annex K tables (what RFC 2435 can carry).
  const dir = join(repoRoot(), 'test', 'codec', 'jpeg', 'fixtures');
  const files = ['gst-420-01.jpg', 'gst-420-02.jpg', 'gst-422-q50.jpg'];
  const p = new JpegPacketizer({ maxPayloadSize: 1000, initialSequenceNumber: 65534, ssrc: 4 });
  return [interleavedSeed(files.map((f, i) => p.packetize(readFileSync(join(dir, f)), 3600 * i)))];
}

/** AAC-hbr as the corpus's 16 kHz mono stream is described (RFC 3640 §3.3.6). */
const AAC_FMTP = { mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3', streamtype: '5', 'profile-level-id': '1' };

function adtsRaw(b: Buffer, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i + 7 <= b.length && out.length < max) {
    if (b[i] !== 0xff || (b[i + 1]! & 0xf0) !== 0xf0) break;
    const len = ((b[i + 3]! & 3) << 11) | (b[i + 4]! << 3) | (b[i + 5]! >> 5);
    const hdr = (b[i + 1]! & 1) === 1 ? 7 : 9;
    if (len < hdr || i + len > b.length) break;
    out.push(b.subarray(i + hdr, i + len));
    i += len;
  }
  return out;
}

function aacSeeds(): Seed[] {
  const frames = adtsRaw(corpus('aac-16k.adts'), 24);
  const p = new AacPacketizer({ maxFramesPerPacket: 3, initialSequenceNumber: 65535, ssrc: 5 });
  const groups: Uint8Array[][] = [];
  for (let i = 0; i < frames.length; i += 3) groups.push(p.packetize(frames.slice(i, i + 3), 1024 * i));
  return [interleavedSeed(groups)];
}

function g711Seeds(): Seed[] {
  const a = corpus('g711a-8k.alaw').subarray(0, 4000);
  const p = new G711Packetizer({ samplesPerPacket: 160, payloadType: 8, initialSequenceNumber: 65520, ssrc: 6 });
  const groups: Uint8Array[][] = [];
  for (let i = 0; i < a.length; i += 320) groups.push(p.packetize(a.subarray(i, i + 320), i));
  return [interleavedSeed(groups)];
}

// --- RTSP framing and messages ------------------------------------------------------------------

function rtspSeeds(): Seed[] {
  const aus = accessUnits(H264(), (n) => (n[0]! & 0x1f) >= 1 && (n[0]! & 0x1f) <= 5, 4);
  const p = new H264Packetizer({ maxPayloadSize: 500, initialSequenceNumber: 1, ssrc: 9 });
  const parts: Array<{ bytes: Uint8Array; p?: [number, number]; lengths?: Array<[number, 1 | 2 | 4, boolean]>; resync?: boolean }> = [];
  parts.push({ bytes: encodeResponse(200, 'OK', { CSeq: 4, Session: '12345678;timeout=60', 'RTP-Info': 'url=rtsp://cam/trackID=0;seq=1;rtptime=0' }) });
  aus.forEach((au, i) => {
    for (const pkt of p.packetize(au, 3000 * i)) {
      const f = encodeInterleaved(0, pkt);
      parts.push({ bytes: f, p: [4, f.length], lengths: [[2, 2, true]] });
    }
    if (i === 1) {
      const body = 'Content-Base stays\r\n';
      const m = encodeRequest('GET_PARAMETER', 'rtsp://cam/', { CSeq: 9, 'Content-Type': 'text/parameters', 'Content-Length': body.length }, body);
      parts.push({ bytes: m, p: [m.length - body.length, m.length], resync: false });
      const r = encodeInterleaved(1, Buffer.from([0x81, 0xc8, 0, 6, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 100]));
      parts.push({ bytes: r, p: [4, r.length], lengths: [[2, 2, true]] });
    }
  });
  return [seedOf(parts)];
}

const rtspStream: Target = {
  name: 'rtsp-stream',
  chunked: true,
  intact: true,
  payloadOpaque: true,
  garbageAvoid: RTSP_AVOID,
  seeds: rtspSeeds,
  run: (chunks) =>
    guarded((out) => {
      const p = new RtspStreamParser(
        {
          message: (m) => out.units.push(key('msg', JSON.stringify(m.head), m.body)),
          interleaved: (ch, b) => out.units.push(key('$', ch, b)),
          error: (e) => err(e, out),
        },
        { maxHeadSize: 2048, maxBodySize: 4096 },
      );
      for (const c of chunks) p.push(c);
      p.end();
    }),
};

const head: Target = {
  name: 'head',
  chunked: true,
  intact: false,
  payloadOpaque: false,
  seeds: () =>
    [
      encodeResponse(200, 'OK', { CSeq: 2, 'Content-Base': 'rtsp://cam/live/', 'Content-Type': 'application/sdp', 'Content-Length': 0 }),
      Buffer.from('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="cam", nonce="abc", qop="auth"\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n', 'latin1'),
      Buffer.from('\r\nRTSP/1.0 200 OK\nCSeq: 3\nSession: 1;timeout=60\n  folded\n\nrest', 'latin1'),
      encodeRequest('SET_PARAMETER', 'rtsp://cam/', { CSeq: 1 }),
    ].map((b) => ({ bytes: b, units: [] })),
  run: (chunks) =>
    guarded((out) => {
      const p = new HeadParser({ maxHeadSize: 1024, maxHeaderCount: 16 });
      for (const c of chunks) {
        const r = p.push(c);
        if (r !== undefined) {
          out.units.push(key(JSON.stringify(r.head), r.headBytes));
          return; // the rest belongs to the body: a new head is the caller's business
        }
      }
      p.end();
    }),
};

const sdp: Target = {
  name: 'sdp',
  chunked: false,
  intact: false,
  payloadOpaque: false,
  seeds: () => {
    const fixtures = join(repoRoot(), 'test', 'rtsp', 'fixtures');
    const files = existsSync(fixtures) ? readdirSync(fixtures).filter((f) => f.endsWith('.sdp')).map((f) => readFileSync(join(fixtures, f))) : [];
    const own = Buffer.from(
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n' +
        'a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==\r\na=control:trackID=0\r\n' +
        'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\na=fmtp:97 mode=AAC-hbr;config=1408;sizelength=13;indexlength=3;indexdeltalength=3\r\na=control:trackID=1\r\n',
      'latin1',
    );
    return [own, ...fixtures.length ? files : []].map((b) => ({ bytes: b, units: [] }));
  },
  run: (chunks) => guarded((out) => out.units.push(key(JSON.stringify(parseSdp(Buffer.concat(chunks)))))),
};

const rtpRtcp: Target = {
  name: 'rtp-rtcp',
  chunked: true,
  intact: false,
  payloadOpaque: false,
  seeds: rtspSeeds,
  run: (chunks) =>
    guarded((out) => {
      feedInterleaved(
        chunks,
        out,
        (v) => out.units.push(key('rtp', v.sequenceNumber, v.timestamp, v.ssrc, v.marker ? 1 : 0, v.payloadLength)),
        (b) => {
          const r = tryParseRtcp(b);
          if (r instanceof ProtocolError) err(r, out);
          else if (!Array.isArray(r)) err(new TypeError('tryParseRtcp returned neither packets nor a ProtocolError'), out);
          else out.units.push(key('rtcp', JSON.stringify(r)));
        },
      );
    }),
};

// --- multipart ----------------------------------------------------------------------------------

function multipartSeeds(): Seed[] {
  const dir = join(repoRoot(), 'corpus', 'jpeg');
  const jpegs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 3).map((f) => readFileSync(join(dir, f)).subarray(0, 3000));
  const out: Seed[] = [];
  for (const withLength of [true, false]) {
    const parts: Array<{ bytes: Uint8Array; p: [number, number]; lengths?: Array<[number, 1 | 2 | 4, boolean]> }> = [];
    for (const j of jpegs) {
      const head = Buffer.from(`--myboundary\r\nContent-Type: image/jpeg\r\n${withLength ? `Content-Length: ${j.length}\r\n` : ''}\r\n`, 'latin1');
      parts.push({ bytes: Buffer.concat([head, j, Buffer.from('\r\n')]), p: [head.length, head.length + j.length] });
    }
    parts.push({ bytes: Buffer.from('--myboundary--\r\n'), p: [0, 0] });
    out.push(seedOf(parts));
  }
  // The WV-V series HTTP API V2.40 §4.9.17 event stream shape: "-- myboundary " lines, no blank line.
  out.push({
    bytes: Buffer.from('-- myboundary \r\nContent-Type: text/plain\r\nContent-Length: 39\r\nCode=VideoMotion; action=Start; index=0\r\n\r\n-- myboundary \r\nContent-Type: text/plain\r\nContent-Length: 38\r\nCode=VideoBlind; action=Start; index=0\r\n\r\n', 'latin1'),
    units: [],
  });
  return out;
}

const multipart: Target = {
  name: 'multipart',
  chunked: true,
  intact: true,
  payloadOpaque: false,
  garbageAvoid: [0x2d, 0x0d, 0x0a],
  seeds: multipartSeeds,
  run: (chunks) =>
    guarded((out) => {
      const p = new MultipartParser('myboundary', { part: (x) => out.units.push(key(x.index, x.body)), error: (e) => err(e, out) }, { maxPartSize: 8192, maxHeaderBytes: 512, maxHeaders: 16, maxPreamble: 1024 });
      for (const c of chunks) p.push(c);
      p.end();
    }),
};

// --- DH / DHAV ----------------------------------------------------------------------------------

function dhFrames(): MuxFrame[] {
  const h = H264();
  const a = corpus('g711a-8k.alaw');
  const out: MuxFrame[] = [];
  for (let i = 0; i < 8; i++) {
    out.push({ kind: 'video', payload: h.subarray(i * 700, i * 700 + 300 + i * 40), videoType: 2, dhavVideoCodec: 2, frameType: i === 0 ? 1 : 2, width: 640, height: 360, fps: 25, sequence: i, utc: 1_700_000_000, utcms: i * 40, ms: i * 40 });
    out.push({ kind: 'audio', payload: a.subarray(i * 160, i * 160 + 160), audioType: 8, freqIndex: 2, dhavAudioCodec: 14, sequence: i, utc: 1_700_000_000, utcms: i * 40, ms: i * 40 });
  }
  return out;
}

function dhSeed(format: 'dh' | 'dhav'): Seed {
  const parts = dhFrames().map((f) => {
    const b = format === 'dh' ? muxDh([f]) : muxDhav([f]);
    const tail = format === 'dh' ? 0 : 8;
    const lengths: Array<[number, 1 | 2 | 4, boolean]> = format === 'dh' ? [[4, 4, false], [10, 2, false]] : [[12, 4, false], [22, 1, false]];
    return { bytes: b, p: [b.length - tail - f.payload.length, b.length - tail] as [number, number], lengths };
  });
  return seedOf(parts);
}

function dhTarget(name: string, make: (sink: { frame(f: DhFrame): void; event(e: DhEvent): void }) => { push(c: Uint8Array): void; end(): void }, seeds: () => Seed[]): Target {
  return {
    name,
    chunked: true,
    intact: true,
    payloadOpaque: true,
    garbageAvoid: [0x44, 0xff, 0x73],
    seeds,
    run: (chunks) =>
      guarded((out) => {
        const d = make({
          frame: (f) => out.units.push(key(f.kind, f.channel, f.sequence, f.payload)),
          event: (e) => {
            if ('error' in e) {
              if (!(e.error instanceof ProtocolError)) err(new TypeError(`event ${e.type} carries a non-ProtocolError`), out);
              else out.errors.push(`${e.error.code}@${e.error.offset}`);
            } else out.errors.push(`${e.type}@${e.offset}`);
          },
        });
        for (const c of chunks) d.push(c);
        d.end();
      }),
  };
}

function dhCorpus(name: string): Seed {
  return { bytes: corpus(`dh/${name}`).subarray(0, 48 * 1024), units: [] };
}

// --- HTTP ---------------------------------------------------------------------------------------

const chunked: Target = {
  name: 'chunked',
  chunked: true,
  intact: false,
  payloadOpaque: false,
  seeds: () =>
    [
      '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n',
      'A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n',
      '1\r\nx\r\n0\r\n\r\nextra',
    ].map((s) => ({ bytes: Buffer.from(s, 'latin1'), units: [] })),
  run: (chunks) =>
    guarded((out) => {
      const d = new ChunkedDecoder({ maxLineBytes: 256, maxTrailerBytes: 512, maxBodyBytes: 4096 });
      const body: Buffer[] = [];
      for (const c of chunks) {
        const end = d.push(c, (b) => body.push(Buffer.from(b)));
        if (end >= 0) break;
      }
      out.units.push(key(Buffer.concat(body), d.done ? 1 : 0));
    }),
};

const httpResponse: Target = {
  name: 'http-response',
  chunked: true,
  intact: false,
  payloadOpaque: false,
  seeds: () =>
    [
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world!',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n--myboundary\r\n',
    ].map((s) => ({ bytes: Buffer.from(s, 'latin1'), units: [] })),
  run: (chunks) =>
    guarded((out) => {
      const body: Buffer[] = [];
      const p = new HttpResponseParser(
        {
          head: (h, framing) => out.units.push(key('head', JSON.stringify(h), JSON.stringify(framing))),
          body: (b) => body.push(Buffer.from(b)),
          end: () => out.units.push(key('end', Buffer.concat(body))),
          error: (e) => err(e, out),
        },
        { maxHeadSize: 1024, maxBodySize: 8192 },
      );
      for (const c of chunks) p.push(c);
      p.end();
      if (body.length > 0) out.units.push(key('body', Buffer.concat(body)));
    }),
};

const cameraText: Target = {
  name: 'camera-text',
  chunked: false,
  intact: false,
  payloadOpaque: false,
  seeds: () =>
    [
      'table.General.MachineName=IPC\r\ntable.Encode[0].MainFormat[0].Video.Width=1920\r\ntable.Encode[0].MainFormat[0].Video.Compression=H.264\r\n',
      'Error\r\nBad Request!\r\n',
      'OK\r\n',
      'Code=VideoMotion;action=Start;index=0;data={\n  "Id": [0]\n}\r\n',
      'Status.Motion=1\r\nStatus.IO=0x0003\r\nStatus.Face=1;12,34,56,78\r\n',
    ].map((s) => ({ bytes: Buffer.from(s, 'latin1'), units: [] })),
  run: (chunks) =>
    guarded((out) => {
      const text = Buffer.concat(chunks).toString('latin1');
      out.units.push(key(JSON.stringify(parseKeyValues(text))));
      out.units.push(key(JSON.stringify(parseCameraError(text) ?? null)));
      out.units.push(key(JSON.stringify(parseTable(text))));
      out.units.push(key(JSON.stringify(parseAttachText(text))));
      try {
        out.units.push(key(JSON.stringify(parseEventData(text))));
      } catch (e) {
        err(e, out);
      }
    }),
};

export const TARGETS: Target[] = [
  rtspStream,
  head,
  sdp,
  rtpRtcp,
  depacketizerTarget('h264', (s) => new H264Depacketizer(s, { maxAccessUnitSize: 1 << 20 }), h264Seeds),
  depacketizerTarget('h265', (s) => new H265Depacketizer(s, { maxAccessUnitSize: 1 << 20 }), h265Seeds),
  depacketizerTarget('jpeg', (s) => new JpegDepacketizer(s, {}), jpegSeeds),
  depacketizerTarget('aac', (s) => new AacDepacketizer(s, { fmtp: AAC_FMTP }), aacSeeds),
  depacketizerTarget('g711', (s) => new G711Depacketizer(s, { codec: 'pcma' }), g711Seeds),
  multipart,
  dhTarget('dh', (s) => new DhDemuxer(s, { maxPacketSize: 65536 }), () => [dhSeed('dh'), dhCorpus('h264-g711a.dh')]),
  dhTarget('dhav', (s) => new DhavDemuxer(s, { maxPacketSize: 65536 }), () => [dhSeed('dhav'), dhCorpus('h264-g711a.dav')]),
  dhTarget('dh-auto', (s) => new AutoDemuxer(s, { maxPacketSize: 65536 }), () => [dhSeed('dh'), dhSeed('dhav'), dhCorpus('h265-g711a-playback.dh')]),
  cameraText,
  chunked,
  httpResponse,
];

export function targetByName(name: string): Target | undefined {
  return TARGETS.find((t) => t.name === name);
}
