import { describe, expect, it } from 'vitest';
import { decodeEventDataPart, decodeIoStatus, parseEventData, parseFaceRects } from '../../../src/http/events/eventdata.js';

describe('the IP Camera Standard API 5.0.0 eventdata.cgi (§5.4.2)', () => {
  it('Motion groups with trailing spaces', () => {
    const s = parseEventData('Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0; \r\nMotion1:Enabled=0; \r\n\r\n');
    expect(s.motion).toEqual({
      Motion: { enabled: true, level: 0, sensitivity: 80, triggered: false },
      Motion1: { enabled: false },
    });
    expect(parseEventData('Motion:Enabled=0;\r\nMotion2:Enabled=1;Level=15;Sensitivity=80;Triggered=0;\r\n').motion.Motion2).toEqual({
      enabled: true, level: 15, sensitivity: 80, triggered: false,
    });
  });

  it('IO:Status hex bit fields per input/output', () => {
    const s = parseEventData('Motion:Enabled=1;Level=0;Sensitivity=80;Triggered=0;\r\nMotion1:Enabled=0; \r\nIO:Status=00000100000000;\r\n\r\n');
    expect(s.io!.raw).toBe('00000100000000');
    // XX2 = 01: Output1 closed, everything else open/disabled.
    expect(s.io!.outputs[0]).toEqual({ n: 1, closed: true, activeClosed: false, active: false });
    expect(s.io!.outputs.slice(1).every((o) => o.closed === false)).toBe(true);
    expect(s.io!.inputs.every((i) => i.enabled === false && i.closed === false)).toBe(true);
    // The IP Camera Standard API 5.0.0 §5.4.2's own example: a2 => 10100010 means Input8, 6 and 2 are enabled.
    const io = decodeIoStatus('a2000000000000');
    expect(io.inputs.filter((i) => i.enabled).map((i) => i.n)).toEqual([2, 6, 8]);
    expect(decodeIoStatus('ff').inputs[7]).toEqual({ n: 8, enabled: true, closed: undefined, normallyClosed: undefined, active: undefined });
  });

  it('Face rectangles, including the value wrapped onto the next line', () => {
    const s = parseEventData('Face:Enabled=1;H264_Face=2 0.5_0.4_0.2_0.3,0.8_0.1_0.2_0.3;H264_2_Face=2\n0.5_0.4_0.2_0.3,0.7_0.5_0.2_0.3\r\n');
    expect(s.face).toEqual({
      enabled: true,
      streams: {
        H264_Face: [{ x: 0.5, y: 0.4, w: 0.2, h: 0.3 }, { x: 0.8, y: 0.1, w: 0.2, h: 0.3 }],
        H264_2_Face: [{ x: 0.5, y: 0.4, w: 0.2, h: 0.3 }, { x: 0.7, y: 0.5, w: 0.2, h: 0.3 }],
      },
    });
    expect(decodeEventDataPart({ body: Buffer.from('Face:Enabled=1;H264_Face=0;H264_2_Face=0;\r\n') }).face).toEqual({
      enabled: true, streams: { H264_Face: [], H264_2_Face: [] },
    });
    expect(parseFaceRects('1 0.1_0.2_bad_0.3,0.1_0.2_0.3_0.4')).toEqual([{ x: 0.1, y: 0.2, w: 0.3, h: 0.4 }]);
  });

  it('tampering T0', () => {
    expect(parseEventData('T0:Enabled=1;Triggered=1;\r\n').tampering).toEqual({ enabled: true, triggered: true });
  });
});
