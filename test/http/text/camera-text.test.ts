import { describe, expect, it } from 'vitest';
import {
  cameraErrorToProtocolError,
  isOk,
  parseCameraError,
  parseKeyValues,
  parseRootParams,
  parseTable,
} from '../../../src/http/text/camera-text.js';

describe('the IP Camera Standard API 5.0.0 param.cgi text', () => {
  it('root.Group.Name=value lines (bare LF, §5.1.1.3)', () => {
    const r = parseRootParams('root.Network.IPAddress=192.168.0.250\nroot.Network.SubnetMask=255.255.255.0\n');
    expect(r.params).toEqual({ 'root.Network.IPAddress': '192.168.0.250', 'root.Network.SubnetMask': '255.255.255.0' });
    expect(r.error).toBeUndefined();
  });
  it('# Error: <description>', () => {
    expect(parseRootParams('# Error: Invalid parameter value\n').error).toBe('Invalid parameter value');
    expect(parseCameraError('# Error: Invalid parameter value\n')).toEqual({ detail: 'Invalid parameter value' });
    expect(parseCameraError('Error: no such group\r\n')).toEqual({ detail: 'no such group' });
  });
});

describe('the WV-V series HTTP API V2.40 text', () => {
  it('Error\\r\\nErrorID=<n>, Detail=<text> (§3.3, §3.5 example)', () => {
    expect(parseCameraError('Error\r\nErrorID=2, Detail= Invalid Request! \r\n')).toEqual({ errorId: 2, detail: 'Invalid Request!' });
    expect(parseCameraError('Error\nErrorID=4,Detail=Request invalid param!\n')).toEqual({ errorId: 4, detail: 'Request invalid param!' });
    expect(parseCameraError('Error\r\nErrorID=0\r\n')).toEqual({ errorId: 0, detail: 'Invalid Authority!' });
    expect(parseCameraError('Error\r\n')).toEqual({ detail: '' });
    expect(parseCameraError('OK\r\n')).toBeUndefined();
    expect(parseCameraError('result=1\r\n')).toBeUndefined();
  });
  it('camera error becomes HTTP_CAMERA_ERROR', () => {
    const e = cameraErrorToProtocolError({ errorId: 2, detail: 'Invalid Request!' }, { path: '/cgi-bin/x.cgi' });
    expect(e.code).toBe('HTTP_CAMERA_ERROR');
    expect(e.context).toMatchObject({ errorId: 2, detail: 'Invalid Request!', path: '/cgi-bin/x.cgi' });
  });
  it('OK and key=value', () => {
    expect(isOk('OK\r\n')).toBe(true);
    expect(isOk('OK \n\n')).toBe(true);
    expect(isOk('Error\r\n')).toBe(false);
    expect(parseKeyValues('streamId=3\r\n\r\nresult=1 \noperateId=1\n')).toEqual({ streamId: '3', result: '1', operateId: '1' });
  });
  it('table.A[0].B=value into nested objects/arrays (getConfig answers)', () => {
    const t = parseTable(
      'table.Encode[0].MainFormat[0].Audio.Compression=G.711 A-law\r\n' +
        'table.Encode[0].MainFormat[0].Audio.Channels[0]=0\r\n' +
        'table.Encode[0].MainFormat[1].Video.FPS=18\r\n' +
        ' table.Encode[0].MainFormat[1].Video.CustomResolutionName=1080P \r\n' +
        'table.Snap[0].TimeSection[0][1]=0 00:00:00-23:59:59\n' +
        'table.Snap[0].HolidayEnable=false\n' +
        'caps.AlarmOutEnable=true\n' +
        'channels[0]=0\nchannels[1]=2\n channels[2]=3 \n' +
        'table. Snap[channel].TimeSection[weekday][configNo]=1 00:00:00-23:59:59\n' +
        '__proto__.polluted=1\n',
    );
    expect(t).toEqual({
      table: {
        Encode: [{ MainFormat: [{ Audio: { Compression: 'G.711 A-law', Channels: ['0'] } }, { Video: { FPS: '18', CustomResolutionName: '1080P' } }] }],
        Snap: [{ TimeSection: [[undefined, '0 00:00:00-23:59:59']], HolidayEnable: 'false' }],
      },
      caps: { AlarmOutEnable: 'true' },
      channels: ['0', '2', '3'],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('conflicting and huge-index lines are skipped', () => {
    expect(parseTable('a.b=1\na.b.c=2\nx[999999]=1\n')).toEqual({ a: { b: '1' } });
  });
});
