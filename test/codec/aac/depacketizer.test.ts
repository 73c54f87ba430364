import { describe, expect, it } from 'vitest';
import { AacDepacketizer, type AacDepacketizerOptions } from '../../../src/codec/aac/depacketizer.js';
import { AacPacketizer } from '../../../src/codec/aac/packetizer.js';
import { parseAudioSpecificConfig, parseMpeg4GenericFmtp } from '../../../src/codec/aac/config.js';
import type { AudioAccessUnit } from '../../../src/codec/g711/depacketizer.js';
import type { ProtocolError } from '../../../src/errors.js';
import { RtpPacketView, RtpStatus } from '../../../src/rtp/rtp-packet.js';
import { hex } from '../h264/support.js';
import { AAC_CORPUS, AAC_FMTP, adtsFrames } from './support.js';

class Collect {
  units: AudioAccessUnit[] = [];
  errors: ProtocolError[] = [];
  onUnit = (u: AudioAccessUnit): void => void this.units.push(u);
  onError = (e: ProtocolError): void => void this.errors.push(e);
}

function run(packets: Uint8Array[], opts: AacDepacketizerOptions = {}): Collect {
  const c = new Collect();
  const d = new AacDepacketizer(c, { fmtp: AAC_FMTP, ...opts });
  const v = new RtpPacketView();
  for (const p of packets) {
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
  d.flush();
  return c;
}

const frames = adtsFrames(AAC_CORPUS);

describe('AudioSpecificConfig and fmtp', () => {
  it('AAC LC 16 kHz mono from config=1408 (GStreamer / corpus)', () => {
    expect(parseAudioSpecificConfig(new Uint8Array([0x14, 0x08]))).toMatchObject({ objectType: 2, sampleRateIndex: 8, sampleRate: 16000, channels: 1, frameLength: 1024 });
  });
  it('explicit sample rate, 960-sample frames, escaped object type, HE-AAC', () => {
    // AOT 2, index 15, rate 22050 (24 bits), channels 2, frameLengthFlag 1
    const bits = '00010' + '1111' + (22050).toString(2).padStart(24, '0') + '0010' + '1' + '00';
    const bytes = new Uint8Array(Math.ceil(bits.length / 8));
    for (let i = 0; i < bits.length; i++) if (bits[i] === '1') bytes[i >> 3]! |= 0x80 >> (i & 7);
    expect(parseAudioSpecificConfig(bytes)).toMatchObject({ objectType: 2, sampleRateIndex: 15, sampleRate: 22050, channels: 2, frameLength: 960 });
    // SBR (5), 24 kHz core, stereo, extension 48 kHz, then AOT 2: 00101 0110 0010 0011 00010
    expect(parseAudioSpecificConfig(new Uint8Array([0x2b, 0x11, 0x88, 0x00]))).toMatchObject({ objectType: 2, sampleRate: 24000, extensionSampleRate: 48000, channels: 2 });
  });
  it('bad config and lengths are AAC_BAD_CONFIG', () => {
    expect(() => parseAudioSpecificConfig(new Uint8Array([0x17, 0x80]))).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
    expect(() => parseMpeg4GenericFmtp({ config: 'zz' })).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
    expect(() => parseMpeg4GenericFmtp({ SizeLength: '99' })).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
    expect(parseMpeg4GenericFmtp({ SizeLength: '6', IndexLength: '2' })).toMatchObject({ sizeLength: 6, indexLength: 2, indexDeltaLength: 3 });
  });
});

describe('AacPacketizer + AacDepacketizer round trips', () => {
  const CASES = [
    { name: 'several AUs per packet', max: 1400, maxFrames: 64 },
    { name: 'one AU per packet', max: 1400, maxFrames: 1 },
    { name: 'fragmented AUs (small packets)', max: 40, maxFrames: 8 },
  ];
  for (const tc of CASES) {
    it(`${tc.name}: raw frames identical, timestamps +1024 each, ADTS output identical to the corpus`, () => {
      const p = new AacPacketizer({ maxPayloadSize: tc.max, maxFramesPerPacket: tc.maxFrames, initialSequenceNumber: 65530 });
      const raw = frames.map((f) => f.raw);
      const packets = p.packetize(raw, 0xfffff000);
      const before = packets.map(hex);
      if (tc.max === 40) expect(packets.length).toBeGreaterThan(frames.length);
      if (tc.maxFrames === 64) expect(packets.length).toBeLessThan(frames.length);
      const c = run(packets);
      expect(c.errors).toEqual([]);
      expect(c.units.map((u) => hex(u.data))).toEqual(raw.map(hex));
      expect(c.units.map((u) => u.timestamp)).toEqual(raw.map((_, i) => (0xfffff000 + i * 1024) >>> 0));
      expect(c.units.every((u) => u.sampleRate === 16000 && u.channels === 1 && u.sampleCount === 1024 && u.codec === 'aac')).toBe(true);
      expect(packets.map(hex)).toEqual(before);
      const a = run(packets, { output: 'adts' });
      expect(a.units.map((u) => hex(u.data))).toEqual(frames.map((f) => hex(f.adts)));
    });
  }

  it('a lost fragment drops only that AU (AAC_FRAGMENT_LOST), the next unit has discontinuity', () => {
    const p = new AacPacketizer({ maxPayloadSize: 40, initialSequenceNumber: 1 });
    const raw = frames.slice(0, 6).map((f) => f.raw);
    const packets = p.packetize(raw, 0);
    // drop the second packet: a middle fragment of frame 0 (frames are > 36 bytes)
    const c = run(packets.filter((_, i) => i !== 1));
    expect(c.errors.map((e) => e.code)).toEqual(['AAC_FRAGMENT_LOST']);
    expect(c.units.map((u) => u.timestamp)).toEqual([1024, 2048, 3072, 4096, 5120]);
    expect(c.units[0]!.discontinuity).toBe(true);
    expect(c.units.slice(1).every((u) => !u.discontinuity)).toBe(true);
  });

  it('AU index deltas advance the timestamp; CTS/DTS/RAP fields are skipped', () => {
    // sizelength 13, indexdelta 3, ctsdelta 4 (flag + value when flag), randomaccessindication: 2 AUs.
    const c = new Collect();
    const d = new AacDepacketizer(c, { fmtp: { mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3', ctsdeltalength: '4', randomaccessindication: '1' } });
    // header 1: size 2 | idx 0 | cts-flag 0 | rap 1 = 13+3+1+1 = 18 bits
    // header 2: size 3 | delta 1 | cts-flag 1 + 4 bits | rap 0 = 13+3+5+1 = 22 bits; total 40 bits = 5 bytes
    const bits = (2).toString(2).padStart(13, '0') + '000' + '0' + '1' + (3).toString(2).padStart(13, '0') + '001' + '1' + '0101' + '0';
    const hdr = new Uint8Array(5);
    for (let i = 0; i < bits.length; i++) if (bits[i] === '1') hdr[i >> 3]! |= 0x80 >> (i & 7);
    d.push({ payload: new Uint8Array([0, 40, ...hdr, 0xa1, 0xa2, 0xb1, 0xb2, 0xb3]), marker: true, timestamp: 100, sequenceNumber: 1 });
    expect(c.errors).toEqual([]);
    expect(c.units.map((u) => [u.timestamp, hex(u.data)])).toEqual([
      [100, 'a1a2'],
      [100 + 2 * 1024, 'b1b2b3'],
    ]);
  });

  it('malformed packets give AAC_BAD_PAYLOAD and no units', () => {
    const c = new Collect();
    const d = new AacDepacketizer(c, { fmtp: AAC_FMTP });
    const bad = [[0], [0, 16], [0, 200, 1, 2], [0, 16, 0xff, 0xf8, 1, 2], [0, 0, 1, 2]];
    bad.forEach((b, i) => d.push({ payload: new Uint8Array(b), marker: true, timestamp: i * 1024, sequenceNumber: i }));
    expect(c.units).toEqual([]);
    // [0, 16, ff, f8, ...] announces an 8191-byte AU: a fragment, dropped when the next packet is bad.
    expect(c.errors.map((e) => e.code)).toEqual(['AAC_BAD_PAYLOAD', 'AAC_BAD_PAYLOAD', 'AAC_BAD_PAYLOAD', 'AAC_FRAGMENT_LOST', 'AAC_BAD_PAYLOAD']);
  });

  it('ADTS output without a usable config is refused at construction', () => {
    expect(() => new AacDepacketizer(new Collect(), { fmtp: { mode: 'AAC-hbr', sizelength: '13' }, output: 'adts' })).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
  });
});
