import { describe, expect, it } from 'vitest';
import { decodeAttachPart, parseAttachLine, parseAttachText } from '../../../src/http/events/attach-events.js';

describe('the WV-V series HTTP API V2.40 eventManager.cgi?action=attach parts', () => {
  it('the example lines of the WV-V series HTTP API V2.40 §4.9.17', () => {
    expect(parseAttachLine('Code=VideoMotion; action=Start; index=0')).toEqual({
      kind: 'event', code: 'VideoMotion', action: 'Start', index: 0,
      fields: { Code: 'VideoMotion', action: 'Start', index: '0' },
    });
    expect(parseAttachLine('Code=VideoBlind; action=Start; index=0')).toMatchObject({ code: 'VideoBlind', action: 'Start', index: 0 });
    // "Code= MDResult" with a space; the data list is cut with "…" in the document: kept as text.
    expect(parseAttachLine('Code= MDResult; action=Pulse; index=0; data=61708863,61708863…')).toMatchObject({
      code: 'MDResult', action: 'Pulse', index: 0, data: '61708863,61708863…',
    });
  });
  it('MDResult row masks as numbers, JSON data with ";" inside, Stop, heartbeat', () => {
    expect(parseAttachLine('Code=MDResult;action=Pulse;index=1;data=61708863,61708863,0')).toMatchObject({ index: 1, data: [61708863, 61708863, 0] });
    expect(parseAttachLine('Code=VideoMotion;action=Stop;index=2;data={"RegionName":["a;b"],"Id":[0]}')).toMatchObject({
      action: 'Stop', index: 2, data: { RegionName: ['a;b'], Id: [0] },
    });
    expect(parseAttachLine('Code=X;action=Start;index=0;data={broken')).toMatchObject({ data: '{broken' });
    expect(parseAttachText('Heartbeat\r\n')).toEqual([{ kind: 'heartbeat' }]);
    expect(parseAttachLine('garbage')).toBeUndefined();
    expect(parseAttachLine('code=AlarmLocal;ACTION=Start')).toMatchObject({ code: 'AlarmLocal', action: 'Start', index: -1 });
  });
  it('a multipart body (with the trailing CRLF a fallback body keeps)', () => {
    const body = Buffer.from('Code= MDResult; action=Pulse; index=0; data=1,2\r\n');
    expect(decodeAttachPart({ body })).toEqual([
      { kind: 'event', code: 'MDResult', action: 'Pulse', index: 0, data: [1, 2], fields: { Code: 'MDResult', action: 'Pulse', index: '0', data: '1,2' } },
    ]);
  });
});
