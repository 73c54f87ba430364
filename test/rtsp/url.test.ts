import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { normalizeBase, parseRtspUrl, redactUrl, resolveControl, stripCredentials } from '../../src/rtsp/url.js';

describe('parseRtspUrl', () => {
  it('keeps the WV-V series HTTP API V2.40 query strings and strips credentials from the request URL', () => {
    const u = parseRtspUrl('rtsp://admin:admin@10.7.6.67:554/cam/realmonitor?channel=1&subtype=1');
    expect(u).toMatchObject({
      scheme: 'rtsp',
      host: '10.7.6.67',
      port: 554,
      explicitPort: true,
      username: 'admin',
      password: 'admin',
      path: '/cam/realmonitor?channel=1&subtype=1',
      requestUrl: 'rtsp://10.7.6.67:554/cam/realmonitor?channel=1&subtype=1',
    });
    const pb = parseRtspUrl('rtsp://admin:admin@10.44.200.8:554/cam/playback?channel=1&starttime=2012_09_15_12_37_05&endtime=2012_09_15_18_34_14');
    expect(pb.path).toBe('/cam/playback?channel=1&starttime=2012_09_15_12_37_05&endtime=2012_09_15_18_34_14');
  });

  it('does not take the @ of a the WV-V series HTTP API V2.40 file path as userinfo; keeps // and brackets', () => {
    const u = parseRtspUrl('rtsp://admin:admin@10.44.200.8:554//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4');
    expect(u.host).toBe('10.44.200.8');
    expect(u.username).toBe('admin');
    expect(u.password).toBe('admin');
    expect(u.path).toBe('//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4');
    expect(u.requestUrl).toBe('rtsp://10.44.200.8:554//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4');
    const anon = parseRtspUrl('rtsp://10.44.200.8//mnt/a[0@0].mp4');
    expect(anon.username).toBeUndefined();
    expect(anon.host).toBe('10.44.200.8');
  });

  it('decodes credentials, defaults ports, handles IPv6 and rtsps', () => {
    const u = parseRtspUrl('RTSP://us%40er:p%3Ass%2Fw@cam.local/live');
    expect(u).toMatchObject({ username: 'us@er', password: 'p:ss/w', port: 554, explicitPort: false, requestUrl: 'rtsp://cam.local/live' });
    expect(parseRtspUrl('rtsps://[::1]/x')).toMatchObject({ scheme: 'rtsps', host: '::1', port: 322, requestUrl: 'rtsps://[::1]/x' });
    expect(parseRtspUrl('rtsp://[fe80::1]:8554/x').port).toBe(8554);
    expect(parseRtspUrl('rtsp://a:b@c@host/').username).toBe('a');
    expect(parseRtspUrl('rtsp://a:b@c@host/').password).toBe('b@c');
    expect(parseRtspUrl('rtsp://a:100%@host/').password).toBe('100%'); // malformed escape kept
  });

  it('rejects bad input without leaking the password', () => {
    for (const bad of ['http://h/', 'rtsp://', 'rtsp://u:secret@host:99999/', 'rtsp://u:secret@host:abc/', 'rtsp://u:secret@[::1/']) {
      try {
        parseRtspUrl(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
        expect((e as ProtocolError).code).toBe('INVALID_ARGUMENT');
        expect(String(e)).not.toContain('secret');
      }
    }
  });
});

describe('redactUrl / stripCredentials', () => {
  it('never shows the password', () => {
    const raw = 'rtsp://admin:s3cr%40t@10.44.200.8:554//mnt/x[0@0].mp4';
    expect(redactUrl(raw)).toBe('rtsp://admin:***@10.44.200.8:554//mnt/x[0@0].mp4');
    expect(redactUrl(parseRtspUrl(raw))).toBe('rtsp://admin:***@10.44.200.8:554//mnt/x[0@0].mp4');
    expect(redactUrl('rtsp://10.0.0.1/a@b')).toBe('rtsp://10.0.0.1/a@b');
    expect(redactUrl('rtsp://u:p:q@h/')).not.toContain('p:q');
    expect(stripCredentials(raw)).toBe('rtsp://10.44.200.8:554//mnt/x[0@0].mp4');
  });
});

describe('resolveControl', () => {
  const cases: Array<[string, string | undefined, string, string]> = [
    ['rtsp://192.168.0.200/h264/', 'track1', 'rtsp://192.168.0.200/h264/track1', 'the IP Camera Standard API 5.0.0 Content-Base + relative'],
    ['rtsp://192.168.0.200/h264/', '*', 'rtsp://192.168.0.200/h264/', 'aggregate'],
    ['rtsp://cam/stream', undefined, 'rtsp://cam/stream', 'no control'],
    ['rtsp://cam/stream', 'trackID=0', 'rtsp://cam/stream/trackID=0', 'base without trailing slash'],
    ['rtsp://cam/a/', 'rtsp://other:554/b/track2', 'rtsp://other:554/b/track2', 'absolute control'],
    ['rtsp://cam:554/a/b', '/x/track1', 'rtsp://cam:554/x/track1', 'absolute path'],
    [
      'rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif/',
      'trackID=0',
      'rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif/trackID=0',
      'Dahua query + trailing slash',
    ],
    ['rtsp://cam/realmonitor?channel=1&subtype=0', 'trackID=1', 'rtsp://cam/realmonitor?channel=1&subtype=0/trackID=1', 'query without slash'],
    ['192.168.1.10:554/live/', 'track1', 'rtsp://192.168.1.10:554/live/track1', 'base without scheme'],
    ['rtsp://rtsp://cam/live/', 'track1', 'rtsp://cam/live/track1', 'doubled scheme in base'],
    ['rtsp://cam/live/', 'rtsp://rtsp://cam/live/track1', 'rtsp://cam/live/track1', 'doubled scheme in control'],
  ];
  for (const [base, control, want, name] of cases) {
    it(name, () => expect(resolveControl(base, control)).toBe(want));
  }
  it('normalizeBase strips quotes and keeps good bases', () => {
    expect(normalizeBase(' "rtsp://h/a/" ')).toBe('rtsp://h/a/');
    expect(normalizeBase('rtsps://h/a')).toBe('rtsps://h/a');
  });
});
