/**
 * GStreamer's RTSP server (gst-rtsp-server 1.22) over UDP unicast and the RTSP-over-HTTP tunnel:
 * the served file's NAL units byte for byte, and ffmpeg decodes the recording with nothing to say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtspClient, type TransportMode } from '../../src/client/rtsp-client.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { corpusPath } from '../../src/testing/media-source.js';
import { ffmpegDecodeErrors, missing, startGst, type GstServer } from '../support/peers.js';

const skip = missing('gst') || missing('ffmpeg');
const FILE = corpusPath('h264-640x360-25fps.h264');
const want = (): Buffer[] => splitAnnexB(readFileSync(FILE)).map((n) => Buffer.from(n));

/** Takes `units` access units; returns their NAL units and the Annex B bytes. */
async function record(client: RtspClient, units: number): Promise<{ nalus: Buffer[]; bytes: Buffer }> {
  const nalus: Buffer[] = [];
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const f of client.frames()) {
    parts.push(f.data);
    for (const x of splitAnnexB(f.data)) nalus.push(Buffer.from(x));
    if (++n >= units) break;
  }
  return { nalus, bytes: Buffer.concat(parts) };
}

describe.skipIf(skip)('GStreamer RTSP server: UDP, HTTP tunnel', () => {
  let gst: GstServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camstream-gst-tr-'));
    gst = await startGst({
      mounts: { '/file': `filesrc location=${FILE} ! h264parse ! rtph264pay name=pay0 pt=96` },
    });
  });
  afterAll(async () => {
    await gst?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['udp', 'http'] as TransportMode[]) {
    it(`${transport}: the file's first 40 access units byte for byte; ffmpeg decodes the recording cleanly`, async () => {
      const client = new RtspClient(gst.url('/file'), { transport });
      try {
        await client.start();
        expect(client.transport.used).toBe(transport);
        const { nalus, bytes } = await record(client, 40);
        // The first 40 access units of the file, NAL for NAL (the stream is paced at 25 fps).
        expect(nalus.length).toBeGreaterThan(40);
        expect(nalus).toEqual(want().slice(0, nalus.length));
        const file = join(dir, `${transport}.h264`);
        writeFileSync(file, bytes);
        expect(ffmpegDecodeErrors(file)).toBe('');
        if (transport === 'udp') {
          expect(client.tracks[0]!.transport?.serverPort).toBeDefined();
          expect(client.udpStats[0]!.foreignDatagrams).toBe(0);
        }
      } finally {
        await client.close();
      }
    });
  }

  // Multicast is not tested against GStreamer on one host: gst-rtsp-server 1.22 binds the group's
  // ports on 0.0.0.0 without SO_REUSEADDR, so no receiver on the same host can bind them (Linux
  // shares a UDP port only when every socket asks). test/transport/client-transports.test.ts runs
  // two multicast clients against the VirtualCamera, and test/transport/udp.test.ts two receivers of one group.

});
