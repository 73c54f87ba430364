/** src/client/depacketizers.ts: codec names and the depacketizer each SDP track gets. */
import { describe, expect, it } from 'vitest';
import { codecOf, createDepacketizer, type DepacketizerSetup } from '../../../src/client/depacketizers.js';
import { H265Depacketizer } from '../../../src/codec/h265/depacketizer.js';
import { G711Depacketizer } from '../../../src/codec/g711/depacketizer.js';
import { AacDepacketizer } from '../../../src/codec/aac/depacketizer.js';
import { JpegDepacketizer } from '../../../src/codec/jpeg/depacketizer.js';
import { H264Depacketizer } from '../../../src/codec/h264/depacketizer.js';
import type { AccessUnit } from '../../../src/codec/types.js';

describe('codecOf', () => {
  it('maps rtpmap encodings case-insensitively and RFC 3551 static payload types', () => {
    expect(['H264', 'h265', 'HEVC', 'pcmu', 'PCMA', 'mpeg4-generic', 'JPEG', 'opus'].map((e) => codecOf(e, 96))).toEqual(['h264', 'h265', 'h265', 'pcmu', 'pcma', 'aac', 'jpeg', undefined]);
    expect([0, 8, 26, 14].map((pt) => codecOf('', pt))).toEqual(['pcmu', 'pcma', 'jpeg', undefined]);
  });
});

describe('createDepacketizer', () => {
  const units: AccessUnit[] = [];
  const infos: unknown[] = [];
  const setup: DepacketizerSetup = { output: 'annexb', lossMode: 'drop', maxAccessUnitSize: undefined, context: {}, onUnit: (u) => units.push(u), onError: () => {}, onInfo: (i) => infos.push(i) };
  const track = (codec: string, fmtp: Record<string, string> = {}, clockRate = 90000) => ({ codec, fmtp, clockRate, channels: undefined });
  it('gives each codec its depacketizer; AAC only for the AAC modes', () => {
    expect(createDepacketizer(track('h264'), setup)).toBeInstanceOf(H264Depacketizer);
    expect(createDepacketizer(track('h265', { 'sprop-max-don-diff': '0' }), setup)).toBeInstanceOf(H265Depacketizer);
    expect(createDepacketizer(track('pcma', {}, 8000), setup)).toBeInstanceOf(G711Depacketizer);
    expect(createDepacketizer(track('aac', { mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3' }, 16000), setup)).toBeInstanceOf(AacDepacketizer);
    expect(createDepacketizer(track('aac', { mode: 'generic' }), setup)).toBeUndefined();
    expect(createDepacketizer(track('jpeg'), setup)).toBeInstanceOf(JpegDepacketizer);
  });
  it('JPEG takes a=x-dimensions and reports the size once', () => {
    const d = createDepacketizer({ ...track('jpeg'), media: { dimensions: { width: 2560, height: 1440 } } }, setup)!;
    const pkt = new Uint8Array([0, 0, 0, 0, 1, 50, 0, 0, 1, 2, 3]);
    d.push({ payload: pkt, marker: true, timestamp: 0, sequenceNumber: 1 });
    d.push({ payload: pkt, marker: true, timestamp: 1, sequenceNumber: 2 });
    expect(units.filter((u) => u.codec === 'jpeg').length).toBe(2);
    expect(infos).toEqual([{ width: 2560, height: 1440 }]);
  });
});
