import { describe, expect, it } from 'vitest';
import { DumpTap } from '../../src/debug/dump-tap.js';
import { describeNal, describeRtcp } from '../../src/debug/describe.js';
import { formatRecord, type DumpRecord } from '../../src/debug/records.js';
import { DUMP_SCHEMA } from '../../src/debug/schema.js';
import { buildRtpPacket } from '../../src/rtp/rtp-packet.js';
import { buildReceiverReport } from '../../src/rtp/rtcp.js';
import { encodeInterleaved } from '../../src/rtsp/encode.js';
import { validate } from './json-schema.js';

const conn = { id: 1, protocol: 'tcp' as const, kind: 'rtsp' as const, local: { address: '127.0.0.1', port: 5000 }, remote: { address: '127.0.0.1', port: 554 } };

function rtp(seq: number, payload: number[], marker = false): Uint8Array {
  return encodeInterleaved(0, buildRtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: 1000, ssrc: 0xabcdef01, marker }, Uint8Array.from(payload)));
}

function session(tap: DumpTap): void {
  tap.open(conn, 0);
  const out = (s: string): void => tap.data(1, 'out', Buffer.from(s), 1);
  const inn = (s: string | Uint8Array): void => tap.data(1, 'in', typeof s === 'string' ? Buffer.from(s) : s, 2);
  const sdp = 'v=0\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n';
  out('DESCRIBE rtsp://cam/live RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n');
  inn(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Base: rtsp://admin:secret@cam/live/\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`);
  out('SETUP rtsp://cam/live/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n');
  inn('RTSP/1.0 200 OK\r\nCSeq: 2\r\nSession: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n');
}

describe('DumpTap', () => {
  it('maps channels to tracks from SETUP, reports loss, reorder, duplicate and resync; redacts; every record fits the schema', () => {
    const recs: DumpRecord[] = [];
    const tap = new DumpTap((r) => recs.push(r), { frames: true });
    session(tap);
    // 10, 11, 14 (2 lost), 12 (late), 14 (duplicate), garbage, 15
    const stream = Buffer.concat([rtp(10, [0x65, 1]), rtp(11, [0x41, 2], true), rtp(14, [0x41, 3]), rtp(12, [0x41, 4]), rtp(14, [0x41, 3]), Buffer.from('xxxx'), rtp(15, [0x41, 5], true)]);
    // Every byte on its own: the parsers' chunk handling is part of what dump shows.
    for (let i = 0; i < stream.length; i++) tap.data(1, 'in', stream.subarray(i, i + 1), 3);
    tap.data(1, 'out', encodeInterleaved(1, buildReceiverReport({ ssrc: 7, reports: [], cname: 'me' })), 4);
    tap.close(1, 5);
    for (const r of recs) expect(validate(DUMP_SCHEMA, r), JSON.stringify(r)).toBeUndefined();
    expect(recs.filter((r) => r.type === 'rtp').map((r) => (r as { seq: number }).seq)).toEqual([10, 11, 14, 12, 14, 15]);
    expect(recs.filter((r) => r.type === 'rtp').every((r) => (r as { track: number }).track === 0)).toBe(true);
    expect(recs.find((r) => r.type === 'loss')).toMatchObject({ expected: 12, got: 14, lost: 2, track: 0, ssrc: 'abcdef01' });
    expect(recs.find((r) => r.type === 'reorder')).toMatchObject({ got: 12, expected: 15 });
    expect(recs.find((r) => r.type === 'duplicate')).toMatchObject({ got: 14 });
    expect(recs.some((r) => r.type === 'resync')).toBe(true);
    const rr = recs.find((r) => r.type === 'rtcp') as Extract<DumpRecord, { type: 'rtcp' }>;
    expect(rr).toMatchObject({ dir: 'out', channel: 1, track: 0 });
    expect(rr.packets.map((p) => p.kind)).toEqual(['rr', 'sdes']);
    const frames = recs.filter((r) => r.type === 'frame');
    expect(frames.length).toBeGreaterThan(0);
    const text = recs.map(formatRecord).join('\n');
    expect(text).not.toContain('YWRtaW46c2VjcmV0');
    expect(text).not.toContain('admin:secret');
    expect(text).toContain('Authorization: Basic [redacted]');
    expect(text).toContain('! loss ch0 track0 ssrc=abcdef01 expected seq 12, got 14 (2 lost)');
  });

  it('the schema rejects a record with a missing, extra or mistyped field', () => {
    const ok: DumpRecord = { type: 'close', t: 1, conn: 1 };
    expect(validate(DUMP_SCHEMA, ok)).toBeUndefined();
    expect(validate(DUMP_SCHEMA, { type: 'close', t: 1 })).toBeDefined();
    expect(validate(DUMP_SCHEMA, { type: 'close', t: 1, conn: 1, extra: 2 })).toBeDefined();
    expect(validate(DUMP_SCHEMA, { type: 'rtp', t: 1, conn: 1, dir: 'in', channel: 0, track: 0, pt: 96, seq: '1', ts: 0, marker: false, ssrc: 'a', size: 1, payloadSize: 0 })).toBeDefined();
  });
});

describe('describeNal', () => {
  it('H.264: single NAL, STAP-A contents, FU-A pieces (RFC 6184 §5.7.1, §5.8)', () => {
    expect(describeNal('h264', Uint8Array.of(0x67, 0), 0, 2)).toEqual({ type: 7, name: 'SPS' });
    const stap = Uint8Array.of(0x18, 0, 2, 0x67, 0, 0, 2, 0x68, 0, 0, 1, 0x06);
    expect(describeNal('h264', stap, 0, stap.length)).toEqual({ type: 24, name: 'STAP-A', count: 3, names: ['SPS', 'PPS', 'SEI'] });
    expect(describeNal('h264', Uint8Array.of(0x7c, 0x85, 1), 0, 3)).toEqual({ type: 28, name: 'FU-A', fu: 'start', nalType: 5, nalName: 'IDR' });
    expect(describeNal('h264', Uint8Array.of(0x7c, 0x41, 1), 0, 3)?.fu).toBe('end');
    expect(describeNal('h264', Uint8Array.of(0x7c, 0xc1, 1), 0, 3)?.fu).toBe('start-end');
    expect(describeNal('h264', Uint8Array.of(0x7c, 0x01, 1), 0, 3)?.fu).toBe('middle');
  });
  it('H.265: FU and AP (RFC 7798 §4.4.2, §4.4.3)', () => {
    expect(describeNal('h265', Uint8Array.of(49 << 1, 1, 0x80 | 19, 0), 0, 4)).toEqual({ type: 49, name: 'FU', fu: 'start', nalType: 19, nalName: 'IDR' });
    const ap = Uint8Array.of(48 << 1, 1, 0, 2, 32 << 1, 1, 0, 2, 33 << 1, 1);
    expect(describeNal('h265', ap, 0, ap.length)).toEqual({ type: 48, name: 'AP', count: 2, names: ['VPS', 'SPS'] });
  });
  it('RTCP: SR NTP time as ISO date, SSRCs in hex', () => {
    const [sr] = describeRtcp([{ type: 'sr', ssrc: 0x10, ntpSeconds: 0, ntpFraction: 0, wallClockMs: Date.UTC(2024, 0, 2, 3, 4, 5), rtpTimestamp: 9, packetCount: 3, octetCount: 4, reports: [] }]);
    expect(sr).toEqual({ kind: 'sr', ssrc: '00000010', ntp: '2024-01-02T03:04:05.000Z', rtpTime: 9, packets: 3, octets: 4, reports: [] });
  });
});
