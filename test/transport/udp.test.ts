import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { RtpUdpPair } from '../../src/transport/udp.js';
import { ProtocolError } from '../../src/errors.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function sender(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  open.push(s);
  return s;
}

function collect(pair: RtpUdpPair): { rtp: Buffer[]; rtcp: Buffer[]; foreign: string[]; next: () => Promise<void> } {
  const out = { rtp: [] as Buffer[], rtcp: [] as Buffer[], foreign: [] as string[], next: () => Promise.resolve() };
  let wake: (() => void) | undefined;
  out.next = () => new Promise<void>((r) => (wake = r));
  pair.setSink({
    rtp: (d) => (out.rtp.push(d), wake?.()),
    rtcp: (d) => (out.rtcp.push(d), wake?.()),
    foreign: (kind, from) => (out.foreign.push(`${kind}:${from.port}`), wake?.()),
  });
  return out;
}

describe('RtpUdpPair', () => {
  it('binds an even RTP port and the odd port after it', async () => {
    for (let i = 0; i < 4; i++) {
      const p = await RtpUdpPair.bind({ bindAddress: '127.0.0.1' });
      open.push(p);
      expect(p.rtpPort % 2).toBe(0);
      expect(p.rtcpPort).toBe(p.rtpPort + 1);
    }
  });

  it('retries another pair when the odd port is taken', async () => {
    // Take every odd port of a small range: only pairs whose odd port is free can bind.
    const base = 47000 + 2 * Math.floor(Math.random() * 4000);
    const blockers: Socket[] = [];
    for (const port of [base + 1, base + 5]) {
      const b = createSocket('udp4');
      b.bind(port, '127.0.0.1');
      await once(b, 'listening').catch(() => undefined);
      blockers.push(b);
      open.push(b);
    }
    const p = await RtpUdpPair.bind({ bindAddress: '127.0.0.1', portRange: [base, base + 5], attempts: 64 });
    open.push(p);
    expect(p.rtpPort).toBe(base + 2);
    await expect(RtpUdpPair.bind({ bindAddress: '127.0.0.1', portRange: [base + 4, base + 5], attempts: 4 })).rejects.toBeInstanceOf(ProtocolError);
  });

  it("delivers datagrams from the server's ports only; any other sender is counted and dropped", async () => {
    const p = await RtpUdpPair.bind({ bindAddress: '127.0.0.1' });
    open.push(p);
    const got = collect(p);
    const server = await sender();
    const intruder = await sender();
    // Before SETUP's answer every datagram is foreign.
    server.send(Buffer.from('early'), p.rtpPort, '127.0.0.1');
    await got.next();
    p.setPeer({ address: '127.0.0.1', rtpPort: server.address().port, rtcpPort: server.address().port + 1 });
    intruder.send(Buffer.from('evil'), p.rtpPort, '127.0.0.1');
    await got.next();
    server.send(Buffer.from('media'), p.rtpPort, '127.0.0.1');
    await got.next();
    expect(got.rtp.map((b) => b.toString())).toEqual(['media']);
    expect(got.foreign).toEqual([`rtp:${server.address().port}`, `rtp:${intruder.address().port}`]);
    expect(p.stats).toMatchObject({ foreignDatagrams: 2, rtpDatagrams: 1 });
  });

  it('punch sends an RTP header and an empty receiver report to the server ports; sendRtcp reaches its RTCP port', async () => {
    const p = await RtpUdpPair.bind({ bindAddress: '127.0.0.1' });
    open.push(p);
    const srvRtp = await sender();
    const srvRtcp = await sender();
    p.setPeer({ address: '127.0.0.1', rtpPort: srvRtp.address().port, rtcpPort: srvRtcp.address().port });
    const a = once(srvRtp, 'message');
    const b = once(srvRtcp, 'message');
    p.punch(0x01020304);
    const [[rtp, rinfo], [rr]] = (await Promise.all([a, b])) as [[Buffer, { port: number }], [Buffer]];
    expect(rinfo.port).toBe(p.rtpPort);
    expect(rtp.length).toBe(12);
    expect(rtp[0]! >> 6).toBe(2);
    expect([...rr]).toEqual([0x80, 201, 0, 1, 1, 2, 3, 4]);
    const c = once(srvRtcp, 'message');
    expect(p.sendRtcp(Buffer.from('report'))).toBe(true);
    const [[r2, i2]] = (await Promise.all([c])) as [[Buffer, { port: number }]];
    expect(r2.toString()).toBe('report');
    expect(i2.port).toBe(p.rtcpPort);
  });

  it('two receivers of one multicast group on one host both get the stream; leaving stops it', async () => {
    const group = '239.255.77.' + (1 + Math.floor(Math.random() * 200));
    const port = 42000 + 2 * Math.floor(Math.random() * 5000);
    const a = await RtpUdpPair.joinMulticast({ group, ports: [port, port + 1], interfaceAddress: '127.0.0.1', ttl: 1 });
    const b = await RtpUdpPair.joinMulticast({ group, ports: [port, port + 1], interfaceAddress: '127.0.0.1', ttl: 1 });
    open.push(a, b);
    const ga = collect(a);
    const gb = collect(b);
    const server = await sender();
    server.setMulticastInterface('127.0.0.1');
    for (const p of [a, b]) p.setPeer({ address: '127.0.0.1' });
    const both = Promise.all([ga.next(), gb.next()]);
    server.send(Buffer.from('frame'), port, group);
    await both;
    expect(ga.rtp.map(String)).toEqual(['frame']);
    expect(gb.rtp.map(String)).toEqual(['frame']);
    a.close();
    const onlyB = gb.next();
    server.send(Buffer.from('after'), port, group);
    await onlyB;
    expect(ga.rtp.length).toBe(1);
    expect(gb.rtp.map(String)).toEqual(['frame', 'after']);
  });
});
