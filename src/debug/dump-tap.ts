/**
 * DumpTap: a WireTap that decodes what it is shown into DumpRecords, with the library's own parsers:
 * RtspStreamParser for RTSP connections (both directions: messages and `$` frames), the SDP and
 * Transport parsers to map interleaved channels to tracks, RtpPacketView and parseRtcp for media, the
 * client's depacketizers for `--frames`, and for HTTP the head parser, ChunkedDecoder, MultipartParser and
 * the DH/DHAV demuxers. Sans-IO: it is fed by a live driver's tap or by a capture file (captureEvents),
 * so `dump URL` and `dump FILE.pcapng` print the same thing.
 *
 * Credentials: message text goes through redactText (Authorization values, URL user information).
 */
import type { WireConnection, WireTap } from '../capture/tap.js';
import { redactText } from '../capture/redact.js';
import { RtspStreamParser, type RtspMessage } from '../rtsp/rtsp-parser.js';
import { HeadParser, type MessageHead } from '../message/head-parser.js';
import { parseSdp, type MediaDescription } from '../rtsp/sdp.js';
import { contentBase, parseTransport } from '../rtsp/headers.js';
import { resolveControl, stripCredentials } from '../rtsp/url.js';
import { RtpPacketView, RtpStatus } from '../rtp/rtp-packet.js';
import { tryParseRtcp } from '../rtp/rtcp.js';
import { codecOf, createDepacketizer } from '../client/depacketizers.js';
import type { Depacketizer } from '../codec/types.js';
import { ChunkedDecoder } from '../http/chunked.js';
import { MultipartParser } from '../multipart/multipart-parser.js';
import { boundaryFromContentType, isMultipart } from '../multipart/boundary.js';
import { createDemuxer } from '../dh/sniff.js';
import { ProtocolError } from '../errors.js';
import { describeNal, describeRtcp, h264NalName, h265NalName, hex32 } from './describe.js';
import type { DumpRecord } from './records.js';

export interface DumpOptions {
  /** One record per RTP/RTCP packet (default true; `--no-rtp` turns it off, losses are still reported). */
  rtp?: boolean;
  /** Per-frame records from the depacketizers (default false). */
  frames?: boolean;
  /** Only this track's media records (SDP media index). */
  track?: number;
  /** Text bodies up to this size are shown (default 4096 bytes). */
  maxBodyText?: number;
}

interface DumpTrack {
  index: number;
  codec: string;
  control: string;
  media: MediaDescription;
  depacketizer: Depacketizer | undefined;
}

interface ChannelState {
  track: DumpTrack | undefined;
  rtcp: boolean;
  lastSeq: number;
  ssrc: number;
  started: boolean;
}

interface Conn {
  c: WireConnection;
  rtspIn?: RtspStreamParser;
  rtspOut?: RtspStreamParser;
  /** CSeq -> request (method, URL) seen going out. */
  requests: Map<string, { method: string; url: string }>;
  tracks: DumpTrack[];
  channels: Map<number, ChannelState>;
  http?: HttpSide;
  httpOut?: HeadParser;
  udp?: ChannelState;
  time: number;
  dir: 'in' | 'out';
}

interface HttpSide {
  head: HeadParser;
  gotHead: boolean;
  chunked?: ChunkedDecoder;
  body?: (b: Uint8Array) => void;
  bodyEnd?: () => void;
  remaining: number;
  text: Uint8Array[] | undefined;
  textLen: number;
}

export class DumpTap implements WireTap {
  private readonly conns = new Map<number, Conn>();
  /** UDP transports: the track (and socket) of each client port, from the SETUP answers. */
  private readonly udpPorts = new Map<number, { track: DumpTrack; rtcp: boolean }>();
  private readonly pkt = new RtpPacketView();
  private readonly rtp: boolean;
  private readonly frames: boolean;
  private readonly maxBodyText: number;

  constructor(
    private readonly emit: (r: DumpRecord) => void,
    private readonly options: DumpOptions = {},
  ) {
    this.rtp = options.rtp ?? true;
    this.frames = options.frames ?? false;
    this.maxBodyText = options.maxBodyText ?? 4096;
  }

  open(c: WireConnection, timeMs: number): void {
    const s: Conn = { c, requests: new Map(), tracks: [], channels: new Map(), time: timeMs, dir: 'in' };
    this.conns.set(c.id, s);
    this.emit({ type: 'open', t: timeMs, conn: c.id, protocol: c.protocol, kind: c.kind, local: endpoint(c.local), remote: endpoint(c.remote) });
    if (c.kind === 'rtsp') {
      s.rtspIn = this.rtspParser(s, 'in');
      s.rtspOut = this.rtspParser(s, 'out');
    } else if (c.kind === 'http') {
      s.httpOut = new HeadParser();
      s.http = { head: new HeadParser(), gotHead: false, remaining: -1, text: undefined, textLen: 0 };
    } else {
      const known = this.udpPorts.get(c.local.port);
      const track = known?.track;
      s.udp = { track, rtcp: known?.rtcp ?? c.kind === 'rtcp', lastSeq: 0, ssrc: 0, started: false };
      if (track && !s.udp.rtcp && this.frames && !track.depacketizer && (this.options.track === undefined || this.options.track === track.index)) this.makeDepacketizer(s, track);
    }
  }

  data(connectionId: number, direction: 'in' | 'out', bytes: Uint8Array, timeMs: number): void {
    const s = this.conns.get(connectionId);
    if (!s) return;
    s.time = timeMs;
    s.dir = direction;
    if (s.c.kind === 'rtsp') (direction === 'in' ? s.rtspIn! : s.rtspOut!).push(bytes);
    else if (s.c.kind === 'http') {
      try {
        if (direction === 'out') this.httpOut(s, bytes);
        else this.httpIn(s, bytes);
      } catch (e) {
        this.warn(s, e, 0);
      }
    } else if (s.udp) {
      if (s.udp.rtcp) this.onRtcp(s, null, s.udp, bytes);
      // What we send on the RTP socket is the NAT punch, not media.
      else if (direction === 'in') this.onRtp(s, null, s.udp, bytes, 0, bytes.length);
    }
  }

  close(connectionId: number, timeMs: number): void {
    const s = this.conns.get(connectionId);
    if (!s) return;
    s.time = timeMs;
    s.dir = 'in';
    for (const t of s.tracks) t.depacketizer?.flush();
    s.http?.bodyEnd?.();
    this.conns.delete(connectionId);
    this.emit({ type: 'close', t: timeMs, conn: connectionId });
  }

  // ---------------------------------------------------------------------------------------------
  // RTSP

  private rtspParser(s: Conn, dir: 'in' | 'out'): RtspStreamParser {
    return new RtspStreamParser({
      message: (m) => this.onMessage(s, dir, m),
      interleaved: (ch, payload) => this.onInterleaved(s, ch, payload, 0, payload.length),
      error: (e) => this.emit({ type: e.code === 'RTSP_RESYNC' ? 'resync' : 'warning', t: s.time, conn: s.c.id, dir, code: e.code, message: e.message, offset: e.offset }),
    });
  }

  private onMessage(s: Conn, dir: 'in' | 'out', m: RtspMessage): void {
    const body = m.body.length > 0 ? Buffer.from(m.body).toString('utf8') : undefined;
    this.emitMessage(s, dir, m.head, body, m.body.length);
    const h = m.head;
    const cseq = h.headers.get('cseq')?.trim() ?? '';
    if (h.kind === 'request') {
      if (dir === 'out') s.requests.set(cseq, { method: h.method, url: stripCredentials(h.uri) });
      return;
    }
    const req = s.requests.get(cseq);
    if (!req || h.status < 200 || h.status >= 300) return;
    if (req.method === 'DESCRIBE' && body !== undefined) {
      try {
        const sdp = parseSdp(body);
        const base = contentBase(h.headers, req.url);
        s.tracks = sdp.media.map((media, index) => ({
          index,
          codec: codecOf(media.rtpmap?.encoding ?? '', media.payloadTypes[0] ?? -1) ?? (media.rtpmap?.encoding ?? '').toLowerCase(),
          control: resolveControl(base, media.control),
          media,
          depacketizer: undefined,
        }));
      } catch (e) {
        this.warn(s, e, m.offset);
      }
    } else if (req.method === 'SETUP') {
      const tr = h.headers.get('transport');
      const spec = tr ? parseTransport(tr) : undefined;
      const track = s.tracks.find((t) => t.control === req.url) ?? s.tracks.find((t) => req.url.endsWith(t.media.control ?? '\u0000'));
      if (spec?.interleaved && track) {
        const [a, b] = spec.interleaved;
        s.channels.set(a, { track, rtcp: false, lastSeq: 0, ssrc: 0, started: false });
        s.channels.set(b, { track, rtcp: true, lastSeq: 0, ssrc: 0, started: false });
        if (this.frames && (this.options.track === undefined || this.options.track === track.index)) this.makeDepacketizer(s, track);
      } else if (spec?.clientPort && track && spec.lowerTransport !== 'TCP') {
        // UDP: the sockets' connections open after this answer; `open` finds their track here.
        this.udpPorts.set(spec.clientPort[0], { track, rtcp: false });
        this.udpPorts.set(spec.clientPort[1], { track, rtcp: true });
      }
    }
  }

  private emitMessage(s: Conn, dir: 'in' | 'out', h: MessageHead, body: string | undefined, bodyBytes: number): void {
    const startLine = redactText(h.kind === 'request' ? `${h.method} ${h.uri} ${h.protocol}` : `${h.protocol} ${h.status} ${h.reason}`);
    const headers: [string, string][] = [];
    for (const [k, v] of h.headers) headers.push([k, redactText(`${k}: ${v}`).slice(k.length + 2)]);
    const rec: DumpRecord = { type: 'message', t: s.time, conn: s.c.id, dir, startLine, headers, bodyBytes };
    if (body !== undefined && bodyBytes <= this.maxBodyText && isText(body)) rec.body = redactText(body);
    this.emit(rec);
  }

  private onInterleaved(s: Conn, channel: number, buf: Uint8Array, start: number, end: number): void {
    let st = s.channels.get(channel);
    if (!st) {
      // A channel never set up (moonfire-nvr #213) or a capture that starts mid-session: guess by the
      // RTCP packet types 200-204 (RFC 3550 §12.1), keep the state for the channel.
      const rtcp = end - start >= 2 && buf[start + 1]! >= 200 && buf[start + 1]! <= 204;
      st = { track: undefined, rtcp, lastSeq: 0, ssrc: 0, started: false };
      s.channels.set(channel, st);
    }
    if (st.rtcp) this.onRtcp(s, channel, st, buf.subarray(start, end));
    else this.onRtp(s, channel, st, buf, start, end);
  }

  private onRtp(s: Conn, channel: number | null, st: ChannelState, buf: Uint8Array, start: number, end: number): void {
    const p = this.pkt;
    const status = p.parse(buf, start, end);
    if (status !== RtpStatus.Ok) {
      this.emit({ type: 'warning', t: s.time, conn: s.c.id, dir: s.dir, code: 'RTP_BAD_PACKET', message: `not an RTP packet (${end - start} bytes)`, offset: 0 });
      return;
    }
    const track = st.track?.index ?? null;
    const wanted = this.options.track === undefined || this.options.track === track;
    // Sequence: RFC 3550 A.1 in short — forward jumps are losses, backward ones are late or duplicated.
    const seq = p.sequenceNumber;
    if (st.started && st.ssrc === p.ssrc) {
      const d = (((seq - st.lastSeq) & 0xffff) << 16) >> 16;
      const expected = (st.lastSeq + 1) & 0xffff;
      if (d > 1 && wanted) this.emit({ type: 'loss', t: s.time, conn: s.c.id, channel, track, ssrc: hex32(p.ssrc), expected, got: seq, lost: d - 1 });
      else if (d === 0 && wanted) this.emit({ type: 'duplicate', t: s.time, conn: s.c.id, channel, track, ssrc: hex32(p.ssrc), expected, got: seq });
      else if (d < 0 && wanted) this.emit({ type: 'reorder', t: s.time, conn: s.c.id, channel, track, ssrc: hex32(p.ssrc), expected, got: seq });
      if (d > 0) st.lastSeq = seq;
    } else {
      st.started = true;
      st.ssrc = p.ssrc;
      st.lastSeq = seq;
    }
    if (!wanted) return;
    if (this.rtp) {
      const codec = st.track?.codec;
      const nal = codec === 'h264' || codec === 'h265' ? describeNal(codec, p.data, p.payloadOffset, p.payloadOffset + p.payloadLength) : undefined;
      const rec: DumpRecord = {
        type: 'rtp',
        t: s.time,
        conn: s.c.id,
        dir: s.dir,
        channel,
        track,
        pt: p.payloadType,
        seq,
        ts: p.timestamp,
        marker: p.marker,
        ssrc: hex32(p.ssrc),
        size: end - start,
        payloadSize: p.payloadLength,
      };
      if (nal) rec.nal = nal;
      this.emit(rec);
    }
    st.track?.depacketizer?.pushPayload(p.data, p.payloadOffset, p.payloadOffset + p.payloadLength, p.timestamp, p.marker, seq);
  }

  private onRtcp(s: Conn, channel: number | null, st: ChannelState, bytes: Uint8Array): void {
    const track = st.track?.index ?? null;
    if (!this.rtp || (this.options.track !== undefined && this.options.track !== track)) return;
    const r = tryParseRtcp(bytes);
    if (r instanceof ProtocolError) {
      this.emit({ type: 'warning', t: s.time, conn: s.c.id, dir: s.dir, code: r.code, message: r.message, offset: r.offset });
      return;
    }
    this.emit({ type: 'rtcp', t: s.time, conn: s.c.id, dir: s.dir, channel, track, size: bytes.length, packets: describeRtcp(r) });
  }

  private makeDepacketizer(s: Conn, t: DumpTrack): void {
    const m = t.media;
    t.depacketizer = createDepacketizer(
      { codec: t.codec, fmtp: m.fmtp, clockRate: m.rtpmap?.clockRate ?? 90000, channels: m.rtpmap?.channels, media: m },
      {
        output: 'annexb',
        lossMode: 'flag',
        maxAccessUnitSize: undefined,
        context: { track: t.index },
        onUnit: (u) => {
          const names = u.nalus?.map((n) => (u.codec === 'h264' ? h264NalName(n[0]! & 0x1f) : h265NalName((n[0]! >> 1) & 0x3f)));
          const rec: DumpRecord = { type: 'frame', t: s.time, conn: s.c.id, track: t.index, codec: u.codec, ts: u.timestamp, seq: u.sequenceNumber, size: u.data.length, keyframe: u.keyframe, loss: u.loss };
          if (names) rec.nals = names;
          this.emit(rec);
        },
        onError: (e) => this.emit({ type: 'warning', t: s.time, conn: s.c.id, dir: 'in', code: e.code, message: e.message, offset: e.offset }),
        onInfo: () => undefined,
      },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP (one request per connection, as the HTTP client does)

  private httpOut(s: Conn, bytes: Uint8Array): void {
    let b: Uint8Array = bytes;
    while (b.length > 0) {
      const r = s.httpOut!.push(b);
      if (!r) return;
      this.emitMessage(s, 'out', r.head, undefined, 0);
      // A request body (POST audio, tunnel) is not decoded: only the heads of requests are shown.
      b = new Uint8Array(0);
    }
  }

  private httpIn(s: Conn, bytes: Uint8Array): void {
    const h = s.http!;
    if (!h.gotHead) {
      const r = h.head.push(bytes);
      if (!r) return;
      if (r.head.kind !== 'response') return;
      if (r.head.status >= 100 && r.head.status < 200) {
        this.emitMessage(s, 'in', r.head, undefined, 0);
        h.head.reset();
        if (r.rest.length) this.httpIn(s, r.rest);
        return;
      }
      h.gotHead = true;
      this.emitMessage(s, 'in', r.head, undefined, 0);
      this.setupBody(s, r.head);
      if (r.rest.length) this.httpBody(s, r.rest);
      return;
    }
    this.httpBody(s, bytes);
  }

  private setupBody(s: Conn, head: MessageHead): void {
    const h = s.http!;
    const type = head.headers.get('content-type') ?? '';
    const te = head.headers.get('transfer-encoding') ?? '';
    if (/chunked/i.test(te)) h.chunked = new ChunkedDecoder();
    const cl = head.headers.get('content-length');
    h.remaining = !h.chunked && cl !== undefined && /^\s*\d+\s*$/.test(cl) ? Number(cl) : -1;
    if (isMultipart(type)) {
      let boundary: string;
      try {
        boundary = boundaryFromContentType(type);
      } catch (e) {
        this.warn(s, e, 0);
        return;
      }
      const mp = new MultipartParser(boundary, {
        part: (p) => this.emit({ type: 'part', t: s.time, conn: s.c.id, index: p.index, contentType: p.contentType, size: p.body.length, ...(p.contentLength !== undefined ? { contentLength: p.contentLength } : {}) }),
        error: (e) => this.warn(s, e, e.offset),
      });
      h.body = (b) => mp.push(b);
      h.bodyEnd = () => mp.end();
      return;
    }
    if (/^(text\/|application\/(sdp|json|xml|x-www-form-urlencoded))/i.test(type) && h.remaining >= 0 && h.remaining <= this.maxBodyText) {
      h.text = [];
      h.body = (b) => {
        h.text!.push(Buffer.from(b));
        h.textLen += b.length;
      };
      h.bodyEnd = () => {
        const text = Buffer.concat(h.text!).toString('utf8');
        h.text = undefined;
        this.emit({ type: 'body', t: s.time, conn: s.c.id, dir: 'in', size: h.textLen, text: redactText(text) });
      };
      return;
    }
    if (/^(application\/octet-stream|video\/|application\/x-dh|$)/i.test(type) || /dhav|x-dh/i.test(type)) {
      const dm = createDemuxer(
        {
          frame: (f) =>
            this.emit({
              type: 'dh',
              t: s.time,
              conn: s.c.id,
              format: f.format,
              kind: f.kind,
              codec: f.codec,
              keyframe: f.keyframe,
              size: f.payload.length,
              channel: f.channel,
              sequence: f.sequence,
              time: Number.isFinite(f.time) ? new Date(f.time).toISOString() : String(f.time),
              ...(f.width ? { width: f.width, height: f.height } : {}),
            }),
          event: (e) => {
            if (e.type === 'resync') this.emit({ type: 'resync', t: s.time, conn: s.c.id, dir: 'in', code: e.error.code, message: e.error.message, offset: e.offset });
            else if (e.type === 'error') this.warn(s, e.error, e.error.offset);
          },
        },
        {},
      );
      h.body = (b) => dm.push(b);
      h.bodyEnd = () => dm.end();
      return;
    }
    let n = 0;
    h.body = (b) => (n += b.length);
    h.bodyEnd = () => this.emit({ type: 'body', t: s.time, conn: s.c.id, dir: 'in', size: n });
  }

  private httpBody(s: Conn, bytes: Uint8Array): void {
    const h = s.http!;
    const deliver = (b: Uint8Array): void => {
      let v = b;
      if (h.remaining >= 0) {
        if (h.remaining === 0) return;
        if (v.length > h.remaining) v = v.subarray(0, h.remaining);
        h.remaining -= v.length;
      }
      h.body?.(v);
      if (h.remaining === 0 && h.bodyEnd) {
        const end = h.bodyEnd;
        h.bodyEnd = undefined;
        end();
      }
    };
    if (h.chunked) h.chunked.push(bytes, deliver);
    else deliver(bytes);
  }

  private warn(s: Conn, e: unknown, offset: number): void {
    const pe = e instanceof ProtocolError ? e : undefined;
    this.emit({ type: 'warning', t: s.time, conn: s.c.id, dir: s.dir, code: pe?.code ?? 'ERROR', message: redactText(e instanceof Error ? e.message : String(e)), offset: pe?.offset ?? offset });
  }
}

function endpoint(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function isText(s: string): boolean {
  // Control characters other than tab/CR/LF mean binary: show the size only.
  return !/[\u0000-\u0008\u000e-\u001f]/.test(s);
}
