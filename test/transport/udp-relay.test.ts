/**
 * Loss, reordering and duplicates between a camera and the client over UDP, made by a relay
 * (test/support/udp-relay.ts): every access unit that arrived whole is delivered, in order, byte
 * for byte; every unit with a hole is dropped (default) or delivered flagged ('flag'); duplicates
 * never reach the depacketizer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RtspClient, type RtspFrame } from '../../src/client/rtsp-client.js';
import { VirtualCamera } from '../../src/testing/virtual-camera.js';
import { loadH264 } from '../../src/testing/media-source.js';
import { splitAnnexB } from '../../src/codec/annex-b.js';
import { UdpRelay, type RelayAction } from '../support/udp-relay.js';
import { H264Packetizer } from '../../src/codec/h264/packetizer.js';

const media = loadH264();
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/**
 * Drops only inside units (never a unit's first or last packet): a gap at a unit boundary cannot be
 * told from the next unit's head going missing, so the depacketizer rightly distrusts that unit too.
 * The camera packetizes deterministically (H264Packetizer, 1400-byte payloads): count per unit.
 */
const perUnit = media.units.slice(0, 41).map((u) => new H264Packetizer({ maxPayloadSize: 1400 }).packetize(u, 0).length);
const interior: number[] = [];
perUnit.reduce((first, n) => {
  if (n >= 3) interior.push(first + (n >> 1));
  return first + n;
}, 0);
const DROP = new Set(interior.filter((i) => i > 0).filter((_, k) => k % 2 === 0).slice(0, 4));
const DUP = new Set([3, 12, 25, 40, 61].filter((i) => !DROP.has(i)));
const HOLD = new Map<number, number>(
  [
    [9, 2],
    [20, 1],
    [44, 4],
    [66, 3],
  ].filter(([i]) => !DROP.has(i!) && !DUP.has(i!)) as [number, number][],
);
const plan = (i: number): RelayAction => (DROP.has(i) ? 'drop' : DUP.has(i) ? 'dup' : HOLD.has(i) ? { hold: HOLD.get(i)! } : 'pass');

/** Units (by RTP timestamp, in send order) and whether each lost a packet on the way. */
function units(sent: Buffer[]): { ts: number; whole: boolean }[] {
  const out: { ts: number; whole: boolean }[] = [];
  sent.forEach((p, i) => {
    const ts = p.readUInt32BE(4);
    if (out.at(-1)?.ts !== ts) out.push({ ts, whole: true });
    if (DROP.has(i)) out.at(-1)!.whole = false;
  });
  return out;
}

async function run(lossMode: 'drop' | 'flag'): Promise<{ frames: RtspFrame[]; relay: UdpRelay; client: RtspClient; last: number }> {
  const cam = await new VirtualCamera({ pace: 'realtime' }).start();
  cleanup.push(() => cam.stop());
  const relay = await new UdpRelay({ target: { host: '127.0.0.1', port: cam.port }, plan }).start();
  cleanup.push(() => relay.stop());
  const client = new RtspClient(relay.url('/cam'), { transport: 'udp', lossMode });
  cleanup.push(() => client.close());
  await client.start();
  // Until the frame of unit LAST: every planned impairment lies before it.
  const LAST = 40;
  const frames: RtspFrame[] = [];
  for await (const f of client.frames()) {
    frames.push(f);
    const u = units(relay.sent[0]!);
    if (u.length > LAST && f.timestamp === u[LAST]!.ts) break;
  }
  return { frames, relay, client, last: LAST };
}

describe('UDP through an impairing relay', () => {
  it('drop mode: exactly the whole units, in order, byte for byte; holes dropped; duplicates dropped', async () => {
    expect(DROP.size).toBeGreaterThanOrEqual(2);
    const { frames, relay, client, last } = await run('drop');
    const u = units(relay.sent[0]!).slice(0, last + 1);
    expect(Math.max(...DROP, ...DUP, ...HOLD.keys())).toBeLessThan(relay.sent[0]!.findIndex((p) => p.readUInt32BE(4) === u[last]!.ts));
    const want = u.map((x, i) => ({ ...x, i })).filter((x) => x.whole);
    expect(u.some((x) => !x.whole)).toBe(true);
    expect(frames.map((f) => f.timestamp)).toEqual(want.map((x) => x.ts));
    frames.forEach((f, k) => expect(splitAnnexB(f.data).map((n) => Buffer.from(n))).toEqual(media.units[want[k]!.i]!.map((n) => Buffer.from(n))));
    // The frame after a dropped unit says references may be missing.
    const afterHole = want.filter((x, k) => k > 0 && x.i !== want[k - 1]!.i + 1).map((x) => x.ts);
    for (const f of frames) if (afterHole.includes(f.timestamp)) expect(f.discontinuity).toBe(true);
    const s = client.udpStats[0]!.udp;
    expect(s.duplicates).toBe(DUP.size);
    expect(s.reordered).toBeGreaterThanOrEqual(HOLD.size);
    expect(client.stats.lostPackets).toBe(DROP.size);
    expect(client.stats.duplicatePackets).toBe(0);
  });

  it("flag mode: units with a hole arrive flagged `loss`, whole ones unflagged and byte for byte", async () => {
    const { frames, relay } = await run('flag');
    const u = units(relay.sent[0]!);
    for (const f of frames) {
      const i = u.findIndex((x) => x.ts === f.timestamp);
      expect(i).toBeGreaterThanOrEqual(0);
      if (u[i]!.whole) {
        expect(f.loss).toBe(false);
        expect(splitAnnexB(f.data).map((n) => Buffer.from(n))).toEqual(media.units[i]!.map((n) => Buffer.from(n)));
      } else expect(f.loss).toBe(true);
    }
    expect(frames.some((f) => f.loss)).toBe(true);
  });
});
