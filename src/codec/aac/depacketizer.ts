/**
 * AAC RTP depacketizer for `mpeg4-generic` (RFC 3640), AAC-hbr and any mode whose AU header section
 * is described by the fmtp lengths. One AudioAccessUnit per AAC frame (raw, or with an ADTS header).
 *
 * Payload (§3.2):
 * ```
 * +----------------------+----------------+----------+---------------------+
 * | AU-headers-length 16 | AU-header ...  | pad to 8 | [auxiliary section] | AU(1) AU(2) ... AU(n)
 * +----------------------+----------------+----------+---------------------+
 * AU-headers-length is in BITS. AU-header (§3.2.1.1), each field present when its length > 0:
 *   AU-size (sizelength) | AU-Index (indexlength, 1st) / AU-Index-delta (indexdeltalength, others)
 *   | [CTS-flag 1 [CTS-delta]] | [DTS-flag 1 [DTS-delta]] | [RAP-flag 1] | [Stream-state]
 * AAC-hbr (§3.3.6): sizelength=13, indexlength=3, indexdeltalength=3.
 * ```
 * Timestamps: the RTP timestamp is the first AU's; AU k of the packet gets
 * `ts + (sum of (index-delta + 1)) * frameLength` (frameLength 1024, 960 per the config).
 *
 * Fragmentation (§3.2.3): an AU larger than the packet is sent as fragments, each packet holding one
 * AU-header whose AU-size is the WHOLE AU, the last fragment with the marker bit. The fragments are
 * copied into one exact-size buffer; a sequence gap, a timestamp change or a size mismatch inside a
 * fragmented AU drops it with AAC_FRAGMENT_LOST (an incomplete AAC frame is never delivered, in
 * either loss mode). The unit after any loss has `discontinuity: true`.
 */
import { ProtocolError } from '../../errors.js';
import { DepacketizerBase } from '../depacketizer-base.js';
import { OLD_PACKET, SequenceGap } from '../sequence-gap.js';
import type { AccessUnitSink, AudioAccessUnit, DepacketizerStats, LossMode } from '../types.js';
import { parseAudioSpecificConfig, parseMpeg4GenericFmtp, writeAdtsHeader, adtsCompatible, type AudioSpecificConfig, type Mpeg4GenericParams } from './config.js';
import { copyBytes } from '../../bytes/copy.js';

export interface AacDepacketizerOptions {
  /** The SDP fmtp map (mode, sizelength, indexlength, indexdeltalength, config, ...). */
  fmtp?: Record<string, string>;
  /** rtpmap clock rate, used when the config is missing (default 48000... the config wins). */
  clockRate?: number;
  /** rtpmap channels, used when the config is missing. */
  channels?: number;
  /** 'raw' (default): raw_data_block bytes. 'adts': each unit prefixed with a 7-byte ADTS header. */
  output?: 'raw' | 'adts';
  /** Accepted for symmetry with video; lossy AAC frames are always dropped (see above). */
  lossMode?: LossMode;
  /** Cap on one AU (AU_TOO_LARGE above it). Default 1 MiB. */
  maxAccessUnitSize?: number;
  context?: Record<string, string | number>;
}

export type AacDepacketizerStats = DepacketizerStats;

export class AacDepacketizer extends DepacketizerBase {
  readonly stats: AacDepacketizerStats = { packets: 0, units: 0, droppedUnits: 0, lostPackets: 0, oldPackets: 0, errors: 0 };
  readonly params: Mpeg4GenericParams;
  readonly config: AudioSpecificConfig | undefined;
  readonly sampleRate: number;
  readonly channels: number;
  readonly frameLength: number;

  private readonly sink: AccessUnitSink<AudioAccessUnit>;
  private readonly adts: boolean;
  private readonly maxAu: number;
  private readonly ctx: Record<string, string | number>;
  private readonly headered: boolean;
  private readonly seqGap = new SequenceGap(this.stats);
  private disc = false;
  // Fragmented AU in progress.
  private frag: Uint8Array | undefined;
  private fragFill = 0;
  private fragTs = 0;
  private fragSeq = 0;
  private skipping = false;
  private skipTs = 0;
  /** Scratch for one packet's AU sizes and timestamp offsets (in frames). */
  private readonly sizes: number[] = [];
  private readonly offs: number[] = [];

  /** Throws AAC_BAD_CONFIG when the fmtp or its config cannot be used. */
  constructor(sink: AccessUnitSink<AudioAccessUnit>, opts: AacDepacketizerOptions = {}) {
    super();
    this.sink = sink;
    this.params = parseMpeg4GenericFmtp(opts.fmtp ?? {});
    this.config = this.params.config ? parseAudioSpecificConfig(this.params.config) : undefined;
    this.sampleRate = this.config?.sampleRate ?? opts.clockRate ?? 48000;
    this.channels = this.config?.channels || (opts.channels ?? 1);
    this.frameLength = this.config?.frameLength ?? 1024;
    this.adts = opts.output === 'adts';
    if (this.adts && !(this.config && adtsCompatible(this.config))) throw new ProtocolError('AAC_BAD_CONFIG', 'ADTS output needs an AAC Main/LC/SSR/LTP config with an indexed sample rate');
    this.maxAu = opts.maxAccessUnitSize ?? 1024 * 1024;
    this.ctx = opts.context ?? {};
    const p = this.params;
    this.headered = p.sizeLength + p.indexLength + p.indexDeltaLength + p.ctsDeltaLength + p.dtsDeltaLength + p.streamStateIndication > 0 || p.randomAccessIndication;
    if (this.headered && p.sizeLength === 0) throw new ProtocolError('AAC_BAD_CONFIG', 'AU headers without AU-size (constantsize mode) are not supported');
  }

  override pushPayload(buf: Uint8Array, start: number, end: number, timestamp: number, marker: boolean, seq: number, lost?: number): void {
    const gap = this.seqGap.next(seq, lost);
    if (gap !== 0) {
      if (gap === OLD_PACKET) return;
      this.disc = true;
      if (this.frag) {
        // The rest of this AU's fragments are skipped quietly: already reported.
        this.skipTs = this.fragTs;
        this.skipping = true;
        this.dropFrag('packets lost inside a fragmented AU');
      }
    }
    timestamp >>>= 0;
    if (this.frag && timestamp !== this.fragTs) this.dropFrag('timestamp changed inside a fragmented AU');
    if (!this.headered) {
      if (end > start) this.emit(buf, start, end, timestamp, seq);
      return;
    }
    this.packet(buf, start, end, timestamp, marker, seq);
  }

  override flush(): void {
    if (this.frag) this.dropFrag('stream ended inside a fragmented AU');
  }

  override reset(): void {
    this.frag = undefined;
    this.skipping = false;
    this.seqGap.reset();
    this.disc = true;
  }

  private packet(buf: Uint8Array, s: number, e: number, ts: number, marker: boolean, seq: number): void {
    const p = this.params;
    if (e - s < 2) return this.bad('payload shorter than AU-headers-length', buf, s, e, seq);
    const hdrBits = (buf[s]! << 8) | buf[s + 1]!;
    const hdrStart = (s + 2) * 8;
    const hdrEnd = hdrStart + hdrBits;
    let dataAt = s + 2 + ((hdrBits + 7) >> 3);
    if (dataAt > e) return this.bad(`AU-headers-length ${hdrBits} bits runs past the packet`, buf, s, e, seq);
    // AU headers.
    const sizes = this.sizes;
    const offs = this.offs;
    sizes.length = 0;
    offs.length = 0;
    let bit = hdrStart;
    let off = 0;
    while (bit < hdrEnd) {
      const first = sizes.length === 0;
      const need = p.sizeLength + (first ? p.indexLength : p.indexDeltaLength);
      if (bit + need > hdrEnd) return this.bad('AU header truncated', buf, s, e, seq);
      const size = readBits(buf, bit, p.sizeLength);
      bit += p.sizeLength;
      if (first) bit += p.indexLength;
      else {
        off += readBits(buf, bit, p.indexDeltaLength) + 1;
        bit += p.indexDeltaLength;
      }
      if (p.ctsDeltaLength > 0 && bit < hdrEnd) bit += readBits(buf, bit, 1) ? 1 + p.ctsDeltaLength : 1;
      if (p.dtsDeltaLength > 0 && bit < hdrEnd) bit += readBits(buf, bit, 1) ? 1 + p.dtsDeltaLength : 1;
      if (p.randomAccessIndication) bit += 1;
      bit += p.streamStateIndication;
      if (bit > hdrEnd) return this.bad('AU header truncated', buf, s, e, seq);
      sizes.push(size);
      offs.push(off);
      if (sizes.length > 4096) return this.bad('more than 4096 AU headers', buf, s, e, seq);
    }
    if (p.auxiliaryDataSizeLength > 0) {
      // §3.2.2: auxiliary-data-size then the data, padded to a byte; skipped.
      const at = dataAt * 8;
      if (at + p.auxiliaryDataSizeLength > e * 8) return this.bad('auxiliary section truncated', buf, s, e, seq);
      const auxBits = readBits(buf, at, p.auxiliaryDataSizeLength);
      dataAt += (p.auxiliaryDataSizeLength + auxBits + 7) >> 3;
      if (dataAt > e) return this.bad('auxiliary section runs past the packet', buf, s, e, seq);
    }
    const avail = e - dataAt;
    if (sizes.length === 0) return this.bad('no AU header', buf, s, e, seq);
    // A fragment (§3.2.3): one AU header, the AU bigger than what this packet carries.
    if (sizes.length === 1 && (this.frag !== undefined || sizes[0]! > avail)) {
      this.fragment(buf, dataAt, e, sizes[0]!, ts, marker, seq);
      return;
    }
    let total = 0;
    for (const n of sizes) total += n;
    if (total > avail) return this.bad(`AU sizes (${total} bytes) exceed the ${avail} bytes carried`, buf, s, e, seq);
    let at = dataAt;
    for (let k = 0; k < sizes.length; k++) {
      const n = sizes[k]!;
      if (n > 0) this.emit(buf, at, at + n, (ts + offs[k]! * this.frameLength) >>> 0, seq);
      at += n;
    }
  }

  private fragment(buf: Uint8Array, s: number, e: number, size: number, ts: number, marker: boolean, seq: number): void {
    if (!this.frag && this.skipping) {
      this.skipping = false;
      if (ts === this.skipTs) {
        this.skipping = !marker;
        return;
      }
    }
    if (!this.frag) {
      if (size > this.maxAu) {
        this.stats.droppedUnits++;
        this.disc = true;
        this.report(new ProtocolError('AU_TOO_LARGE', `AAC access unit of ${size} bytes over the ${this.maxAu}-byte cap: dropped`, { context: { ...this.ctx, seq, timestamp: ts } }));
        return;
      }
      this.frag = new Uint8Array(size);
      this.fragFill = 0;
      this.fragTs = ts;
      this.fragSeq = seq;
    } else if (this.frag.length !== size) {
      this.dropFrag(`AU-size changed from ${this.frag.length} to ${size} inside a fragmented AU`);
      return;
    }
    const n = e - s;
    if (this.fragFill + n > size) {
      this.dropFrag('fragments longer than the AU-size');
      return;
    }
    this.frag.set(buf.subarray(s, e), this.fragFill);
    this.fragFill += n;
    if (this.fragFill === size) {
      const f = this.frag;
      this.frag = undefined;
      // The unit owns the fragment buffer already: no second copy for raw output.
      this.deliver(this.adts ? this.withAdts(f, 0, f.length) : f, this.fragTs, this.fragSeq);
    } else if (marker) {
      this.dropFrag('marker before the whole AU arrived');
    }
  }

  private emit(buf: Uint8Array, s: number, e: number, ts: number, seq: number): void {
    if (e - s > this.maxAu) {
      this.stats.droppedUnits++;
      this.report(new ProtocolError('AU_TOO_LARGE', `AAC access unit of ${e - s} bytes over the cap`, { context: { ...this.ctx, seq, timestamp: ts } }));
      return;
    }
    // One exact copy: units are "yours to keep".
    this.deliver(this.adts ? this.withAdts(buf, s, e) : copyBytes(buf, s, e), ts, seq);
  }

  private withAdts(buf: Uint8Array, s: number, e: number): Uint8Array {
    const out = new Uint8Array(7 + e - s);
    writeAdtsHeader(out, 0, this.config!, e - s);
    out.set(buf.subarray(s, e), 7);
    return out;
  }

  private deliver(data: Uint8Array, ts: number, seq: number): void {
    const unit: AudioAccessUnit = {
      codec: 'aac',
      timestamp: ts,
      sequenceNumber: seq,
      keyframe: true,
      data,
      loss: false,
      discontinuity: this.disc,
      sampleCount: this.frameLength,
      sampleRate: this.sampleRate,
      channels: this.channels,
    };
    this.disc = false;
    this.stats.units++;
    this.sink.onUnit(unit);
  }

  private dropFrag(reason: string): void {
    const ts = this.fragTs;
    const seq = this.fragSeq;
    this.frag = undefined;
    this.disc = true;
    this.stats.droppedUnits++;
    this.report(new ProtocolError('AAC_FRAGMENT_LOST', `AAC access unit dropped: ${reason}`, { context: { ...this.ctx, timestamp: ts, seq } }));
  }

  private bad(msg: string, buf: Uint8Array, s: number, e: number, seq: number): void {
    if (this.frag) this.dropFrag('bad packet inside a fragmented AU');
    this.disc = true;
    this.report(new ProtocolError('AAC_BAD_PAYLOAD', msg, { context: { ...this.ctx, seq }, bytes: buf.subarray(s, Math.min(e, s + 64)) }));
  }

  private report(err: ProtocolError): void {
    this.stats.errors++;
    this.sink.onError?.(err);
  }
}

/** n (<= 32) bits MSB-first starting at absolute bit `bit` of buf (caller checks bounds). */
function readBits(buf: Uint8Array, bit: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++, bit++) v = v * 2 + ((buf[bit >> 3]! >> (7 - (bit & 7))) & 1);
  return v;
}
