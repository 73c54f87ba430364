/**
 * Synthesized link/network/transport headers for captured bytes, and their decoding on the way back.
 * A capture made inside the client has no real Ethernet frames, so each chunk gets a made-up Ethernet
 * II header (IEEE 802.3 §3.2, locally administered MACs), an IPv4 (RFC 791) or IPv6 (RFC 8200) header
 * with the real endpoints, and a TCP (RFC 9293) or UDP (RFC 768) header. Dissectors then decode the
 * payload by port (RTSP 554, HTTP 80) or by the decode-as hints the capture writer uses.
 *
 * Checksums: the IPv4 header checksum is computed; TCP and UDP checksums are 0 (for UDP over IPv4 that
 * means "none", RFC 768; Wireshark does not verify TCP checksums by default). Over IPv6 a UDP checksum of
 * 0 is not allowed (RFC 8200 §8.1), so it is computed there.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const TCP_HEADER = 20;
export const UDP_HEADER = 8;
/** Largest header this module writes (Ethernet + IPv6 + TCP). */
export const MAX_HEADER = ETH_HEADER + IPV6_HEADER + TCP_HEADER;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;

/** Parses a textual IPv4/IPv6 address ('::ffff:1.2.3.4' becomes IPv4); anything else gives 0.0.0.0. */
export function ipBytes(address: string): IpBytes {
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1]!;
  if (isIPv4(a)) return Uint8Array.from(a.split('.').map(Number));
  if (isIPv6(a)) return ipv6Bytes(a);
  return new Uint8Array(4);
}

function ipv6Bytes(a: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = a;
  // A trailing dotted quad (::1.2.3.4) is two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (quad) {
    const q = quad[1]!.split('.').map(Number);
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!];
    s = s.slice(0, -quad[1]!.length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head, rest] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined ? (rest ? rest.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : []) : [];
  const groups = rest !== undefined ? [...h, ...new Array<number>(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail] : [...h, ...tail];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (groups[i]! >> 8) & 0xff;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** The same family for both ends: IPv4 stays IPv4 when both are; otherwise IPv4 becomes IPv4-mapped IPv6. */
export function sameFamily(a: IpBytes, b: IpBytes): [IpBytes, IpBytes] {
  if (a.length === b.length) return [a, b];
  const map = (x: IpBytes): IpBytes => (x.length === 16 ? x : Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...x));
  return [map(a), map(b)];
}

export function formatIp(b: IpBytes): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // Shorten the longest run of zero groups (RFC 5952 §4.2.3), enough for readable output.
  const text = g.join(':');
  const m = text.match(/(?:^|:)0(?::0)+(?::|$)/g);
  if (!m) return text;
  const longest = m.reduce((x, y) => (y.length > x.length ? y : x));
  return text.replace(longest, '::');
}

const MAC_CLIENT = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const MAC_SERVER = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);

function checksum16(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export interface SegmentHeader {
  /** True when the packet goes from the client (our side) to the server. */
  fromClient: boolean;
  src: IpBytes;
  dst: IpBytes;
  srcPort: number;
  dstPort: number;
  protocol: 'tcp' | 'udp';
  /** TCP only. */
  seq?: number;
  ack?: number;
  flags?: number;
}

/**
 * Writes Ethernet + IP + TCP/UDP headers for a payload of `payloadLen` bytes into `out` (at least
 * MAX_HEADER bytes) and returns the header length. For UDP over IPv6, `payload` is needed for the checksum.
 */
export function writeHeaders(out: Uint8Array, h: SegmentHeader, payloadLen: number, payload?: Uint8Array, payloadStart = 0): number {
  const v6 = h.src.length === 16;
  out.set(h.fromClient ? MAC_SERVER : MAC_CLIENT, 0);
  out.set(h.fromClient ? MAC_CLIENT : MAC_SERVER, 6);
  out[12] = v6 ? 0x86 : 0x08;
  out[13] = v6 ? 0xdd : 0x00;
  const l4len = (h.protocol === 'tcp' ? TCP_HEADER : UDP_HEADER) + payloadLen;
  const proto = h.protocol === 'tcp' ? PROTO_TCP : PROTO_UDP;
  let at = ETH_HEADER;
  if (v6) {
    out[at] = 0x60;
    out[at + 1] = 0;
    out[at + 2] = 0;
    out[at + 3] = 0;
    out[at + 4] = (l4len >> 8) & 0xff;
    out[at + 5] = l4len & 0xff;
    out[at + 6] = proto;
    out[at + 7] = 64;
    out.set(h.src, at + 8);
    out.set(h.dst, at + 24);
    at += IPV6_HEADER;
  } else {
    const total = IPV4_HEADER + l4len;
    out[at] = 0x45;
    out[at + 1] = 0;
    out[at + 2] = (total >> 8) & 0xff;
    out[at + 3] = total & 0xff;
    out[at + 4] = 0; // identification
    out[at + 5] = 0;
    out[at + 6] = 0x40; // don't fragment
    out[at + 7] = 0;
    out[at + 8] = 64; // TTL
    out[at + 9] = proto;
    out[at + 10] = 0;
    out[at + 11] = 0;
    out.set(h.src, at + 12);
    out.set(h.dst, at + 16);
    const c = ~checksum16(out, at, at + IPV4_HEADER) & 0xffff;
    out[at + 10] = c >> 8;
    out[at + 11] = c & 0xff;
    at += IPV4_HEADER;
  }
  out[at] = (h.srcPort >> 8) & 0xff;
  out[at + 1] = h.srcPort & 0xff;
  out[at + 2] = (h.dstPort >> 8) & 0xff;
  out[at + 3] = h.dstPort & 0xff;
  if (h.protocol === 'tcp') {
    const seq = h.seq! >>> 0;
    const ack = (h.ack ?? 0) >>> 0;
    out[at + 4] = seq >>> 24;
    out[at + 5] = (seq >>> 16) & 0xff;
    out[at + 6] = (seq >>> 8) & 0xff;
    out[at + 7] = seq & 0xff;
    out[at + 8] = ack >>> 24;
    out[at + 9] = (ack >>> 16) & 0xff;
    out[at + 10] = (ack >>> 8) & 0xff;
    out[at + 11] = ack & 0xff;
    out[at + 12] = 0x50; // data offset 5 words
    out[at + 13] = h.flags ?? TCP_ACK;
    out[at + 14] = 0xff; // window 65535
    out[at + 15] = 0xff;
    out[at + 16] = 0; // checksum (see the file comment)
    out[at + 17] = 0;
    out[at + 18] = 0;
    out[at + 19] = 0;
    return at + TCP_HEADER;
  }
  out[at + 4] = (l4len >> 8) & 0xff;
  out[at + 5] = l4len & 0xff;
  out[at + 6] = 0;
  out[at + 7] = 0;
  if (v6 && payload) {
    // RFC 8200 §8.1 pseudo-header: src, dst, upper-layer length, next header.
    let s = checksum16(out, ETH_HEADER + 8, ETH_HEADER + 40);
    s += l4len + PROTO_UDP;
    s = checksum16(out, at, at + UDP_HEADER, s);
    s = checksum16(payload, payloadStart, payloadStart + payloadLen, s);
    let c = ~s & 0xffff;
    if (c === 0) c = 0xffff;
    out[at + 6] = c >> 8;
    out[at + 7] = c & 0xff;
  }
  return at + UDP_HEADER;
}

export interface DecodedSegment {
  protocol: 'tcp' | 'udp';
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Uint8Array;
}

/**
 * Decodes an Ethernet (or raw IP / BSD loopback / Linux cooked) frame down to the TCP or UDP payload.
 * Returns undefined for anything else (ARP, ICMP, IP fragments, truncated frames).
 */
export function decodeFrame(data: Uint8Array, linkType: number): DecodedSegment | undefined {
  let at = 0;
  let etherType: number;
  if (linkType === 1) {
    if (data.length < ETH_HEADER) return undefined;
    etherType = (data[12]! << 8) | data[13]!;
    at = ETH_HEADER;
    if (etherType === 0x8100 && data.length >= 18) {
      etherType = (data[16]! << 8) | data[17]!;
      at = 18;
    }
  } else if (linkType === 0) {
    if (data.length < 4) return undefined;
    const family = data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24);
    etherType = family === 2 ? 0x0800 : 0x86dd;
    at = 4;
  } else if (linkType === 101) {
    etherType = data.length > 0 && data[0]! >> 4 === 6 ? 0x86dd : 0x0800;
  } else if (linkType === 113) {
    if (data.length < 16) return undefined;
    etherType = (data[14]! << 8) | data[15]!;
    at = 16;
  } else return undefined;
  let proto: number;
  let src: string;
  let dst: string;
  let end: number;
  if (etherType === 0x0800) {
    if (data.length < at + IPV4_HEADER) return undefined;
    const ihl = (data[at]! & 0x0f) * 4;
    const total = (data[at + 2]! << 8) | data[at + 3]!;
    const frag = ((data[at + 6]! & 0x1f) << 8) | data[at + 7]!;
    if (frag !== 0 || data[at + 6]! & 0x20) return undefined;
    proto = data[at + 9]!;
    src = formatIp(data.subarray(at + 12, at + 16));
    dst = formatIp(data.subarray(at + 16, at + 20));
    // Total length 0 happens with TSO captures: trust the frame then.
    end = total === 0 ? data.length : Math.min(data.length, at + total);
    at += ihl;
  } else if (etherType === 0x86dd) {
    if (data.length < at + IPV6_HEADER) return undefined;
    const plen = (data[at + 4]! << 8) | data[at + 5]!;
    proto = data[at + 6]!;
    src = formatIp(data.subarray(at + 8, at + 24));
    dst = formatIp(data.subarray(at + 24, at + 40));
    end = plen === 0 ? data.length : Math.min(data.length, at + IPV6_HEADER + plen);
    at += IPV6_HEADER;
  } else return undefined;
  if (proto === PROTO_TCP) {
    if (end < at + TCP_HEADER) return undefined;
    const off = (data[at + 12]! >> 4) * 4;
    return {
      protocol: 'tcp',
      src,
      dst,
      srcPort: (data[at]! << 8) | data[at + 1]!,
      dstPort: (data[at + 2]! << 8) | data[at + 3]!,
      seq: ((data[at + 4]! << 24) | (data[at + 5]! << 16) | (data[at + 6]! << 8) | data[at + 7]!) >>> 0,
      ack: ((data[at + 8]! << 24) | (data[at + 9]! << 16) | (data[at + 10]! << 8) | data[at + 11]!) >>> 0,
      flags: data[at + 13]!,
      payload: data.subarray(Math.min(end, at + off), end),
    };
  }
  if (proto === PROTO_UDP) {
    if (end < at + UDP_HEADER) return undefined;
    const ulen = (data[at + 4]! << 8) | data[at + 5]!;
    return {
      protocol: 'udp',
      src,
      dst,
      srcPort: (data[at]! << 8) | data[at + 1]!,
      dstPort: (data[at + 2]! << 8) | data[at + 3]!,
      seq: 0,
      ack: 0,
      flags: 0,
      payload: data.subarray(at + UDP_HEADER, Math.min(end, at + Math.max(UDP_HEADER, ulen))),
    };
  }
  return undefined;
}
