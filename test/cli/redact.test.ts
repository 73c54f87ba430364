/** No form of a password survives redaction, whatever the user typed. */
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/rtsp/url.js';
import { parseRtspUrl } from '../../src/rtsp/url.js';
import { parseHttpUrl } from '../../src/http/url.js';
import { scrub, secretsFromArgs, shownArg } from '../../src/cli/redact.js';

describe('redactUrl', () => {
  it.each([
    [' rtsp://admin:Sx7kq@10.0.0.5/cam', ' rtsp://admin:***@10.0.0.5/cam'], // leading space
    ['\trtsp://admin:Sx7kq@10.0.0.5/cam', '\trtsp://admin:***@10.0.0.5/cam'],
    ['admin:Sx7kq@10.0.0.5/cam', 'admin:***@10.0.0.5/cam'], // no scheme
    ['//admin:Sx7kq@10.0.0.5/cam', '//admin:***@10.0.0.5/cam'],
    ['rtsp://admin:Sx7/kq@10.0.0.5:554/cam', 'rtsp://admin:***@10.0.0.5:554/cam'], // unencoded '/'
    ['rtsp://admin:Sx7?kq@10.0.0.5/cam', 'rtsp://admin:***@10.0.0.5/cam'], // unencoded '?'
    ['http://admin:Sx7/k?q#z@10.0.0.5/cgi-bin/x', 'http://admin:***@10.0.0.5/cgi-bin/x'],
    ['rtsp://admin:S@x7@[::1]:554/', 'rtsp://admin:***@[::1]:554/'], // unencoded '@'
    ['rtsp://admin:admin@h:554//mnt/a[M][0@0][0].mp4', 'rtsp://admin:***@h:554//mnt/a[M][0@0][0].mp4'], // '@' in the path
    ['rtsp://h/a[M][0@0][0].mp4', 'rtsp://h/a[M][0@0][0].mp4'],
    ['rtsp://viewer@h/x', 'rtsp://viewer@h/x'],
  ])('%j -> %j', (input, want) => {
    expect(redactUrl(input)).toBe(want);
  });

  it('"bad port" and "not a URL" messages never show a password with unencoded / or ?', () => {
    for (const url of ['rtsp://admin:Sx7/kq@10.0.0.5:554/cam', 'rtsp://admin:Sx7?kq@10.0.0.5/cam', ' rtsp://admin:Sx7kq@10.0.0.5:99999/']) {
      expect(() => parseRtspUrl(url)).toThrow();
      try {
        parseRtspUrl(url);
      } catch (e) {
        expect(String(e)).not.toMatch(/Sx7|kq/);
      }
    }
    for (const url of ['http://admin:Sx7/kq@10.0.0.5/', 'http://admin:Sx7?kq@10.0.0.5/', 'http://admin:Sx7kq@10.0.0.5:99999/']) {
      try {
        parseHttpUrl(url);
      } catch (e) {
        expect(String(e)).not.toMatch(/Sx7|kq/);
      }
    }
  });
});

describe('the CLI scrubber', () => {
  it('knows the password of every URL argument in plain, percent-encoded and base64 forms', () => {
    const s = secretsFromArgs(['record', '--url=rtsp://admin:p%40ss/w@h/x', ' http://u:Sx7?kq@h/', '-o', 'x.h264']);
    expect(s).toEqual(expect.arrayContaining(['p%40ss/w', 'p@ss/w', encodeURIComponent('p@ss/w'), Buffer.from('admin:p@ss/w').toString('base64'), 'Sx7?kq', Buffer.from('u:Sx7?kq').toString('base64')]));
    expect(scrub(`a p@ss/w b ${Buffer.from('u:Sx7?kq').toString('base64')} c`, s)).toBe('a *** b *** c');
  });

  it('argument errors show arguments redacted', () => {
    expect(shownArg('--url=rtsp://admin:Sx7kq@h/x')).toBe('--url=rtsp://admin:***@h/x');
    expect(shownArg(' rtsp://admin:Sx7kq@h/x')).not.toContain('Sx7kq');
  });
});
