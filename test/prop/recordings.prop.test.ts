import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../src/errors.js';
import { parseFindNextFile, parseFinderCreate, parseStorageList, type MediaFile } from '../../src/http/text/recordings.js';
import { PROP_RUNS } from '../support/prop.js';

const item = fc.record({
  channel: fc.integer({ min: 0, max: 64 }),
  start: fc.date({ min: new Date(2000, 0, 1), max: new Date(2037, 11, 31) }),
  seconds: fc.integer({ min: 1, max: 86_400 }),
  type: fc.constantFrom('dav', 'jpg', 'mp4'),
  events: fc.array(fc.constantFrom('AlarmLocal', 'VideoMotion', 'VideoLoss', 'VideoBlind'), { maxLength: 3 }),
  stream: fc.constantFrom('Main', 'Extra1'),
  path: fc.stringMatching(/^\/mnt\/dvr\/sda[01]\/[0-9a-z/.:[\]@-]{1,40}$/),
  size: fc.integer({ min: 0, max: 2 ** 40 }),
});
type Item = typeof item extends fc.Arbitrary<infer T> ? T : never;

const t = (d: Date): string => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;

/** A findNextFile page in the document's layout, with a choice of line ends and spacing. */
function page(items: Item[], eol: string, sp: string): string {
  let s = `found=${items.length}${eol}`;
  items.forEach((r, i) => {
    const it = `items[${i}].${sp}`;
    const end = new Date(r.start.getTime() + r.seconds * 1000);
    s += `${sp}${it}Channel${sp}=${r.channel}${eol}${it}StartTime${sp}=${t(r.start)}${eol}${it}EndTime${sp}=${t(end)}${eol}${it}Type${sp}=${r.type}${eol}`;
    r.events.forEach((e, k) => (s += `${it}Events[${k}]=${e}${eol}`));
    s += `${it}VideoStream=${r.stream}${eol}${it}FilePath${sp}=${r.path}${eol}${it}Length${sp}=${r.size}${eol}${it}Duration${sp}=${sp}${r.seconds}${eol}`;
  });
  return s;
}

function onlyProtocolErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
  }
}

describe('mediaFileFind text parser properties', () => {
  it('build -> parse round trips (CRLF or LF, with or without the document spacing)', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), fc.constantFrom('\r\n', '\n'), fc.constantFrom('', ' '), (items, eol, sp) => {
        const r = parseFindNextFile(page(items, eol, sp));
        expect(r.found).toBe(items.length);
        expect(r.items.length).toBe(items.length);
        r.items.forEach((f: MediaFile, i) => {
          const src = items[i]!;
          expect(f.channel).toBe(src.channel);
          expect(f.start!.getTime()).toBe(Math.floor(src.start.getTime() / 1000) * 1000);
          expect(f.type).toBe(src.type);
          expect(f.events).toEqual(src.events);
          expect(f.filePath).toBe(src.path);
          expect(f.size).toBe(src.size);
          expect(f.duration).toBe(src.seconds);
        });
      }),
      { numRuns: PROP_RUNS },
    );
  });

  it('random and mutated input: values or ProtocolErrors only, bounded output', () => {
    const mutated = fc
      .tuple(fc.array(item, { maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 127 }), fc.nat(3)), { maxLength: 6 }))
      .map(([items, muts]) => {
        const chars = [...page(items, '\r\n', ' ')];
        for (const [at, c, kind] of muts) {
          if (chars.length === 0) break;
          const i = at % chars.length;
          if (kind === 0) chars[i] = String.fromCharCode(c);
          else if (kind === 1) chars.splice(i, 1);
          else if (kind === 2) chars.splice(i, 0, String.fromCharCode(c));
          else chars.length = i;
        }
        return chars.join('');
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 300 }), fc.stringMatching(/^(found|items\[\d{1,7}\]\. ?[A-Za-z]{1,10}(\[\d\])?) ?= ?[\w :/.-]{0,20}(\r?\n)$/)), (text) => {
        onlyProtocolErrors(() => {
          const r = parseFindNextFile(text);
          expect(r.items.length).toBeLessThanOrEqual(1000);
          for (const f of r.items) {
            if (f.start) expect(Number.isNaN(f.start.getTime())).toBe(false);
            if (f.size !== undefined) expect(Number.isSafeInteger(f.size)).toBe(true);
          }
        });
        onlyProtocolErrors(() => parseFinderCreate(text));
        onlyProtocolErrors(() => parseStorageList(text));
      }),
      { numRuns: PROP_RUNS * 3 },
    );
  });
});
