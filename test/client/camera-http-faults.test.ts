import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { CameraHttp, type MjpegFrame, type MjpegStream } from '../../src/client/camera-http.js';
import { ProtocolError } from '../../src/errors.js';
import { scriptedHttp, until } from '../support/scripted-http.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(300, 0x11), Buffer.from([0xff, 0xd9])]);
const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=myboundary\r\n\r\n';
const part = (body: Buffer, declared = body.length): Buffer => Buffer.concat([Buffer.from(`--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: ${declared}\r\n\r\n`), body, Buffer.from('\r\n')]);

/** Iterates to the end; returns the frames and the error the iteration ended with (if any). */
async function drain(s: MjpegStream): Promise<{ frames: MjpegFrame[]; error?: ProtocolError }> {
  const frames: MjpegFrame[] = [];
  try {
    for await (const f of s) frames.push(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return { frames, error: e as ProtocolError };
  }
  return { frames };
}

async function mjpegAgainst(script: (s: Socket) => void, o: Parameters<CameraHttp['mjpeg']>[0] = {}): Promise<{ frames: MjpegFrame[]; error?: ProtocolError; dropped: number }> {
  const srv = await scriptedHttp(script);
  try {
    const s = await new CameraHttp(srv.url()).mjpeg(o);
    const r = await drain(s);
    await until(() => srv.open() === 0);
    return { ...r, dropped: s.stats.dropped };
  } finally {
    await srv.close();
  }
}

describe('CameraHttp.mjpeg: a broken stream is an error, never a normal end', () => {
  it('a part cut short by the end of the stream: the whole frames, then TRUNCATED', async () => {
    const r = await mjpegAgainst((s) => s.end(Buffer.concat([Buffer.from(HEAD), part(JPEG), part(JPEG).subarray(0, 120)])));
    expect(r.frames.length).toBe(1);
    expect(Buffer.from(r.frames[0]!.jpeg).equals(JPEG)).toBe(true);
    expect(r.error?.code).toBe('TRUNCATED');
  });

  it('a boundary that never comes (the connection stays open): MULTIPART_BAD_DELIMITER once the preamble cap is passed', async () => {
    const r = await mjpegAgainst((s) => {
      s.write(HEAD);
      s.write(Buffer.alloc(100 * 1024, 0x41)); // the server never closes: only the client can end this
    });
    expect(r.frames.length).toBe(0);
    expect(r.error?.code).toBe('MULTIPART_BAD_DELIMITER');
  });

  it('a boundary that never comes before the close: MULTIPART_BAD_DELIMITER, also with partErrors "skip"', async () => {
    for (const partErrors of ['throw', 'skip'] as const) {
      const r = await mjpegAgainst((s) => s.end(HEAD + 'no delimiter here'), { partErrors });
      expect(r.frames.length).toBe(0);
      expect(r.error?.code).toBe('MULTIPART_BAD_DELIMITER');
    }
  });

  it('a part over maxFrameSize: MULTIPART_PART_TOO_LARGE; with partErrors "skip" it is counted and the stream goes on', async () => {
    const big = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5000, 0x22), Buffer.from([0xff, 0xd9])]);
    const body = Buffer.concat([Buffer.from(HEAD), part(JPEG), part(big), part(JPEG), Buffer.from('--myboundary--\r\n')]);
    const thrown = await mjpegAgainst((s) => s.end(body), { maxFrameSize: 1000 });
    expect(thrown.frames.length).toBe(1);
    expect(thrown.error?.code).toBe('MULTIPART_PART_TOO_LARGE');
    const skipped = await mjpegAgainst((s) => s.end(body), { maxFrameSize: 1000, partErrors: 'skip' });
    expect(skipped.error).toBeUndefined();
    expect(skipped.frames.length).toBe(2);
    expect(skipped.dropped).toBe(1);
  });

  it('a clean stream with its close delimiter ends normally', async () => {
    const r = await mjpegAgainst((s) => s.end(Buffer.concat([Buffer.from(HEAD), part(JPEG), part(JPEG), Buffer.from('--myboundary--\r\n')])));
    expect(r.error).toBeUndefined();
    expect(r.frames.length).toBe(2);
  });
});
