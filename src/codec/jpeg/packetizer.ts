/**
 * Motion JPEG RTP packetizer (RFC 2435) for tests and the virtual camera: takes a baseline JPEG
 * (3 components, Y 2x1 or 2x2, chroma 1x1, the T.81 Annex K Huffman tables — what libjpeg/GStreamer
 * `jpegenc` write), sends its scan data with the main header, a restart marker header when the file
 * has a DRI, and its quantization tables in band (Q >= 128, §3.1.8) so a receiver rebuilds the same
 * image. With a Q of 1-99 no tables are sent: only right when the file used the RFC 2435 tables.
 */
import { RTP_HEADER_SIZE } from '../../rtp/rtp-packet.js';
import { ProtocolError } from '../../errors.js';
import { RtpPacketizer, type RtpPacketizerOptions } from '../rtp-packetizer.js';
import { STD_HUFFMAN_DHT } from './tables.js';

export interface JpegPacketizerOptions extends RtpPacketizerOptions {
  maxPayloadSize?: number;
  /** RFC 2435 Q (default 255: tables in every frame). 128-254: tables sent in band, receivers cache them. */
  q?: number;
}

/** What `parseJpegForRtp` takes out of a JPEG file. */
export interface JpegScanInfo {
  /** RFC 2435 type before the restart bit: 0 = 4:2:2, 1 = 4:2:0. */
  type: number;
  width: number;
  height: number;
  restartInterval: number;
  luma: Uint8Array;
  chroma: Uint8Array;
  /** Entropy-coded data between the SOS header and EOI (view into the input). */
  scan: Uint8Array;
}

const bad = (msg: string): ProtocolError => new ProtocolError('INVALID_ARGUMENT', `JPEG not sendable by RFC 2435: ${msg}`);

/** Walks the JPEG markers (T.81 §B.1) up to SOS; throws INVALID_ARGUMENT for what RFC 2435 cannot carry. */
export function parseJpegForRtp(jpeg: Uint8Array): JpegScanInfo {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw bad('no SOI');
  const tables = new Map<number, Uint8Array>();
  const dht: Uint8Array[] = [];
  let width = 0;
  let height = 0;
  let type = -1;
  let lumaT = -1;
  let chromaT = -1;
  let dri = 0;
  let p = 2;
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) throw bad(`no marker at ${p}`);
    const m = jpeg[p + 1]!;
    const len = (jpeg[p + 2]! << 8) | jpeg[p + 3]!;
    const body = jpeg.subarray(p + 4, p + 2 + len);
    if (p + 2 + len > jpeg.length) throw bad('segment past the end');
    if (m === 0xdb) {
      for (let i = 0; i < body.length; ) {
        const pq = body[i]! >> 4;
        const n = pq ? 128 : 64;
        tables.set(body[i]! & 15, body.subarray(i + 1, i + 1 + n));
        i += 1 + n;
      }
    } else if (m === 0xc4) {
      for (let i = 0; i < body.length; ) {
        let count = 0;
        for (let k = 1; k <= 16; k++) count += body[i + k] ?? 0;
        dht.push(body.subarray(i, i + 17 + count));
        i += 17 + count;
      }
    } else if (m === 0xc0) {
      height = (body[1]! << 8) | body[2]!;
      width = (body[3]! << 8) | body[4]!;
      if (body[5] !== 3) throw bad(`${body[5]} components`);
      const ySamp = body[7]!;
      type = ySamp === 0x21 ? 0 : ySamp === 0x22 ? 1 : -1;
      if (type < 0 || body[10] !== 0x11 || body[13] !== 0x11) throw bad('sampling is not 4:2:2 or 4:2:0');
      lumaT = body[8]!;
      chromaT = body[11]!;
      if (body[14] !== chromaT) throw bad('Cb and Cr use different tables');
    } else if (m >= 0xc1 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      throw bad(`SOF${m - 0xc0} (only baseline SOF0)`);
    } else if (m === 0xdd) {
      dri = (body[0]! << 8) | body[1]!;
    } else if (m === 0xda) {
      let end = jpeg.length;
      if (jpeg[end - 2] === 0xff && jpeg[end - 1] === 0xd9) end -= 2;
      const luma = tables.get(lumaT);
      const chroma = tables.get(chromaT);
      if (type < 0 || !luma || !chroma) throw bad('SOF0 or DQT missing');
      if (dht.length !== 4 || !dht.every((t) => STD_HUFFMAN_DHT.some((s) => same(s, t)))) throw bad('Huffman tables are not the T.81 Annex K ones');
      return { type, width, height, restartInterval: dri, luma, chroma, scan: jpeg.subarray(p + 2 + len, end) };
    }
    p += 2 + len;
  }
  throw bad('no SOS');
}

export class JpegPacketizer extends RtpPacketizer {
  readonly maxPayloadSize: number;
  readonly q: number;

  constructor(opts: JpegPacketizerOptions = {}) {
    super(opts, 26);
    this.maxPayloadSize = opts.maxPayloadSize ?? 1400;
    this.q = opts.q ?? 255;
    if (!(this.q >= 1 && this.q <= 255 && (this.q < 100 || this.q >= 128))) throw new ProtocolError('INVALID_ARGUMENT', `Q ${this.q} is reserved`);
    if (!(this.maxPayloadSize >= 12 + 4 + 256 + 1)) throw new ProtocolError('INVALID_ARGUMENT', `maxPayloadSize ${this.maxPayloadSize} too small for the headers`);
  }

  /** Packetizes one JPEG image (marker on its last packet). */
  packetize(jpeg: Uint8Array, timestamp: number): Uint8Array[] {
    const info = parseJpegForRtp(jpeg);
    return this.packetizeScan(info, timestamp);
  }

  packetizeScan(info: JpegScanInfo, timestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const restart = info.restartInterval > 0;
    // Over 2040 px the 8-bit fields cannot say the size: 0, and the SDP carries a=x-dimensions.
    const w8 = info.width > 2040 ? 0 : Math.ceil(info.width / 8);
    const h8 = info.height > 2040 ? 0 : Math.ceil(info.height / 8);
    const scan = info.scan;
    let off = 0;
    do {
      const first = off === 0;
      const qlen = first && this.q >= 128 ? 4 + info.luma.length + info.chroma.length : 0;
      const hdr = 8 + (restart ? 4 : 0) + qlen;
      const n = Math.min(scan.length - off, this.maxPayloadSize - hdr);
      const pkt = new Uint8Array(RTP_HEADER_SIZE + hdr + n);
      let o = RTP_HEADER_SIZE;
      pkt[o + 1] = off >>> 16;
      pkt[o + 2] = (off >>> 8) & 0xff;
      pkt[o + 3] = off & 0xff;
      pkt[o + 4] = info.type + (restart ? 64 : 0);
      pkt[o + 5] = this.q;
      pkt[o + 6] = w8;
      pkt[o + 7] = h8;
      o += 8;
      if (restart) {
        pkt[o] = info.restartInterval >> 8;
        pkt[o + 1] = info.restartInterval & 0xff;
        // F = L = 1, count 0x3FFF: this packet does not promise whole restart intervals (§3.1.7).
        pkt[o + 2] = 0xff;
        pkt[o + 3] = 0xff;
        o += 4;
      }
      if (qlen) {
        const len = info.luma.length + info.chroma.length;
        pkt[o + 1] = (info.luma.length === 128 ? 1 : 0) | (info.chroma.length === 128 ? 2 : 0);
        pkt[o + 2] = len >> 8;
        pkt[o + 3] = len & 0xff;
        pkt.set(info.luma, o + 4);
        pkt.set(info.chroma, o + 4 + info.luma.length);
        o += qlen;
      }
      pkt.set(scan.subarray(off, off + n), o);
      off += n;
      this.header(pkt, timestamp, off >= scan.length);
      out.push(pkt);
    } while (off < scan.length);
    return out;
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
