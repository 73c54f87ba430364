import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { fileStreamUrl, formatDeviceTime, parseDeviceTime, parsePlaybackQuery, playbackUrl } from '../../src/rtsp/playback.js';
import { parseRtspUrl } from '../../src/rtsp/url.js';

describe('WV-V series HTTP API V2.40 §4.1.2 playback URL', () => {
  it('reproduces the document example for a device in UTC+8', () => {
    const start = new Date(Date.UTC(2012, 8, 15, 4, 37, 5)); // 12:37:05 on a UTC+8 device
    const end = new Date(Date.UTC(2012, 8, 15, 10, 34, 14));
    expect(playbackUrl('rtsp://admin:admin@10.44.200.8:554/cam/realmonitor?channel=1&subtype=0', { start, end, timeZone: 8 * 60 })).toBe(
      'rtsp://admin:admin@10.44.200.8:554/cam/playback?channel=1&starttime=2012_09_15_12_37_05&endtime=2012_09_15_18_34_14',
    );
  });

  it('writes the device zone, not UTC: the same instant differs by the offset', () => {
    const t = new Date(Date.UTC(2024, 0, 1, 0, 30, 0));
    expect(formatDeviceTime(t, 0)).toBe('2024_01_01_00_30_00');
    expect(formatDeviceTime(t, -300)).toBe('2023_12_31_19_30_00');
    expect(formatDeviceTime(t, 330)).toBe('2024_01_01_06_00_00');
    const local = formatDeviceTime(t, 'local');
    expect(parseDeviceTime(local, 'local').getTime()).toBe(t.getTime());
  });

  it('credentials with reserved characters stay encoded; channel and order are checked', () => {
    const url = playbackUrl('rtsp://us%40r:p%3Ass@cam:8554', { channel: 3, start: new Date(0), end: new Date(60_000), timeZone: 0 });
    expect(url).toBe('rtsp://us%40r:p%3Ass@cam:8554/cam/playback?channel=3&starttime=1970_01_01_00_00_00&endtime=1970_01_01_00_01_00');
    expect(parseRtspUrl(url)).toMatchObject({ username: 'us@r', password: 'p:ss' });
    expect(() => playbackUrl('rtsp://cam', { channel: 0, start: new Date(0), end: new Date(1000), timeZone: 0 })).toThrow(ProtocolError);
    expect(() => playbackUrl('rtsp://cam', { start: new Date(1000), end: new Date(1000), timeZone: 0 })).toThrow(ProtocolError);
    expect(() => playbackUrl('rtsp://cam', { start: new Date(0), end: new Date(1000), timeZone: 24 * 60 })).toThrow(ProtocolError);
  });

  it('parses the query back, also behind a Dahua-style track suffix', () => {
    const q = parsePlaybackQuery('rtsp://h/cam/playback?channel=2&starttime=2012_09_15_12_37_05&endtime=2012_09_15_18_34_14/trackID=0', 60);
    expect(q).toEqual({ channel: 2, start: new Date(Date.UTC(2012, 8, 15, 11, 37, 5)), end: new Date(Date.UTC(2012, 8, 15, 17, 34, 14)) });
    expect(() => parsePlaybackQuery('rtsp://h/cam/playback?channel=1', 0)).toThrow(ProtocolError);
    expect(() => parseDeviceTime('2012_02_30_00_00_00', 0)).toThrow(ProtocolError);
    expect(() => parseDeviceTime('2012-02-01 00:00:00', 0)).toThrow(ProtocolError);
  });
});

describe('WV-V series HTTP API V2.40 §4.1.3 file stream URL', () => {
  it('reproduces the document example (double slash, raw [ ] @)', () => {
    expect(fileStreamUrl('rtsp://admin:admin@10.44.200.8:554', '/mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4')).toBe(
      'rtsp://admin:admin@10.44.200.8:554//mnt/sd/2015-09-16/001/mp4/20/20.32.08-20.32.28[M][0@0][0].mp4',
    );
    const u = parseRtspUrl(fileStreamUrl('rtsp://admin:admin@10.44.200.8:554', '/mnt/sd/a[0@0].dav'));
    expect(u.host).toBe('10.44.200.8');
    expect(u.path).toBe('//mnt/sd/a[0@0].dav');
  });

  it('percent-encodes what would break the request line', () => {
    expect(fileStreamUrl('rtsp://cam', '/mnt/my file?#%é.mp4')).toBe('rtsp://cam//mnt/my%20file%3F%23%25%C3%A9.mp4');
    expect(() => fileStreamUrl('rtsp://cam', 'relative.mp4')).toThrow(ProtocolError);
  });
});
