import { describe, expect, it } from 'vitest';
import { RtpClockMapper, buildReceiverReport, lastSrField, parseRtcp, tryParseRtcp, NTP_UNIX_OFFSET } from '../../src/rtp/rtcp.js';
import { ProtocolError } from '../../src/errors.js';

// SR (ssrc 1, NTP = unix 1_700_000_000.5 s, rtp 90000, 10 pkts, 1000 octets) + SDES CNAME "cam" + END.
const ntpSec = (1_700_000_000 + NTP_UNIX_OFFSET).toString(16).padStart(8, '0');
const SR = `80c80006 00000001 ${ntpSec} 80000000 00015f90 0000000a 000003e8`;
const SDES = '81ca0003 00000001 010363616d00 0000';

function b(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/ /g, ''), 'hex'));
}

describe('parseRtcp', () => {
  it('parses SR + SDES compound', () => {
    const [sr, sdes] = parseRtcp(b(SR + SDES));
    expect(sr).toMatchObject({ type: 'sr', ssrc: 1, rtpTimestamp: 90000, packetCount: 10, octetCount: 1000, wallClockMs: 1_700_000_000_500 });
    expect(sdes).toMatchObject({ type: 'sdes', chunks: [{ ssrc: 1, cname: 'cam' }] });
  });

  it('accepts SDES without END (Hanwha, mediamtx #5355) and skips unknown types', () => {
    const pk = parseRtcp(b('81ca0002 00000002 01026162' + '80cc0001 00000000' + '81cb0001 00000002'));
    expect(pk.map((p) => p.type)).toEqual(['sdes', 'other', 'bye']);
    expect(pk[0]).toMatchObject({ chunks: [{ ssrc: 2, cname: 'ab' }] });
    expect(pk[2]).toEqual({ type: 'bye', ssrcs: [2] });
  });

  it.each([
    ['version 0', '00c80006'],
    ['length past the end', '80c90009 00000001'],
    ['RR blocks past the end', '81c90001 00000001'],
    ['short', '80'],
  ])('rejects %s with RTCP_BAD_PACKET', (_n, h) => {
    const r = tryParseRtcp(b(h));
    expect(r).toBeInstanceOf(ProtocolError);
    expect((r as ProtocolError).code).toBe('RTCP_BAD_PACKET');
  });
});

describe('RtpClockMapper', () => {
  it('maps RTP time to wall clock across the 32-bit wrap', () => {
    const m = new RtpClockMapper(90000);
    expect(m.wallClockMs(0)).toBeUndefined();
    m.onSenderReport({ rtpTimestamp: 0xffffffff - 89999, wallClockMs: 1000 });
    expect(m.wallClockMs(0xffffffff - 89999)).toBe(1000);
    expect(m.wallClockMs(0)).toBe(2000); // 90000 ticks later, past the wrap
    expect(m.wallClockMs(0xffffffff - 179999)).toBe(0);
  });
});

describe('buildReceiverReport', () => {
  it('round-trips through parseRtcp', () => {
    const block = { ssrc: 9, fractionLost: 12, cumulativeLost: -3, extendedHighestSeq: 70000, jitter: 5, lastSr: lastSrField({ ntpSeconds: 0x12345678, ntpFraction: 0x9abcdef0 }), delaySinceLastSr: 77 };
    const out = parseRtcp(buildReceiverReport({ ssrc: 4, reports: [block], cname: 'me' }));
    expect(out[0]).toEqual({ type: 'rr', ssrc: 4, reports: [{ ...block, lastSr: 0x56789abc }] });
    expect(out[1]).toMatchObject({ type: 'sdes', chunks: [{ ssrc: 4, cname: 'me' }] });
  });
});
