/**
 * A scripted server for the sans-IO RtspSession: a fake clock, the sink's effects recorded, the
 * requests the session writes parsed back, answers fed in with `receive`. No socket, no timer.
 */
import { RtspSession } from '../../../src/rtsp/session/session.js';
import type { ConnectTarget, EndReason, RtspFrame, RtspSessionOptions, RtspTrack } from '../../../src/rtsp/session/types.js';
import { RtspStreamParser } from '../../../src/rtsp/rtsp-parser.js';
import { encodeInterleaved, encodeResponse } from '../../../src/rtsp/encode.js';
import { buildRtpPacket } from '../../../src/rtp/rtp-packet.js';
import type { ProtocolError } from '../../../src/errors.js';
import type { RequestHead } from '../../../src/message/head-parser.js';
import { loadH264 } from '../../../src/testing/media-source.js';

const corpus = loadH264();
/** The corpus file's parameter sets (640x360, Constrained Baseline 3.0). */
export const SPS = Buffer.from(corpus.units[0]!.find((n) => (n[0]! & 0x1f) === 7)!);
export const PPS = Buffer.from(corpus.units[0]!.find((n) => (n[0]! & 0x1f) === 8)!);

export const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=cam',
  't=0 0',
  'a=control:*',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  `a=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=${SPS.toString('base64')},${PPS.toString('base64')}`,
  'a=control:track1',
  'm=audio 0 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=control:track2',
  '',
].join('\r\n');

export interface SentRequest {
  method: string;
  uri: string;
  cseq: string;
  headers: Map<string, string>;
}

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

export class Harness {
  now = 1_000_000;
  readonly session: RtspSession;
  readonly requests: SentRequest[] = [];
  readonly interleavedOut: { channel: number; bytes: Uint8Array }[] = [];
  readonly frames: RtspFrame[] = [];
  readonly warnings: ProtocolError[] = [];
  readonly connects: ConnectTarget[] = [];
  readonly messages: { dir: string; text: string }[] = [];
  readonly rtcpOut: { track: RtspTrack; bytes: Uint8Array }[] = [];
  deadline = Infinity;
  ended: { reason: EndReason; error: ProtocolError | undefined } | undefined;
  autoConnect = true;
  private readonly out: RtspStreamParser;

  constructor(options: RtspSessionOptions = {}, url = 'rtsp://user:secret@cam.example/stream') {
    this.out = new RtspStreamParser({
      message: (m) => {
        const h = m.head as RequestHead;
        if (h.kind !== 'request') return;
        this.requests.push({ method: h.method, uri: h.uri, cseq: h.headers.get('cseq') ?? '', headers: new Map([...h.headers].map(([k, v]) => [k.toLowerCase(), v])) });
      },
      interleaved: (channel, payload) => this.interleavedOut.push({ channel, bytes: payload.slice() }),
      error: () => undefined,
    });
    this.session = new RtspSession(
      url,
      {
        write: (b) => this.out.push(b),
        connect: (t) => {
          this.connects.push(t);
          if (this.autoConnect) queueMicrotask(() => this.session.connected(this.now));
        },
        sendRtcp: (track, bytes) => this.rtcpOut.push({ track, bytes }),
        frame: (f) => this.frames.push(f),
        warning: (e) => this.warnings.push(e),
        deadline: (at) => (this.deadline = at),
        end: (reason, error) => (this.ended = { reason, error }),
        message: (dir, text) => this.messages.push({ dir, text }),
      },
      options,
    );
  }

  get last(): SentRequest {
    const r = this.requests.at(-1);
    if (!r) throw new Error('no request sent');
    return r;
  }

  /** Answers the last request (or the given one) with its CSeq. */
  answer(status = 200, headers: Record<string, string> = {}, body?: string, to: SentRequest = this.last): void {
    const reason = status === 200 ? 'OK' : status === 401 ? 'Unauthorized' : status === 454 ? 'Session Not Found' : 'Status';
    this.session.receive(encodeResponse(status, reason, { CSeq: to.cseq, ...headers }, body), this.now);
  }

  /** Moves the fake clock, running every deadline that falls due on the way. */
  advance(ms: number): void {
    const until = this.now + ms;
    while (this.deadline <= until && !this.ended) {
      this.now = Math.max(this.now, this.deadline);
      this.session.tick(this.now);
    }
    this.now = until;
  }

  /** OPTIONS, DESCRIBE, SETUP of track 0 (interleaved), PLAY: answered as a plain camera would. */
  async start(opts: { timeout?: number; rtpInfo?: string; playHeaders?: Record<string, string>; tracks?: number[]; sdp?: string; setupHeaders?: (i: number) => Record<string, string> } = {}): Promise<void> {
    const d = this.session.describe(this.now);
    await flush();
    this.answer(200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER' });
    await flush();
    this.answer(200, { 'Content-Type': 'application/sdp', 'Content-Base': 'rtsp://cam.example/stream/' }, opts.sdp ?? SDP);
    await d;
    for (const i of opts.tracks ?? [0]) {
      const s = this.session.setup(i, this.now);
      await flush();
      const tr = this.last.headers.get('transport')!;
      this.answer(200, { Session: `ABC123${opts.timeout !== undefined ? `;timeout=${opts.timeout}` : ''}`, Transport: tr, ...(opts.setupHeaders?.(i) ?? {}) });
      await s;
    }
    const p = this.session.play(this.now);
    await flush();
    this.answer(200, { Session: 'ABC123', ...(opts.rtpInfo ? { 'RTP-Info': opts.rtpInfo } : {}), ...(opts.playHeaders ?? {}) });
    await p;
  }

  /** One RTP packet on an interleaved channel. */
  rtp(channel: number, f: { seq: number; ts: number; marker?: boolean; pt?: number; ssrc?: number }, payload: Uint8Array): void {
    const pkt = buildRtpPacket({ marker: f.marker ?? true, payloadType: f.pt ?? 96, sequenceNumber: f.seq & 0xffff, timestamp: f.ts >>> 0, ssrc: f.ssrc ?? 0x11223344 }, payload);
    this.session.receive(encodeInterleaved(channel, pkt), this.now);
  }

  /** A single-NAL H.264 access unit (an IDR slice when `key`). */
  static nal(key = true, size = 20): Uint8Array {
    const b = new Uint8Array(size).fill(0xab);
    b[0] = key ? 0x65 : 0x41;
    return b;
  }
}
