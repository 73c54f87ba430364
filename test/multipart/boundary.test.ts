import { describe, expect, it } from 'vitest';
import { boundaryFromContentType, isMultipart, parseBoundary } from '../../src/multipart/boundary.js';
import { ProtocolError } from '../../src/errors.js';

describe('parseBoundary', () => {
  it.each([
    // the WV-V series HTTP API V2.40 §4.9.17
    ['multipart/x-mixed-replace; boundary=myboundary', 'myboundary'],
    // the IP Camera Standard API 5.0.0 §5.4.2: no space after ';'
    ['multipart/x-mixed-replace;boundary=<boundary>', '<boundary>'],
    ['multipart/x-mixed-replace; boundary="--frame"', '--frame'],
    ['multipart/x-mixed-replace; BOUNDARY=abc ; charset=utf-8', 'abc'],
    ['multipart/x-mixed-replace; charset=utf-8; Boundary = "a b\\"c";x=1', 'a b"c'],
    ['multipart/x-mixed-replace; boundary=--myboundary   ', '--myboundary'],
    ['multipart/x-mixed-replace;\tboundary=ffserver', 'ffserver'],
  ])('%s', (ct, want) => {
    expect(parseBoundary(ct)).toBe(want);
    expect(boundaryFromContentType(ct)).toBe(want);
  });

  it.each(['multipart/x-mixed-replace', 'multipart/x-mixed-replace; boundary=', 'multipart/x-mixed-replace; boundary=""', 'text/plain; charset=x'])(
    'none in %s',
    (ct) => {
      expect(parseBoundary(ct)).toBeUndefined();
      expect(() => boundaryFromContentType(ct)).toThrow(ProtocolError);
      try {
        boundaryFromContentType(ct);
      } catch (e) {
        expect((e as ProtocolError).code).toBe('MULTIPART_NO_BOUNDARY');
      }
    },
  );

  it('isMultipart', () => {
    expect(isMultipart('Multipart/X-Mixed-Replace;boundary=x')).toBe(true);
    expect(isMultipart('text/plain')).toBe(false);
  });
});
