/**
 * Two-way audio: talking to a camera's speaker over its ONVIF backchannel (ONVIF Streaming
 * Specification §5.3 "Back channel connection"). The client sends `Require:
 * www.onvif.org/ver20/backchannel` on DESCRIBE and SETUP; the SDP then has an audio track marked
 * `a=sendonly` (the client sends); it is set up like any track (TCP interleaved or UDP) and, after
 * PLAY, the client sends RTP on it: G.711 (RFC 3551 §4.5.14) or AAC (RFC 3640 AAC-hbr) paced in real
 * time, with RTCP sender reports (RFC 3550 §6.4.1) and a BYE at the end (§6.6).
 *
 * Two layers, as everywhere in camstream:
 * - `BackchannelSender` (sans-IO): samples in, RTP/RTCP packets out, due times computed from the
 *   `now` it is given: nothing here reads a clock or starts a timer.
 * - `Backchannel` (driver): an `RtspClient` for the control connection, one timer at the sender's
 *   next due time, and the UDP socket pair when talking over UDP.
 *
 * Dahua cameras expose the backchannel on `/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif`
 * (`dahuaBackchannelUrl`) and accept one talking client at a time: a second backchannel SETUP is
 * refused (with 503 or 453 Not Enough Bandwidth; both are mapped): that refusal becomes RTSP_BACKCHANNEL_BUSY.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { ProtocolError } from '../errors.js';
import { RTP_HEADER_SIZE, writeRtpHeader } from '../rtp/rtp-packet.js';
import { unixMsToNtp } from '../rtp/onvif-replay.js';
import { AacPacketizer } from '../codec/aac/packetizer.js';
import { parseRtspUrl } from '../rtsp/url.js';
import { RtspClient, type RtspClientOptions, type RtspTrack } from './rtsp-client.js';

export const BACKCHANNEL_REQUIREMENT = 'www.onvif.org/ver20/backchannel';

export type TalkCodec = 'pcmu' | 'pcma' | 'aac';

export interface BackchannelSenderOptions {
  codec: TalkCodec;
  payloadType: number;
  /** RTP clock rate (8000 for G.711; the AAC sample rate). */
  clockRate: number;
  /** G.711 channels (default 1). */
  channels?: number;
  /** Default random (RFC 3550 §8). */
  ssrc?: number;
  /** G.711 packet duration (default 20 ms, RFC 3551 §4.2). */
  packetMs?: number;
  /** Samples per AAC frame (default 1024). */
  aacFrameLength?: number;
  /** Audio buffered ahead of the pacing before `push` reports backpressure (default 1000 ms). */
  maxBufferedMs?: number;
}

export interface BackchannelSenderStats {
  packets: number;
  octets: number;
  /** Times the input ran dry while talking (a new talkspurt followed, RFC 3551 §4.1 marker). */
  underruns: number;
}

/**
 * Sans-IO pacer and packetizer for one backchannel track. `push` G.711 bytes (or `pushAacFrame`
 * raw AAC frames), then call `poll(now)` at `nextDueAt`: it returns the RTP packets due by `now`,
 * each 20 ms of audio due 20 ms after the one before. When the input runs dry the next packet starts
 * a new talkspurt (marker bit) with an RTP timestamp that kept counting real time, so the camera's
 * jitter buffer stays aligned.
 */
export class BackchannelSender {
  readonly codec: TalkCodec;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly ssrc: number;
  readonly stats: BackchannelSenderStats = { packets: 0, octets: 0, underruns: 0 };
  private readonly channels: number;
  private readonly samplesPerPacket: number;
  private readonly packetMs: number;
  private readonly maxBufferedMs: number;
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  private buffered = 0;
  private readonly aac: AacPacketizer | undefined;
  private readonly aacFrames: Uint8Array[] = [];
  private seq = randomBytes(2).readUInt16BE(0);
  private ts = randomBytes(4).readUInt32BE(0);
  /** When the next packet is due (ms on the caller's clock); undefined before the first. */
  private dueAt: number | undefined;
  private marker = true;
  private ended = false;

  constructor(o: BackchannelSenderOptions) {
    this.codec = o.codec;
    this.payloadType = o.payloadType;
    this.clockRate = o.clockRate;
    if (!(o.clockRate > 0)) throw new ProtocolError('INVALID_ARGUMENT', `clock rate ${o.clockRate}`);
    this.channels = Math.max(1, o.channels ?? 1);
    this.ssrc = (o.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.maxBufferedMs = o.maxBufferedMs ?? 1000;
    if (o.codec === 'aac') {
      const frameLength = o.aacFrameLength ?? 1024;
      this.samplesPerPacket = frameLength;
      this.packetMs = (frameLength * 1000) / o.clockRate;
      this.aac = new AacPacketizer({ payloadType: o.payloadType, ssrc: this.ssrc, initialSequenceNumber: this.seq, frameLength, maxFramesPerPacket: 1 });
    } else {
      this.packetMs = o.packetMs ?? 20;
      this.samplesPerPacket = Math.round((o.clockRate * this.packetMs) / 1000);
      if (this.samplesPerPacket < 1) throw new ProtocolError('INVALID_ARGUMENT', `packet of ${this.packetMs} ms`);
    }
  }

  /** Audio queued and not yet sent, in ms. */
  get bufferedMs(): number {
    if (this.aac) return this.aacFrames.length * this.packetMs;
    return (this.buffered / this.channels / this.clockRate) * 1000;
  }

  /** True when more input would go over `maxBufferedMs` (wait for `poll` to drain some). */
  get full(): boolean {
    return this.bufferedMs >= this.maxBufferedMs;
  }

  /** Queues G.711 bytes (kept by reference until sent: do not reuse the buffer). Returns `!full`. */
  push(samples: Uint8Array): boolean {
    if (this.aac) throw new ProtocolError('INVALID_ARGUMENT', 'an AAC backchannel takes frames: pushAacFrame()');
    if (this.ended) throw new ProtocolError('INVALID_STATE', 'push() after end()');
    if (samples.length > 0) {
      this.chunks.push(samples);
      this.buffered += samples.length;
    }
    return !this.full;
  }

  /** Queues one raw AAC frame (no ADTS header). Returns `!full`. */
  pushAacFrame(frame: Uint8Array): boolean {
    if (!this.aac) throw new ProtocolError('INVALID_ARGUMENT', 'a G.711 backchannel takes samples: push()');
    if (this.ended) throw new ProtocolError('INVALID_STATE', 'pushAacFrame() after end()');
    this.aacFrames.push(frame);
    return !this.full;
  }

  /** No more input: a last short packet is sent, then `idle` becomes true. */
  end(): void {
    this.ended = true;
  }

  /** Nothing left to send. */
  get idle(): boolean {
    return this.aac ? this.aacFrames.length === 0 : this.buffered === 0;
  }

  /** When `poll` has something to send (Infinity when the queue is empty). */
  get nextDueAt(): number {
    if (this.idle) return Number.POSITIVE_INFINITY;
    if (!this.aac && !this.ended && this.buffered < this.samplesPerPacket * this.channels) return Number.POSITIVE_INFINITY;
    return this.dueAt ?? Number.NEGATIVE_INFINITY;
  }

  /** The RTP packets due by `now` (whole packets; a short one only after `end()`). */
  poll(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.nextDueAt > now) break;
      if (this.dueAt === undefined || now - this.dueAt > Math.max(200, 4 * this.packetMs)) {
        // First packet, or the input ran dry for a while: a new talkspurt starting now, its RTP
        // timestamp advanced by the real time that passed.
        if (this.dueAt !== undefined) {
          this.stats.underruns++;
          this.ts = (this.ts + Math.round(((now - this.dueAt) * this.clockRate) / 1000)) >>> 0;
        }
        this.dueAt = now;
        this.marker = true;
      }
      const pkt = this.aac ? this.nextAac() : this.nextG711();
      out.push(pkt);
      this.stats.packets++;
      this.stats.octets += pkt.length - RTP_HEADER_SIZE;
      this.dueAt += this.packetMs;
    }
    return out;
  }

  private nextG711(): Uint8Array {
    const want = Math.min(this.samplesPerPacket * this.channels, this.buffered);
    const pkt = new Uint8Array(RTP_HEADER_SIZE + want);
    let o = RTP_HEADER_SIZE;
    while (o < pkt.length) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length - this.head, pkt.length - o);
      pkt.set(c.subarray(this.head, this.head + n), o);
      o += n;
      this.head += n;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.buffered -= want;
    writeRtpHeader(pkt, 0, { marker: this.marker, payloadType: this.payloadType, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc });
    this.marker = false;
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + want / this.channels) >>> 0;
    return pkt;
  }

  private nextAac(): Uint8Array {
    const p = this.aac!;
    p.sequenceNumber = this.seq;
    const [pkt] = p.packetize([this.aacFrames.shift()!], this.ts);
    this.seq = p.sequenceNumber;
    this.ts = (this.ts + this.samplesPerPacket) >>> 0;
    return pkt!;
  }

  /**
   * An RTCP SR (RFC 3550 §6.4.1) plus SDES CNAME (§6.5): the RTP time of `now` paired with
   * `wallMs`, the wall-clock time of the same instant.
   */
  senderReport(now: number, wallMs: number, cname = 'camstream'): Uint8Array {
    const rtpNow = this.dueAt === undefined ? this.ts : (this.ts - Math.round(((this.dueAt - now) * this.clockRate) / 1000)) >>> 0;
    const name = Buffer.from(cname, 'utf8').subarray(0, 255);
    const sdesLen = (8 + 2 + name.length + 1 + 3) & ~3;
    const out = Buffer.alloc(28 + sdesLen);
    out[0] = 0x80;
    out[1] = 200;
    out.writeUInt16BE(6, 2);
    out.writeUInt32BE(this.ssrc, 4);
    const [sec, frac] = unixMsToNtp(wallMs);
    out.writeUInt32BE(sec, 8);
    out.writeUInt32BE(frac, 12);
    out.writeUInt32BE(rtpNow >>> 0, 16);
    out.writeUInt32BE(this.stats.packets >>> 0, 20);
    out.writeUInt32BE(this.stats.octets >>> 0, 24);
    out[28] = 0x81;
    out[29] = 202;
    out.writeUInt16BE(sdesLen / 4 - 1, 30);
    out.writeUInt32BE(this.ssrc, 32);
    out[36] = 1;
    out[37] = name.length;
    name.copy(out, 38);
    return out;
  }

  /** RTCP BYE (RFC 3550 §6.6) for this source. */
  bye(): Uint8Array {
    const out = Buffer.alloc(8);
    out[0] = 0x81;
    out[1] = 203;
    out.writeUInt16BE(1, 2);
    out.writeUInt32BE(this.ssrc, 4);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// driver

export interface BackchannelOptions extends Omit<RtspClientOptions, 'transport'> {
  /** How the audio travels: TCP interleaved on the RTSP connection (default) or UDP. */
  talkTransport?: 'tcp' | 'udp';
  /** Codecs we are willing to send, in preference order (default PCMU, PCMA, AAC). */
  codecs?: readonly TalkCodec[];
  /** G.711 packet duration (default 20 ms). */
  packetMs?: number;
  /** RTCP sender report interval (default 5000 ms; RFC 3550 §6.2). */
  senderReportIntervalMs?: number;
  /** Audio queued ahead before `sendAudio` waits (default 1000 ms). */
  maxBufferedMs?: number;
}

const STATIC_PT: Record<number, TalkCodec> = { 0: 'pcmu', 8: 'pcma' };

function codecOfPt(track: RtspTrack, pt: number): { codec: TalkCodec; clockRate: number; channels: number } | undefined {
  const map = track.media.rtpmaps.get(pt);
  const enc = map?.encoding.toLowerCase();
  const codec = enc === 'pcmu' ? 'pcmu' : enc === 'pcma' ? 'pcma' : enc === 'mpeg4-generic' ? 'aac' : map === undefined ? STATIC_PT[pt] : undefined;
  if (!codec) return undefined;
  return { codec, clockRate: map?.clockRate ?? 8000, channels: map?.channels ?? 1 };
}

/** The Dahua ONVIF backchannel URL: `/cam/realmonitor?channel=N&subtype=0&unicast=true&proto=Onvif`. */
export function dahuaBackchannelUrl(camera: string, channel = 1): string {
  const u = parseRtspUrl(camera);
  const user = u.username !== undefined ? `${encodeURIComponent(u.username)}${u.password !== undefined ? `:${encodeURIComponent(u.password)}` : ''}@` : '';
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.scheme}://${user}${host}${u.explicitPort ? `:${u.port}` : ''}/cam/realmonitor?channel=${channel}&subtype=0&unicast=true&proto=Onvif`;
}

/**
 * A talking session: `await Backchannel.open(url)`, then `sendAudio(bytes)` (or pipe into
 * `writable()`), `finish()` to let the queued audio play out, `close()` to hang up.
 */
export class Backchannel {
  readonly client: RtspClient;
  readonly track: RtspTrack;
  readonly sender: BackchannelSender;
  readonly transport: 'tcp' | 'udp';
  private timer: NodeJS.Timeout | undefined;
  private nextSrAt = 0;
  private readonly srEvery: number;
  private waiters: (() => void)[] = [];
  private udp: { rtp: UdpSocket; rtcp: UdpSocket; host: string; rtpPort: number; rtcpPort: number } | undefined;
  private closed = false;

  private constructor(client: RtspClient, track: RtspTrack, sender: BackchannelSender, transport: 'tcp' | 'udp', srEvery: number) {
    this.client = client;
    this.track = track;
    this.sender = sender;
    this.transport = transport;
    this.srEvery = srEvery;
  }

  get codec(): TalkCodec {
    return this.sender.codec;
  }

  /** DESCRIBE with the backchannel requirement, SETUP of the `sendonly` audio track, PLAY. */
  static async open(url: string, options: BackchannelOptions = {}): Promise<Backchannel> {
    const require = [...new Set([...(options.require ?? []), BACKCHANNEL_REQUIREMENT])];
    // Nothing comes back on a talk-only session: the receive timeouts would end it.
    const { talkTransport, codecs, packetMs, senderReportIntervalMs, maxBufferedMs, ...clientOptions } = options;
    // The control connection's mode is 'tcp': the talk track's own transport is set up below, and
    // 'auto' would take the silence of a talk-only session for a blocked UDP path.
    const client = new RtspClient(url, { idleTimeoutMs: 0, frameTimeoutMs: 0, ...clientOptions, transport: 'tcp', require });
    try {
      const desc = await client.describe();
      const track = desc.tracks.find((t) => t.type === 'audio' && t.media.direction === 'sendonly');
      if (!track) {
        throw new ProtocolError('RTSP_UNSUPPORTED', `${client.redactedUrl}: no backchannel offered (no a=sendonly audio track in the SDP; the server may not support Require: ${BACKCHANNEL_REQUIREMENT})`, {
          context: { url: client.redactedUrl },
        });
      }
      const prefs = codecs ?? ['pcmu', 'pcma', 'aac'];
      let pick: { pt: number; codec: TalkCodec; clockRate: number; channels: number } | undefined;
      for (const want of prefs) {
        for (const pt of track.media.payloadTypes) {
          const c = codecOfPt(track, pt);
          if (c?.codec === want) {
            pick = { pt, ...c };
            break;
          }
        }
        if (pick) break;
      }
      if (!pick) {
        throw new ProtocolError('RTSP_UNSUPPORTED', `${client.redactedUrl}: the backchannel takes payload types ${track.media.payloadTypes.join(', ')}, none of ${prefs.join(', ')}`, { context: { url: client.redactedUrl } });
      }
      // The session's track describes what we send.
      Object.assign(track, { payloadType: pick.pt, codec: pick.codec, clockRate: pick.clockRate, channels: pick.channels, supported: true, fmtp: track.media.fmtps.get(pick.pt) ?? {} });
      const transport = talkTransport ?? 'tcp';
      let udp: Backchannel['udp'];
      try {
        if (transport === 'udp') {
          const pair = await bindPair();
          udp = { ...pair, host: parseRtspUrl(url).host, rtpPort: 0, rtcpPort: 0 };
          await client.rtsp.setup(track.index, Date.now(), { kind: 'udp', clientPort: [pair.rtp.address().port, pair.rtcp.address().port] });
          const sp = track.transport?.serverPort;
          if (!sp) throw new ProtocolError('RTSP_BAD_TRANSPORT', 'the backchannel SETUP answer has no server_port', { context: { url: client.redactedUrl } });
          udp.rtpPort = sp[0];
          udp.rtcpPort = sp[1];
          if (track.transport?.source) udp.host = track.transport.source;
        } else {
          await client.rtsp.setup(track.index, Date.now(), { kind: 'interleaved' });
        }
      } catch (e) {
        udp?.rtp.close();
        udp?.rtcp.close();
        throw busy(e, client.redactedUrl);
      }
      await client.play();
      const sender = new BackchannelSender({
        codec: pick.codec,
        payloadType: pick.pt,
        clockRate: pick.clockRate,
        channels: pick.channels,
        packetMs,
        maxBufferedMs,
      });
      const bc = new Backchannel(client, track, sender, transport, senderReportIntervalMs ?? 5000);
      bc.udp = udp;
      client.once('close', () => bc.release());
      return bc;
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  /**
   * Queues G.711 bytes (µ-law or A-law as the camera asked: see `codec`). Resolves once the queue is
   * below `maxBufferedMs`, so a producer that awaits it is paced by the camera's real time.
   */
  async sendAudio(samples: Uint8Array): Promise<void> {
    this.check();
    const room = this.sender.push(samples);
    this.schedule();
    if (!room) await this.room();
  }

  /** Queues one raw AAC frame (AAC backchannels). */
  async sendAacFrame(frame: Uint8Array): Promise<void> {
    this.check();
    const room = this.sender.pushAacFrame(frame);
    this.schedule();
    if (!room) await this.room();
  }

  /** A Writable for `pipeline(source, bc.writable())`: G.711 bytes in; ends with `finish()`. */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.sendAudio(new Uint8Array(chunk)).then(() => cb(), cb);
      },
      final: (cb) => {
        this.finish().then(() => cb(), cb);
      },
    });
  }

  /** Sends what is queued (the last packet may be short) and resolves when all of it went out. */
  async finish(): Promise<void> {
    this.sender.end();
    this.schedule();
    while (!this.sender.idle && !this.closed) await this.room();
  }

  /** RTCP BYE, TEARDOWN, sockets and the timer released. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed && this.client.state !== 'closed') this.sendRtcp(this.sender.bye());
    this.release();
    await this.client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private check(): void {
    if (this.closed || this.client.state === 'closed') {
      throw this.client.endError ?? new ProtocolError('CONNECTION_CLOSED', 'the backchannel is closed', { context: { url: this.client.redactedUrl } });
    }
  }

  private room(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const at = this.sender.nextDueAt;
    if (!Number.isFinite(at) && at > 0) return;
    this.timer = setTimeout(() => this.pump(), Math.max(0, at - Date.now()));
  }

  private pump(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = Date.now();
    if (now >= this.nextSrAt && this.sender.stats.packets > 0) {
      this.sendRtcp(this.sender.senderReport(now, now));
      this.nextSrAt = now + this.srEvery;
    }
    for (const p of this.sender.poll(now)) this.sendRtp(p);
    if (this.nextSrAt === 0) this.nextSrAt = now;
    if (!this.sender.full || this.sender.idle) this.wake();
    this.schedule();
  }

  private sendRtp(p: Uint8Array): void {
    if (this.udp) this.udp.rtp.send(p, this.udp.rtpPort, this.udp.host);
    else if (this.track.rtpChannel !== undefined) this.client.rtsp.sendInterleaved(this.track.rtpChannel, p);
  }

  private sendRtcp(p: Uint8Array): void {
    if (this.udp) this.udp.rtcp.send(p, this.udp.rtcpPort, this.udp.host);
    else if (this.track.rtcpChannel !== undefined) this.client.rtsp.sendInterleaved(this.track.rtcpChannel, p);
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.udp?.rtp.close();
    this.udp?.rtcp.close();
    this.wake();
  }
}

/** A refused backchannel SETUP (Dahua: one talking client at a time) as RTSP_BACKCHANNEL_BUSY. */
function busy(e: unknown, url: string): unknown {
  if (!(e instanceof ProtocolError) || e.code !== 'RTSP_STATUS') return e;
  const status = e.context['status'];
  if (status !== 503 && status !== 453) return e;
  return new ProtocolError('RTSP_BACKCHANNEL_BUSY', `${url}: the camera refused the backchannel (${status}): it takes one talking client at a time and another one is talking`, {
    context: { ...e.context },
    cause: e,
  });
}

/** An even RTP port and the odd one after it (RFC 3550 §11), retried a few times. */
async function bindPair(): Promise<{ rtp: UdpSocket; rtcp: UdpSocket }> {
  const bind = (s: UdpSocket, port: number): Promise<boolean> =>
    new Promise((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, () => resolve(true));
    });
  for (let i = 0; i < 16; i++) {
    const rtp = createSocket('udp4');
    if (!(await bind(rtp, 0))) {
      rtp.close();
      continue;
    }
    const port = rtp.address().port;
    if (port % 2 === 1 || port === 65534) {
      rtp.close();
      continue;
    }
    const rtcp = createSocket('udp4');
    if (await bind(rtcp, port + 1)) {
      rtp.on('error', () => undefined);
      rtcp.on('error', () => undefined);
      return { rtp, rtcp };
    }
    rtp.close();
    rtcp.close();
  }
  throw new ProtocolError('INVALID_ARGUMENT', 'no even/odd UDP port pair could be bound');
}
