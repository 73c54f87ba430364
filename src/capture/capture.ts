/**
 * PcapngCapture: a WireTap that writes what it is shown as a pcapng file Wireshark and tshark dissect
 * without help: one synthesized Ethernet interface, real endpoints, a TCP handshake and FIN per
 * connection with consistent sequence/acknowledgement numbers per direction, one UDP datagram per RTP or
 * RTCP datagram, receive times from the driver. Credentials are redacted (src/capture/redact.ts) and the
 * section comment says so.
 *
 * Sans-IO: bytes go to a `PcapngSink`; `openCaptureFile` (src/capture/file.ts) is the file driver with
 * size/duration rotation. The tap copies what it needs during each call (WireTap contract).
 */
import type { WireConnection, WireEndpoint, WireTap } from './tap.js';
import { MAX_HEADER, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, ipBytes, sameFamily, writeHeaders, type IpBytes, type SegmentHeader } from './frames.js';
import { LINKTYPE_ETHERNET, epbSize, interfaceDescriptionBlock, sectionHeaderBlock, writeEnhancedPacketBlock } from './pcapng.js';
import { StreamRedactor } from './redact.js';
import { copyBytes } from '../bytes/copy.js';

/** Where the file bytes go. `bytes` is valid only during the call. */
export interface PcapngSink {
  write(bytes: Uint8Array): void;
  /** Starts the next file; the capture then writes a new section header. Without it there is no rotation. */
  rotate?(): void;
}

export interface PcapngCaptureOptions {
  /** Literals never to write (password, its percent-encoded and base64 `user:pass` forms): see `secretForms`. */
  secrets?: readonly string[];
  /** Rotate when the current file would grow past this many bytes (default: never; needs `sink.rotate`). */
  maxFileBytes?: number;
  /** Rotate when the current file spans more than this (capture clock, ms). */
  maxFileDurationMs?: number;
  /** Application name in the section header (default 'camstream'). */
  userAppl?: string;
}

export interface PcapngCaptureStats {
  packets: number;
  /** Payload bytes shown to the tap (before redaction). */
  bytes: number;
  /** File bytes written (every file). */
  fileBytes: number;
  /** Message pieces changed by redaction. */
  redactions: number;
  files: number;
}

/** Largest TCP payload per synthesized segment: the IPv4 total length is 16 bits (RFC 791 §3.1). */
export const MAX_SEGMENT = 65535 - 20 - 20;

export const REDACTION_NOTE =
  'Passwords were removed by camstream: Authorization/Proxy-Authorization values, URL user information, ' +
  'password-like query parameters and the configured password were replaced by [redacted] or dropped; ' +
  'TCP sequence numbers follow the redacted bytes. Ethernet/IP/TCP/UDP headers are synthesized for the real endpoints.';

interface ConnState {
  c: WireConnection;
  client: IpBytes;
  server: IpBytes;
  /** Next sequence number from the client / from the server. */
  seqOut: number;
  seqIn: number;
  redOut: StreamRedactor | undefined;
  redIn: StreamRedactor | undefined;
  hdr: SegmentHeader;
  /** Comment for the connection's first packet: what it carries and how to decode it. */
  note: Uint8Array | undefined;
}

const COMMENT_REDACTED = new TextEncoder().encode('credentials redacted');

export class PcapngCapture implements WireTap {
  readonly stats: PcapngCaptureStats = { packets: 0, bytes: 0, fileBytes: 0, redactions: 0, files: 0 };
  private readonly conns = new Map<number, ConnState>();
  private readonly header = new Uint8Array(MAX_HEADER);
  private block = new Uint8Array(epbSize(MAX_HEADER + MAX_SEGMENT, COMMENT_REDACTED));
  private fileBytes = 0;
  private fileStart: number | undefined;
  private started = false;
  private ended = false;
  private readonly hints = new Set<string>();
  /**
   * Redactor output of one `data` call is written as one segment (one capture packet per chunk, like
   * a real capture): a single piece straight from the input is written without a copy, several pieces
   * are gathered in `scratch` first.
   */
  private cur: ConnState | undefined;
  private curDir: 'in' | 'out' = 'in';
  private curTime = 0;
  private curInput: Uint8Array | undefined;
  private refBuf: Uint8Array | undefined;
  private refStart = 0;
  private refEnd = 0;
  private gathering = false;
  private scratch = new Uint8Array(4096);
  private scratchLen = 0;
  private curRedacted = false;
  private readonly onPiece = (bytes: Uint8Array, start: number, end: number, redacted: boolean): void => {
    if (redacted) {
      this.stats.redactions++;
      this.curRedacted = true;
    }
    if (this.curInput === undefined) {
      // Flush at close: write as it comes.
      this.tcpPayload(this.cur!, this.curDir, bytes, start, end, this.curTime, redacted);
      return;
    }
    if (!this.gathering && this.refBuf === undefined && bytes === this.curInput) {
      this.refBuf = bytes;
      this.refStart = start;
      this.refEnd = end;
      return;
    }
    if (!this.gathering) {
      this.gathering = true;
      this.scratchLen = 0;
      if (this.refBuf) this.gather(this.refBuf, this.refStart, this.refEnd);
      this.refBuf = undefined;
    }
    this.gather(bytes, start, end);
  };

  constructor(
    private readonly sink: PcapngSink,
    private readonly options: PcapngCaptureOptions = {},
  ) {}

  open(c: WireConnection, timeMs: number): void {
    if (this.ended) return;
    this.begin(timeMs);
    this.maybeRotate(timeMs);
    const [client, server] = sameFamily(ipBytes(c.local.address), ipBytes(c.remote.address));
    const s: ConnState = {
      c,
      client,
      server,
      seqOut: (c.id * 0x01000193) >>> 0,
      seqIn: (c.id * 0x9e3779b1) >>> 0,
      redOut: undefined,
      redIn: undefined,
      hdr: { fromClient: true, src: client, dst: server, srcPort: c.local.port, dstPort: c.remote.port, protocol: c.protocol },
      note: undefined,
    };
    const hint = this.noteHint(c);
    s.note = new TextEncoder().encode(`camstream connection ${c.id}: ${c.kind} over ${c.protocol}, client ${c.local.address} port ${c.local.port}${hint ? ` (tshark/Wireshark: ${hint})` : ''}`);
    if (c.protocol === 'tcp' && (c.kind === 'rtsp' || c.kind === 'http')) {
      s.redOut = new StreamRedactor(c.kind, { secrets: this.options.secrets });
      s.redIn = new StreamRedactor(c.kind, { secrets: this.options.secrets });
    }
    this.conns.set(c.id, s);
    if (c.protocol === 'tcp') this.handshake(s, timeMs);
  }

  data(connectionId: number, direction: 'in' | 'out', bytes: Uint8Array, timeMs: number, peer?: WireEndpoint): void {
    const s = this.conns.get(connectionId);
    if (!s || this.ended) return;
    this.stats.bytes += bytes.length;
    this.maybeRotate(timeMs);
    if (s.c.protocol === 'udp') {
      this.udp(s, direction, bytes, timeMs, peer);
      return;
    }
    const red = direction === 'out' ? s.redOut : s.redIn;
    if (!red) {
      this.tcpPayload(s, direction, bytes, 0, bytes.length, timeMs, false);
      return;
    }
    this.cur = s;
    this.curDir = direction;
    this.curTime = timeMs;
    this.curInput = bytes;
    this.curRedacted = false;
    red.push(bytes, this.onPiece);
    this.curInput = undefined;
    if (this.gathering) {
      this.gathering = false;
      this.tcpPayload(s, direction, this.scratch, 0, this.scratchLen, timeMs, this.curRedacted);
    } else if (this.refBuf) {
      const b = this.refBuf;
      this.refBuf = undefined;
      this.tcpPayload(s, direction, b, this.refStart, this.refEnd, timeMs, this.curRedacted);
    }
  }

  private gather(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.scratchLen + n > this.scratch.length) {
      let size = this.scratch.length * 2;
      while (size < this.scratchLen + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.scratch.subarray(0, this.scratchLen));
      this.scratch = next;
    }
    this.scratch.set(b.subarray(start, end), this.scratchLen);
    this.scratchLen += n;
  }

  close(connectionId: number, timeMs: number): void {
    const s = this.conns.get(connectionId);
    if (!s) return;
    this.conns.delete(connectionId);
    if (this.ended || s.c.protocol !== 'tcp') return;
    this.cur = s;
    this.curTime = timeMs;
    if (s.redOut) {
      this.curDir = 'out';
      s.redOut.flush(this.onPiece);
    }
    if (s.redIn) {
      this.curDir = 'in';
      s.redIn.flush(this.onPiece);
    }
    this.segment(s, true, TCP_FIN | TCP_ACK, timeMs);
    s.seqOut = (s.seqOut + 1) >>> 0;
    this.segment(s, false, TCP_FIN | TCP_ACK, timeMs);
    s.seqIn = (s.seqIn + 1) >>> 0;
    this.segment(s, true, TCP_ACK, timeMs);
  }

  /** Closes every open connection (FIN) and stops writing. */
  end(timeMs: number): void {
    if (this.ended) return;
    this.begin(timeMs);
    for (const id of [...this.conns.keys()]) this.close(id, timeMs);
    this.ended = true;
  }

  /** tshark/Wireshark decode-as flags for the ports seen, e.g. `-d tcp.port==8554,rtsp` (also in the file's comment). */
  get decodeAs(): string[] {
    return [...this.hints];
  }

  // -----------------------------------------------------------------------------------------------

  private begin(timeMs: number): void {
    if (this.started) return;
    this.started = true;
    this.startFile(timeMs);
  }

  private startFile(timeMs: number): void {
    const comment = `${REDACTION_NOTE}${this.hints.size ? ` Decode as: ${[...this.hints].join(' ')}` : ''}`;
    const shb = sectionHeaderBlock(comment, this.options.userAppl ?? 'camstream');
    const idb = interfaceDescriptionBlock(LINKTYPE_ETHERNET, 'camstream');
    this.put(shb);
    this.put(idb);
    this.fileStart = timeMs;
    this.stats.files++;
  }

  private maybeRotate(timeMs: number): void {
    if (!this.sink.rotate) return;
    const o = this.options;
    const overSize = o.maxFileBytes !== undefined && this.fileBytes >= o.maxFileBytes;
    const overTime = o.maxFileDurationMs !== undefined && this.fileStart !== undefined && timeMs - this.fileStart >= o.maxFileDurationMs;
    if (!overSize && !overTime) return;
    this.sink.rotate();
    this.fileBytes = 0;
    this.startFile(timeMs);
    // Each file stands alone: open TCP connections get a handshake that leads into their current
    // sequence numbers, so Wireshark reassembles from the first segment of the new file.
    for (const s of this.conns.values()) {
      if (s.c.protocol !== 'tcp') continue;
      s.seqOut = (s.seqOut - 1) >>> 0;
      s.seqIn = (s.seqIn - 1) >>> 0;
      this.handshake(s, timeMs);
    }
  }

  /** Decode-as flags for ports the dissectors do not know (RTSP 554/8554, HTTP 80/8080 they do). */
  private noteHint(c: WireConnection): string | undefined {
    const std = c.kind === 'rtsp' ? [554, 8554] : [80, 8080];
    let hint: string | undefined;
    if (c.kind === 'rtsp' || c.kind === 'http') {
      if (!std.includes(c.remote.port)) hint = `-d ${c.protocol}.port==${c.remote.port},${c.kind}`;
    } else hint = `-d udp.port==${c.local.port},${c.kind}`;
    if (hint) this.hints.add(hint);
    return hint;
  }

  private handshake(s: ConnState, timeMs: number): void {
    this.segment(s, true, TCP_SYN, timeMs, 0);
    s.seqOut = (s.seqOut + 1) >>> 0;
    this.segment(s, false, TCP_SYN | TCP_ACK, timeMs);
    s.seqIn = (s.seqIn + 1) >>> 0;
    this.segment(s, true, TCP_ACK, timeMs);
  }

  /** A segment without payload. */
  private segment(s: ConnState, fromClient: boolean, flags: number, timeMs: number, ack?: number): void {
    this.setDir(s, fromClient);
    s.hdr.seq = fromClient ? s.seqOut : s.seqIn;
    s.hdr.ack = ack ?? (fromClient ? s.seqIn : s.seqOut);
    s.hdr.flags = flags;
    const hl = writeHeaders(this.header, s.hdr, 0);
    this.writeEpb(timeMs, hl, this.header, 0, 0, false, this.takeNote(s));
  }

  private tcpPayload(s: ConnState, direction: 'in' | 'out', bytes: Uint8Array, start: number, end: number, timeMs: number, redacted: boolean): void {
    const fromClient = direction === 'out';
    this.setDir(s, fromClient);
    for (let at = start; at < end; ) {
      const n = Math.min(MAX_SEGMENT, end - at);
      s.hdr.seq = fromClient ? s.seqOut : s.seqIn;
      s.hdr.ack = fromClient ? s.seqIn : s.seqOut;
      s.hdr.flags = TCP_ACK | (at + n === end ? TCP_PSH : 0);
      const hl = writeHeaders(this.header, s.hdr, n);
      this.writeEpb(timeMs, hl, bytes, at, at + n, redacted);
      if (fromClient) s.seqOut = (s.seqOut + n) >>> 0;
      else s.seqIn = (s.seqIn + n) >>> 0;
      at += n;
    }
  }

  private udp(s: ConnState, direction: 'in' | 'out', bytes: Uint8Array, timeMs: number, peer: WireEndpoint | undefined): void {
    const fromClient = direction === 'out';
    const h = s.hdr;
    let remote = s.server;
    let remotePort = s.c.remote.port;
    if (peer) {
      remote = sameFamily(s.client, ipBytes(peer.address))[1];
      remotePort = peer.port;
    }
    h.fromClient = fromClient;
    h.src = fromClient ? s.client : remote;
    h.dst = fromClient ? remote : s.client;
    h.srcPort = fromClient ? s.c.local.port : remotePort;
    h.dstPort = fromClient ? remotePort : s.c.local.port;
    const n = Math.min(bytes.length, 65535 - 8 - 20);
    const hl = writeHeaders(this.header, h, n, bytes, 0);
    this.writeEpb(timeMs, hl, bytes, 0, n, false, this.takeNote(s));
  }

  private setDir(s: ConnState, fromClient: boolean): void {
    const h = s.hdr;
    h.fromClient = fromClient;
    h.src = fromClient ? s.client : s.server;
    h.dst = fromClient ? s.server : s.client;
    h.srcPort = fromClient ? s.c.local.port : s.c.remote.port;
    h.dstPort = fromClient ? s.c.remote.port : s.c.local.port;
  }

  private takeNote(s: ConnState): Uint8Array | undefined {
    const n = s.note;
    s.note = undefined;
    return n;
  }

  private writeEpb(timeMs: number, headerLen: number, payload: Uint8Array, start: number, end: number, redacted: boolean, note?: Uint8Array): void {
    const header = this.header;
    const comment = note ?? (redacted ? COMMENT_REDACTED : undefined);
    const size = epbSize(headerLen + (end - start), comment);
    if (size > this.block.length) this.block = new Uint8Array(size);
    const e = writeEnhancedPacketBlock(this.block, 0, 0, timeMs * 1000, header, headerLen, payload, start, end, comment);
    this.stats.packets++;
    this.put(this.block.subarray(0, e));
  }

  private put(b: Uint8Array): void {
    this.fileBytes += b.length;
    this.stats.fileBytes += b.length;
    this.sink.write(b);
  }
}

/** A sink that keeps everything in memory (tests, small captures). */
export class MemorySink implements PcapngSink {
  readonly files: Uint8Array[][] = [[]];
  write(bytes: Uint8Array): void {
    this.files[this.files.length - 1]!.push(copyBytes(bytes));
  }
  rotate(): void {
    this.files.push([]);
  }
  /** The bytes of file `i` (default: the first). */
  file(i = 0): Uint8Array {
    const parts = this.files[i] ?? [];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
