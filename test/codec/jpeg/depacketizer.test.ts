import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JpegDepacketizer, type JpegDepacketizerOptions } from '../../../src/codec/jpeg/depacketizer.js';
import { JpegPacketizer, parseJpegForRtp } from '../../../src/codec/jpeg/packetizer.js';
import { rfc2435QuantTables } from '../../../src/codec/jpeg/tables.js';
import { RtpPacketView, RtpStatus } from '../../../src/rtp/rtp-packet.js';
import { Collect, hex } from '../h264/support.js';
import { haveFfmpeg, run as runCmd } from '../../support/peers.js';

// Fixtures: corpus/jpeg frames re-encoded by GStreamer jpegenc (libjpeg: Annex K Huffman tables, one
// table per component class), since the corpus files (ffmpeg) use optimised Huffman tables, which
// RFC 2435 cannot carry. Made with:
// gst-launch-1.0 filesrc location=corpus/jpeg/frame-01.jpg ! jpegdec ! videoconvert ! video/x-raw,format=I420 ! jpegenc quality=85 ! filesink location=gst-420-01.jpg
// (frame-04, format=Y42B, quality=50 for gst-422-q50.jpg)
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));
const FILES = ['gst-420-01.jpg', 'gst-420-02.jpg', 'gst-420-03.jpg', 'gst-422-q50.jpg'];

function depack(packets: Uint8Array[], opts: JpegDepacketizerOptions = {}): { d: JpegDepacketizer; c: Collect } {
  const c = new Collect();
  const d = new JpegDepacketizer(c, opts);
  const v = new RtpPacketView();
  for (const p of packets) {
    expect(v.parse(p)).toBe(RtpStatus.Ok);
    d.pushPayload(v.data, v.payloadOffset, v.payloadOffset + v.payloadLength, v.timestamp, v.marker, v.sequenceNumber);
  }
  return { d, c };
}

/** MD5 of the decoded pixels (ffmpeg), '' when ffmpeg reports anything. */
function decodedMd5(jpeg: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'camstream-jpeg-'));
  try {
    const f = join(dir, 'x.jpg');
    writeFileSync(f, jpeg);
    const r = runCmd('ffmpeg', ['-v', 'error', '-i', f, '-f', 'md5', '-']);
    return r.status === 0 && r.stderr.trim() === '' ? r.stdout.trim() : `error: ${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('RFC 2435 tables', () => {
  it('Q 50 gives the Annex K tables and Q 85 the libjpeg quality-85 tables (as in the fixtures)', () => {
    for (const [file, q] of [['gst-422-q50.jpg', 50], ['gst-420-01.jpg', 85]] as const) {
      const info = parseJpegForRtp(fixture(file));
      expect(hex(rfc2435QuantTables(q))).toBe(hex(info.luma) + hex(info.chroma));
    }
  });
  it('clamps: Q 1 gives 255-capped tables, Q 99 tables of 1s and 2s', () => {
    expect(Math.max(...rfc2435QuantTables(1))).toBe(255);
    expect(Math.min(...rfc2435QuantTables(1))).toBeGreaterThan(1);
    expect(new Set(rfc2435QuantTables(99))).toEqual(new Set([1, 2]));
  });
});

describe('JpegPacketizer + JpegDepacketizer round trips', () => {
  for (const file of FILES) {
    for (const max of [300, 1400, 60000]) {
      it(`${file}, max payload ${max}: same tables, same scan, same decoded pixels`, () => {
        const jpeg = fixture(file);
        const copy = hex(jpeg);
        const orig = parseJpegForRtp(jpeg);
        const p = new JpegPacketizer({ maxPayloadSize: max, initialSequenceNumber: 65534 });
        const packets = [...p.packetize(jpeg, 0xfffffff0), ...p.packetize(jpeg, 3000)];
        for (const pk of packets) expect(pk.length - 12).toBeLessThanOrEqual(max);
        // 320x180 is not a multiple of 8 in height: the SDP would say a=x-dimensions:320,180.
        const { d, c } = depack(packets, { width: 320, height: 180 });
        expect(c.errors).toEqual([]);
        expect(c.units.map((u) => u.timestamp)).toEqual([0xfffffff0, 3000]);
        expect(hex(jpeg)).toBe(copy);
        for (const u of c.units) {
          expect(u.codec).toBe('jpeg');
          const got = parseJpegForRtp(u.data);
          expect(hex(got.scan)).toBe(hex(orig.scan));
          expect([got.type, got.width, got.height, hex(got.luma), hex(got.chroma)]).toEqual([orig.type, 320, 180, hex(orig.luma), hex(orig.chroma)]);
          expect([u.data[u.data.length - 2], u.data[u.data.length - 1]]).toEqual([0xff, 0xd9]);
        }
        expect([d.width, d.height]).toEqual([320, 180]);
        if (haveFfmpeg && max === 1400) expect(decodedMd5(c.units[0]!.data)).toBe(decodedMd5(jpeg));
      });
    }
  }

  it('Q 1-99: no tables sent, the receiver computes them (RFC 2435 §4.2)', () => {
    const jpeg = fixture('gst-422-q50.jpg');
    const packets = new JpegPacketizer({ q: 50 }).packetize(jpeg, 0);
    expect(packets[0]![12 + 5]).toBe(50);
    const { c } = depack(packets, { height: 180 });
    expect(c.errors).toEqual([]);
    const got = parseJpegForRtp(c.units[0]!.data);
    expect(got.type).toBe(0);
    expect(hex(got.scan)).toBe(hex(parseJpegForRtp(jpeg).scan));
    if (haveFfmpeg) expect(decodedMd5(c.units[0]!.data)).toBe(decodedMd5(jpeg));
  });

  it('Q 128-254 tables are cached: a later Length 0 reuses them; unknown Q with Length 0 is an error', () => {
    const jpeg = fixture('gst-420-01.jpg');
    const p = new JpegPacketizer({ q: 200, maxPayloadSize: 1400 });
    const f1 = p.packetize(jpeg, 0);
    const f2 = p.packetize(jpeg, 3000);
    // strip the 128 table bytes from frame 2's first packet and set Length 0
    const first = f2[0]!;
    const stripped = new Uint8Array(first.length - 128);
    stripped.set(first.subarray(0, 12 + 8 + 4));
    stripped.set(first.subarray(12 + 8 + 4 + 128), 12 + 8 + 4);
    stripped[12 + 8 + 2] = 0;
    stripped[12 + 8 + 3] = 0;
    f2[0] = stripped;
    const { c } = depack([...f1, ...f2], { height: 180 });
    expect(c.errors).toEqual([]);
    expect(c.units.map((u) => hex(u.data))).toEqual([hex(c.units[0]!.data), hex(c.units[0]!.data)]);
    const fresh = depack(f2, { height: 180 });
    expect(fresh.c.units).toEqual([]);
    expect(fresh.c.errors[0]!.code).toBe('JPEG_BAD_PAYLOAD');
  });

  it('restart markers (types 64/65): restart interval carried into a DRI segment', () => {
    const info = { ...parseJpegForRtp(fixture('gst-420-01.jpg')), restartInterval: 4 };
    const packets = new JpegPacketizer().packetizeScan(info, 0);
    expect(packets.every((pk) => pk[12 + 4] === 65)).toBe(true);
    const { c } = depack(packets);
    expect(c.errors).toEqual([]);
    expect(hex(c.units[0]!.data)).toContain('ffdd00040004');
    expect(parseJpegForRtp(c.units[0]!.data).restartInterval).toBe(4);
  });

  it('over 2040 px: width field 0 needs a=x-dimensions (docs/camera-quirks.md #21)', () => {
    const info = { ...parseJpegForRtp(fixture('gst-420-01.jpg')), width: 2560, height: 1440 };
    const packets = new JpegPacketizer().packetizeScan(info, 0);
    expect([packets[0]![12 + 6], packets[0]![12 + 7]]).toEqual([0, 180]);
    const without = depack(packets);
    expect(without.c.units).toEqual([]);
    expect(without.c.errors[0]!.message).toMatch(/x-dimensions/);
    const withDims = depack(packets, { width: 2560, height: 1440 });
    expect(withDims.c.errors).toEqual([]);
    expect(parseJpegForRtp(withDims.c.units[0]!.data)).toMatchObject({ width: 2560, height: 1440 });
  });

  it('a lost middle packet: dropped (drop) or the prefix delivered with loss (flag); the next frame is whole', () => {
    const jpeg = fixture('gst-420-02.jpg');
    const p = new JpegPacketizer({ maxPayloadSize: 1000 });
    const f1 = p.packetize(jpeg, 0);
    const f2 = p.packetize(jpeg, 3000);
    const kept = [...f1.filter((_, i) => i !== 3), ...f2];
    const drop = depack(kept, { height: 180 });
    expect(drop.c.errors.map((e) => e.code)).toEqual(['JPEG_FRAGMENT_LOST']);
    expect(drop.c.units.map((u) => [u.timestamp, u.loss, u.discontinuity])).toEqual([[3000, false, true]]);
    const flag = depack(kept, { height: 180, lossMode: 'flag' });
    expect(flag.c.units.map((u) => [u.timestamp, u.loss])).toEqual([
      [0, true],
      [3000, false],
    ]);
    const prefix = parseJpegForRtp(flag.c.units[0]!.data).scan;
    const full = parseJpegForRtp(jpeg).scan;
    expect(hex(prefix)).toBe(hex(full.subarray(0, prefix.length)));
    expect(prefix.length).toBeLessThan(full.length);
  });

  it('mid-stream join: fragments before the first offset-0 packet are skipped', () => {
    const p = new JpegPacketizer({ maxPayloadSize: 1000 });
    const f1 = p.packetize(fixture('gst-420-01.jpg'), 0);
    const f2 = p.packetize(fixture('gst-420-01.jpg'), 3000);
    const { c } = depack([...f1.slice(2), ...f2], { height: 180 });
    expect(c.units.map((u) => [u.timestamp, u.discontinuity])).toEqual([[3000, true]]);
  });

  it('unsupported types, reserved Q and short payloads are typed errors; an image over the cap is AU_TOO_LARGE', () => {
    const c = new Collect();
    const d = new JpegDepacketizer(c, { maxAccessUnitSize: 2000 });
    const push = (seq: number, ts: number, b: number[]): void => d.push({ payload: new Uint8Array(b), marker: true, timestamp: ts, sequenceNumber: seq });
    push(1, 0, [0, 0, 0, 0, 2, 50, 40, 30, 1, 2]);
    push(2, 1, [0, 0, 0, 0, 1, 110, 40, 30, 1, 2]);
    push(3, 2, [0, 0, 0]);
    push(4, 3, [0, 0, 0, 0, 1, 255, 40, 30, 0, 0, 9, 9]);
    d.push({ payload: new Uint8Array([0, 0, 0, 0, 1, 50, 40, 30, ...new Array(3000).fill(7)]), marker: true, timestamp: 4, sequenceNumber: 5 });
    expect(c.units).toEqual([]);
    expect(c.errors.map((e) => e.code)).toEqual(['JPEG_UNSUPPORTED', 'JPEG_UNSUPPORTED', 'JPEG_BAD_PAYLOAD', 'JPEG_BAD_PAYLOAD', 'AU_TOO_LARGE']);
  });

  it('the packetizer refuses JPEGs RFC 2435 cannot carry (optimised Huffman tables of the ffmpeg corpus)', () => {
    const corpusJpeg = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../corpus/jpeg/frame-01.jpg', import.meta.url))));
    expect(() => new JpegPacketizer().packetize(corpusJpeg, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
