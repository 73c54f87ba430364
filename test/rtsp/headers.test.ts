import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { Headers } from '../../src/message/headers.js';
import {
  buildTransport,
  contentBase,
  parsePublic,
  parseRange,
  parseRtpInfo,
  parseSession,
  parseTransport,
  parseTransports,
} from '../../src/rtsp/headers.js';

describe('Transport', () => {
  it('parses a TCP interleaved answer with a spaced ssrc (gortsplib #121) and quoted mode', () => {
    const t = parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=  1A2B3C4D ;mode="play"');
    expect(t).toMatchObject({
      protocol: 'RTP/AVP/TCP',
      transportProtocol: 'RTP',
      profile: 'AVP',
      lowerTransport: 'TCP',
      delivery: 'unicast',
      interleaved: [2, 3],
      ssrc: 0x1a2b3c4d,
      mode: 'PLAY',
    });
  });

  it('parses the IP Camera Standard API 5.0.0 UDP answer with source/destination and ports', () => {
    const t = parseTransport('RTP/AVP;unicast;destination=192.168.0.102;source=192.168.0.200;client_port=6300-6301;server_port=6970-6971');
    expect(t).toMatchObject({
      lowerTransport: 'UDP',
      destination: '192.168.0.102',
      source: '192.168.0.200',
      clientPort: [6300, 6301],
      serverPort: [6970, 6971],
      interleaved: undefined,
      ssrc: undefined,
    });
  });

  it('handles single-number ranges, multicast, ttl, port, bad values', () => {
    const t = parseTransport('RTP/AVP;multicast;destination=224.2.0.1;port=5000;ttl=16;interleaved=999;ssrc=xyz;append');
    expect(t).toMatchObject({ delivery: 'multicast', port: [5000, 5001], ttl: 16, interleaved: undefined, ssrc: undefined, append: true });
    expect(parseTransport('RTP/AVP/TCP;interleaved=4').interleaved).toEqual([4, 5]);
    expect(parseTransports('RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=5000-5001').map((x) => x.lowerTransport)).toEqual([
      'TCP',
      'UDP',
    ]);
    expect(() => parseTransport('garbage')).toThrow(ProtocolError);
  });

  it('builds strictly and round-trips', () => {
    const s = buildTransport({ lowerTransport: 'TCP', interleaved: [0, 1] });
    expect(s).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(parseTransport(s).interleaved).toEqual([0, 1]);
    expect(buildTransport({ clientPort: [5000, 5001], mode: 'PLAY', extra: { 'x-Dynamic-Rate': '1' } })).toBe(
      'RTP/AVP;unicast;client_port=5000-5001;mode=PLAY;x-Dynamic-Rate=1',
    );
    expect(() => buildTransport({ interleaved: [0, 256] })).toThrow(ProtocolError);
    expect(() => buildTransport({ destination: 'a;b' })).toThrow(ProtocolError);
  });
});

describe('Session', () => {
  it('parses id and timeout', () => {
    expect(parseSession('12345678;timeout=60')).toEqual({ id: '12345678', timeout: 60 });
    expect(parseSession(' 1 ')).toEqual({ id: '1', timeout: undefined });
    expect(parseSession('abc; Timeout = 10')).toEqual({ id: 'abc', timeout: 10 });
    expect(parseSession('abc;timeout=soon')).toEqual({ id: 'abc', timeout: undefined });
    expect(parseSession(';timeout=5')).toBeUndefined();
  });
});

describe('RTP-Info', () => {
  it('parses the IP Camera Standard API 5.0.0 absolute URLs', () => {
    expect(
      parseRtpInfo('url=rtsp://192.168.0.200/h264/track1;seq=41182;rtptime=1985344790,url=rtsp://192.168.0.200/h264/track2;seq=55405;rtptime=3572879460'),
    ).toEqual([
      { url: 'rtsp://192.168.0.200/h264/track1', seq: 41182, rtptime: 1985344790 },
      { url: 'rtsp://192.168.0.200/h264/track2', seq: 55405, rtptime: 3572879460 },
    ]);
  });

  it('keeps relative URLs and query strings, leaves bogus values undefined', () => {
    expect(parseRtpInfo('url=trackID=0;seq=0;rtptime=abc')).toEqual([{ url: 'trackID=0', seq: 0, rtptime: undefined }]);
    expect(parseRtpInfo('url=rtsp://c/realmonitor?channel=1&subtype=0/trackID=0;seq=70000;rtptime=99999999999, url="trackID=1";seq=5')).toEqual([
      { url: 'rtsp://c/realmonitor?channel=1&subtype=0/trackID=0', seq: undefined, rtptime: undefined },
      { url: 'trackID=1', seq: 5, rtptime: undefined },
    ]);
    expect(parseRtpInfo('')).toEqual([]);
  });
});

describe('Public, Range, Content-Base', () => {
  it('parses Public', () => {
    expect(parsePublic('OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE,get_parameter')).toEqual([
      'OPTIONS',
      'DESCRIBE',
      'SETUP',
      'TEARDOWN',
      'PLAY',
      'PAUSE',
      'GET_PARAMETER',
    ]);
  });

  it('parses npt and clock ranges', () => {
    expect(parseRange('npt=56.378441-')).toMatchObject({ unit: 'npt', startSeconds: 56.378441, endSeconds: undefined });
    expect(parseRange('npt=now-')).toMatchObject({ start: 'now', startSeconds: undefined });
    expect(parseRange('npt=1:02:03.5-1:02:04')).toMatchObject({ startSeconds: 3723.5, endSeconds: 3724 });
    const c = parseRange('clock=20120915T123705Z-20120915T183414.25Z;time=x');
    expect(c?.startTime?.toISOString()).toBe('2012-09-15T12:37:05.000Z');
    expect(c?.endTime?.toISOString()).toBe('2012-09-15T18:34:14.250Z');
    expect(parseRange('garbage')).toBeUndefined();
  });

  it('picks Content-Base, then Content-Location, then the request URL, fixing quirks', () => {
    expect(contentBase(new Headers({ 'Content-Base': 'rtsp://rtsp://cam/a/' }), 'rtsp://cam/a')).toBe('rtsp://cam/a/');
    expect(contentBase(new Headers({ 'Content-Location': 'cam:554/b/' }), 'rtsp://cam/a')).toBe('rtsp://cam:554/b/');
    expect(contentBase(new Headers(), 'rtsp://cam/a')).toBe('rtsp://cam/a');
  });
});
