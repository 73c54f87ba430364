import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { findFileParams, formatFindTime, parseCameraTime, parseFindNextFile, parseFinderCreate, parseStorageList } from '../../../src/http/text/recordings.js';

// The WV-V series HTTP API V2.40 §4.11.5 findNextFile answer, spacing as printed.
const DOC_PAGE = 'found=1\r\n items[0]. Channel =1\r\nitems[0]. StartTime =2011-1-1 12:00:00\r\nitems[0]. EndTime =2011-1-1 13:00:00\r\nitems[0]. Type =dav\r\nitems[0]. Events[0]=AlarmLocal\r\nitems[0]. VideoStream=Main\r\nitems[0]. FilePath =/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg\r\nitems[0]. Length =790\r\nitems[0]. Duration = 3600\r\n';

describe('mediaFileFind text (WV-V series HTTP API V2.40 §4.11.5)', () => {
  it('factory.create: "result= <id>" with its space; the id kept as text', () => {
    expect(parseFinderCreate('result= 2086170840\r\n')).toBe('2086170840');
    expect(parseFinderCreate('result=08137\n')).toBe('08137');
    expect(() => parseFinderCreate('OK\r\n')).toThrow(ProtocolError);
  });

  it("findNextFile: the document's example item, field by field", () => {
    const r = parseFindNextFile(DOC_PAGE);
    expect(r.found).toBe(1);
    expect(r.items).toEqual([
      {
        channel: 1,
        start: new Date(2011, 0, 1, 12, 0, 0),
        end: new Date(2011, 0, 1, 13, 0, 0),
        startText: '2011-1-1 12:00:00',
        endText: '2011-1-1 13:00:00',
        type: 'dav',
        events: ['AlarmLocal'],
        flags: [],
        videoStream: 'Main',
        filePath: '/mnt/dvr/sda0/2010/8/11/dav/15:40:50.jpg',
        size: 790,
        duration: 3600,
      },
    ]);
  });

  it('findNextFile: bare LF, items out of order, several events, the end of the search', () => {
    const r = parseFindNextFile('found=2\nitems[1].Type=mp4\nitems[0].Type=dav\nitems[1].Events[1]=VideoMotion\nitems[1].Events[0]=AlarmLocal\nitems[0].Length=abc\n');
    expect(r.items.map((f) => f.type)).toEqual(['dav', 'mp4']);
    expect(r.items[1]!.events).toEqual(['AlarmLocal', 'VideoMotion']);
    expect(r.items[0]!.size).toBeUndefined();
    expect(parseFindNextFile('found=0\r\n')).toEqual({ found: 0, items: [] });
  });

  it('findNextFile: no found=, a bad count or an absurd index is HTTP_BAD_RESPONSE', () => {
    for (const t of ['items[0]. Type =dav\r\n', 'found=many\r\n', 'found=1\r\nitems[5000000]. Type=dav\r\n', 'found=99999\r\n']) {
      expect(() => parseFindNextFile(t)).toThrow(expect.objectContaining({ code: 'HTTP_BAD_RESPONSE' }) as Error);
    }
  });

  it('findFile request: the conditions as the document writes them', () => {
    const q = findFileParams({ channel: 1, dirs: ['/mnt/dvr/sda0'], types: ['dav'], events: ['AlarmLocal', 'VideoMotion'], start: '2014-1-1 12:00:00', end: new Date(2015, 0, 10, 12, 0, 0), videoStream: 'Main' });
    expect(q).toBe(
      '&condition.Channel=1&condition.Dirs[0]=/mnt/dvr/sda0&condition.Types[0]=dav&condition.Events[0]=AlarmLocal&condition.Events[1]=VideoMotion' +
        '&condition.StartTime=2014-1-1%2012:00:00&condition.EndTime=2015-1-10%2012:00:00&condition.VideoStream=Main',
    );
    expect(() => findFileParams({ channel: 0, start: '2014-1-1 12:00:00', end: '2014-1-2 12:00:00' })).toThrow(/from 1/);
    expect(formatFindTime(new Date(2024, 11, 31, 8, 5, 9))).toBe('2024-12-31 08:05:09');
  });

  it('camera times: unpadded fields, local time, invalid dates refused', () => {
    expect(parseCameraTime('2011-1-1 12:00:00')).toEqual(new Date(2011, 0, 1, 12, 0, 0));
    expect(parseCameraTime('2024-01-31T08:00:00')).toEqual(new Date(2024, 0, 31, 8, 0, 0));
    for (const bad of ['2011-2-30 12:00:00', '2011-13-1 00:00:00', '2011-1-1 25:00:00', 'yesterday', '']) expect(parseCameraTime(bad)).toBeUndefined();
  });
});

describe('storagemanagement list (IP Camera Standard API 5.0.0 §5.1.5)', () => {
  it('one name per line; times from A_YYYYMMDD_HHMMSS names; sizes and filename= accepted; # lines skipped', () => {
    expect(parseStorageList('A_20110101_010101.avi\nfilename=M_20110102_083000.avi 2048\r\n# comment\nnotes.txt\n\n')).toEqual([
      { name: 'A_20110101_010101.avi', start: new Date(2011, 0, 1, 1, 1, 1), size: undefined },
      { name: 'M_20110102_083000.avi', start: new Date(2011, 0, 2, 8, 30, 0), size: 2048 },
      { name: 'notes.txt', start: undefined, size: undefined },
    ]);
  });
});
