import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { parseSdp } from '../../src/rtsp/sdp.js';

/** Verbatim from the IP Camera Standard API 5.0.0 §5.5.3.1 (the DESCRIBE response example, lines 1486-1507). */
const SEED000 = readFileSync(new URL('./fixtures/seed000-describe.sdp', import.meta.url), 'latin1');

describe('parseSdp', () => {
  it('parses the IP Camera Standard API 5.0.0 as printed (wrapped fmtp, m= glued to an a= line, packetization-mode=28)', () => {
    const sdp = parseSdp(SEED000);
    expect(sdp.version).toBe(0);
    expect(sdp.name).toBe('Session streamed by "nessyMediaServer"');
    expect(sdp.control).toBe('*');
    expect(sdp.range).toMatchObject({ unit: 'npt', start: '0', startSeconds: 0, end: undefined });
    expect(sdp.attributes.find((a) => a.name === 'x-qt-text-inf')?.value).toBe('h264');
    expect(sdp.media).toHaveLength(2);
    const [v, a] = sdp.media;
    expect(v).toMatchObject({ type: 'video', port: 0, proto: 'RTP/AVP', payloadTypes: [99], control: 'track1', framerate: 30 });
    expect(v!.rtpmap).toEqual({ pt: 99, encoding: 'H264', clockRate: 90000, channels: undefined });
    expect(v!.connection).toMatchObject({ addrType: 'IP4', address: '0.0.0.0' });
    expect(v!.fmtp['packetization-mode']).toBe('28');
    expect(v!.fmtp['profile-level-id']).toBe('4D0029');
    expect(v!.fmtp['sprop-parameter-sets']).toBe('Z00AKZpigPAET8uAtQEBAUAAAPoAADqYOhgAQAAABAAG7y40MACAAAAIAA3eXCgA,aO48gA==');
    expect(v!.attributes.find((x) => x.name === 'cliprect')?.value).toBe('0,0,1920,1080');
    expect(a).toMatchObject({ type: 'audio', port: 7878, payloadTypes: [0], control: 'track2' });
    expect(a!.rtpmap).toEqual({ pt: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 });
  });

  it('parses the same SDP as a camera sends it (CRLF, unwrapped) to the same media', () => {
    const fixed = SEED000.replace('h264m=video', 'h264\nm=video').replace(/;\nsprop/, ';sprop').replace('AAA3\neXCgA', 'AAA3eXCgA').replace(/\n/g, '\r\n');
    expect(parseSdp(fixed).media).toEqual(parseSdp(SEED000).media);
    expect(parseSdp(Buffer.from(fixed)).media).toEqual(parseSdp(SEED000).media);
  });

  it('tolerates missing o=, repeated s=, broken c=, trailing spaces, bare CR', () => {
    const text = [
      'v=0',
      's=first',
      's=second',
      'c=IN',
      'b=AS:5000',
      'm=video 0 RTP/AVP 96 97 ',
      'c=IN IP4 224.2.1.1/127',
      'b=AS:4000',
      'a=rtpmap:96 H264/90000 ',
      'a=rtpmap:97 H265/90000',
      'a=fmtp:96 Profile-Level-Id=42e01f; packetization-mode=1 ;',
      'a=x-dimensions:2560,1440',
      'a=recvonly',
      'a=control:rtsp://cam/live/trackID=1 ',
      'm=audio 0 RTP/AVP 98',
      'a=rtpmap:98 G723.1/8000/1',
      'a=range:npt=0-',
    ].join('\r');
    const sdp = parseSdp(text);
    expect(sdp.origin).toBeUndefined();
    expect(sdp.name).toBe('first');
    expect(sdp.connection).toBeUndefined();
    expect(sdp.bandwidths).toEqual({ AS: 5000 });
    const [v, a] = sdp.media;
    expect(v!.payloadTypes).toEqual([96, 97]);
    expect(v!.rtpmap).toEqual({ pt: 96, encoding: 'H264', clockRate: 90000, channels: undefined });
    expect(v!.rtpmaps.get(97)?.encoding).toBe('H265');
    expect(v!.fmtp).toEqual({ 'profile-level-id': '42e01f', 'packetization-mode': '1' });
    expect(v!.dimensions).toEqual({ width: 2560, height: 1440 });
    expect(v!.direction).toBe('recvonly');
    expect(v!.control).toBe('rtsp://cam/live/trackID=1');
    expect(v!.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '224.2.1.1', ttl: 127 });
    expect(v!.bandwidths).toEqual({ AS: 4000 });
    expect(a!.rtpmap).toEqual({ pt: 98, encoding: 'G723.1', clockRate: 8000, channels: 1 });
    expect(a!.range?.unit).toBe('npt');
  });

  it('fills static payload types from RFC 3551 and leaves unknown ones undefined', () => {
    const sdp = parseSdp('v=0\nm=video 0 RTP/AVP 26\nm=audio 0 RTP/AVP 8\nm=video 0 RTP/AVP 100\n');
    expect(sdp.media.map((m) => m.rtpmap?.encoding)).toEqual(['JPEG', 'PCMA', undefined]);
  });

  it('throws RTSP_BAD_SDP over the cap, with too many media, or with no SDP at all', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof ProtocolError ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => parseSdp('v=0\n' + 'a=x:y\n'.repeat(100), { maxSize: 200 }))).toBe('RTSP_BAD_SDP');
    expect(code(() => parseSdp('v=0\n' + 'm=video 0 RTP/AVP 96\n'.repeat(5), { maxMedia: 4 }))).toBe('RTSP_BAD_SDP');
    expect(code(() => parseSdp('<html>404</html>'))).toBe('RTSP_BAD_SDP');
    expect(code(() => parseSdp('v=0\n'))).toBeUndefined();
  });
});
