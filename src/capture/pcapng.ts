/**
 * pcapng blocks, written and read without I/O (draft-ietf-opsawg-pcapng, "PCAP Next Generation (pcapng)
 * Capture File Format"). Only what a capture of one camera session needs: the Section Header Block
 * (§4.1), Interface Description Blocks (§4.2) and Enhanced Packet Blocks (§4.3), little-endian.
 *
 * Every block:
 *
 *   0                   1                   2                   3
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |
 *   /                          Block Body (padded to 32 bits)       /
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * Options are (code u16, length u16, value padded to 32 bits), ended by opt_endofopt (0, 0).
 */
import { ProtocolError } from '../errors.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_EPB = 0x00000006;
/** Obsolete Packet Block and Simple Packet Block: read, never written. */
export const BLOCK_SPB = 0x00000003;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** LINKTYPE_ETHERNET (the tcpdump.org link-layer header types registry). */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_NULL = 0;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;

const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

const enc = new TextEncoder();

function optionsSize(opts: readonly (readonly [number, Uint8Array])[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const [, v] of opts) n += 4 + ((v.length + 3) & ~3);
  return n;
}

function writeOptions(dv: DataView, out: Uint8Array, at: number, opts: readonly (readonly [number, Uint8Array])[]): number {
  if (opts.length === 0) return at;
  for (const [code, v] of opts) {
    dv.setUint16(at, code, true);
    dv.setUint16(at + 2, v.length, true);
    out.set(v, at + 4);
    at += 4 + ((v.length + 3) & ~3);
  }
  dv.setUint32(at, 0, true);
  return at + 4;
}

/** Section Header Block (§4.1): starts every file; `comment` is shown by Wireshark's capture file properties. */
export function sectionHeaderBlock(comment: string | undefined, userAppl: string): Uint8Array {
  const opts: [number, Uint8Array][] = [];
  if (comment) opts.push([OPT_COMMENT, enc.encode(comment)]);
  opts.push([SHB_USERAPPL, enc.encode(userAppl)]);
  const len = 28 + optionsSize(opts);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, BLOCK_SHB, true);
  dv.setUint32(4, len, true);
  dv.setUint32(8, BYTE_ORDER_MAGIC, true);
  dv.setUint16(12, 1, true); // major
  dv.setUint16(14, 0, true); // minor
  // Section length: -1 = not given (we stream).
  dv.setInt32(16, -1, true);
  dv.setInt32(20, -1, true);
  writeOptions(dv, out, 24, opts);
  dv.setUint32(len - 4, len, true);
  return out;
}

/** Interface Description Block (§4.2): snaplen 0 = no limit; timestamps in microseconds (the default if_tsresol). */
export function interfaceDescriptionBlock(linkType: number, name: string): Uint8Array {
  const opts: [number, Uint8Array][] = [
    [IF_NAME, enc.encode(name)],
    [IF_TSRESOL, Uint8Array.of(6)],
  ];
  const len = 20 + optionsSize(opts);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, BLOCK_IDB, true);
  dv.setUint32(4, len, true);
  dv.setUint16(8, linkType, true);
  dv.setUint32(12, 0, true);
  writeOptions(dv, out, 16, opts);
  dv.setUint32(len - 4, len, true);
  return out;
}

/** Size of the Enhanced Packet Block for `captured` bytes of packet data and an optional comment. */
export function epbSize(captured: number, comment?: Uint8Array): number {
  return 32 + ((captured + 3) & ~3) + (comment ? optionsSize([[OPT_COMMENT, comment]]) : 0);
}

/**
 * Writes an Enhanced Packet Block (§4.3) into `out` at `at` and returns the end offset. The packet data
 * is given as a header (already built) plus a payload range, so the payload is copied once, straight
 * into the block. `timeUs` is microseconds since 1970.
 */
export function writeEnhancedPacketBlock(
  out: Uint8Array,
  at: number,
  interfaceId: number,
  timeUs: number,
  header: Uint8Array,
  headerLen: number,
  payload: Uint8Array,
  payloadStart: number,
  payloadEnd: number,
  comment?: Uint8Array,
): number {
  const captured = headerLen + (payloadEnd - payloadStart);
  const len = epbSize(captured, comment);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(at, BLOCK_EPB, true);
  dv.setUint32(at + 4, len, true);
  dv.setUint32(at + 8, interfaceId, true);
  const t = Math.max(0, Math.round(timeUs));
  dv.setUint32(at + 12, Math.floor(t / 0x100000000), true);
  dv.setUint32(at + 16, t >>> 0, true);
  dv.setUint32(at + 20, captured, true);
  dv.setUint32(at + 24, captured, true);
  out.set(header.subarray(0, headerLen), at + 28);
  out.set(payload.subarray(payloadStart, payloadEnd), at + 28 + headerLen);
  let p = at + 28 + captured;
  const padEnd = at + 28 + ((captured + 3) & ~3);
  while (p < padEnd) out[p++] = 0;
  p = comment ? writeOptions(dv, out, padEnd, [[OPT_COMMENT, comment]]) : padEnd;
  dv.setUint32(p, len, true);
  return p + 4;
}

// -------------------------------------------------------------------------------------------------
// reading

export interface PcapInterface {
  linkType: number;
  /** Units per second of this interface's timestamps. */
  tsPerSecond: number;
  name?: string;
}

export interface PcapPacket {
  interfaceId: number;
  linkType: number;
  /** Milliseconds since 1970 (fractional). */
  timeMs: number;
  data: Uint8Array;
  /** Byte offset of the block in the file. */
  offset: number;
  comment?: string;
}

export interface PcapFile {
  comments: string[];
  userAppl?: string;
  interfaces: PcapInterface[];
  packets: PcapPacket[];
}

const dec = new TextDecoder();

function readOptions(dv: DataView, bytes: Uint8Array, at: number, end: number, le: boolean, each: (code: number, value: Uint8Array) => void): void {
  while (at + 4 <= end) {
    const code = dv.getUint16(at, le);
    const len = dv.getUint16(at + 2, le);
    if (code === 0) return;
    if (at + 4 + len > end) return;
    each(code, bytes.subarray(at + 4, at + 4 + len));
    at += 4 + ((len + 3) & ~3);
  }
}

/**
 * Reads a whole pcapng file (every section) or a classic libpcap file. Unknown blocks are skipped.
 * Malformed input: a ProtocolError with code CAPTURE_BAD_FILE and the byte offset.
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24) {
    const m = dv.getUint32(0, true);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return readClassicPcap(bytes, dv);
  }
  const file: PcapFile = { comments: [], interfaces: [], packets: [] };
  let le = true;
  let ifBase = 0;
  let at = 0;
  while (at + 12 <= bytes.length) {
    let type = dv.getUint32(at, le);
    if (type === BLOCK_SHB || dv.getUint32(at, !le) === BLOCK_SHB) {
      type = BLOCK_SHB;
      const magic = dv.getUint32(at + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (magic === 0x4d3c2b1a) le = false;
      else throw new ProtocolError('CAPTURE_BAD_FILE', 'pcapng section header with an unknown byte-order magic', { offset: at + 8 });
    }
    const len = dv.getUint32(at + 4, le);
    if (len < 12 || len % 4 !== 0 || at + len > bytes.length) {
      throw new ProtocolError('CAPTURE_BAD_FILE', `pcapng block of length ${len} does not fit the file`, { offset: at });
    }
    const end = at + len - 4;
    if (type === BLOCK_SHB) {
      ifBase = file.interfaces.length;
      readOptions(dv, bytes, at + 24, end, le, (code, v) => {
        if (code === OPT_COMMENT) file.comments.push(dec.decode(v));
        else if (code === SHB_USERAPPL) file.userAppl = dec.decode(v);
      });
    } else if (type === BLOCK_IDB) {
      const itf: PcapInterface = { linkType: dv.getUint16(at + 8, le), tsPerSecond: 1e6 };
      readOptions(dv, bytes, at + 16, end, le, (code, v) => {
        if (code === IF_NAME) itf.name = dec.decode(v);
        else if (code === IF_TSRESOL && v.length >= 1) {
          const r = v[0]!;
          itf.tsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
      });
      file.interfaces.push(itf);
    } else if (type === BLOCK_EPB) {
      const ifId = dv.getUint32(at + 8, le);
      const itf = file.interfaces[ifBase + ifId];
      if (!itf) throw new ProtocolError('CAPTURE_BAD_FILE', `packet on undeclared interface ${ifId}`, { offset: at });
      const ts = dv.getUint32(at + 12, le) * 0x100000000 + dv.getUint32(at + 16, le);
      const cap = dv.getUint32(at + 20, le);
      if (28 + cap > len - 4) throw new ProtocolError('CAPTURE_BAD_FILE', 'packet data longer than its block', { offset: at });
      const p: PcapPacket = { interfaceId: ifBase + ifId, linkType: itf.linkType, timeMs: (ts / itf.tsPerSecond) * 1000, data: bytes.subarray(at + 28, at + 28 + cap), offset: at };
      readOptions(dv, bytes, at + 28 + ((cap + 3) & ~3), end, le, (code, v) => {
        if (code === OPT_COMMENT) p.comment = dec.decode(v);
      });
      file.packets.push(p);
    } else if (type === BLOCK_SPB) {
      const itf = file.interfaces[ifBase];
      if (itf) file.packets.push({ interfaceId: ifBase, linkType: itf.linkType, timeMs: 0, data: bytes.subarray(at + 12, end), offset: at });
    }
    at += len;
  }
  if (at !== bytes.length) throw new ProtocolError('CAPTURE_BAD_FILE', 'pcapng file ends inside a block', { offset: at });
  return file;
}

/** Classic libpcap ("pcap-savefile"): a 24-byte global header, then 16-byte record headers. */
function readClassicPcap(bytes: Uint8Array, dv: DataView): PcapFile {
  const m = dv.getUint32(0, true);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
  const linkType = dv.getUint32(20, le) & 0xffff;
  const file: PcapFile = { comments: [], interfaces: [{ linkType, tsPerSecond: nano ? 1e9 : 1e6 }], packets: [] };
  let at = 24;
  while (at + 16 <= bytes.length) {
    const sec = dv.getUint32(at, le);
    const frac = dv.getUint32(at + 4, le);
    const cap = dv.getUint32(at + 8, le);
    if (at + 16 + cap > bytes.length) throw new ProtocolError('CAPTURE_BAD_FILE', 'pcap record longer than the file', { offset: at });
    file.packets.push({ interfaceId: 0, linkType, timeMs: sec * 1000 + frac / (nano ? 1e6 : 1e3), data: bytes.subarray(at + 16, at + 16 + cap), offset: at });
    at += 16 + cap;
  }
  return file;
}
