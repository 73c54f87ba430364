import { cases } from './dh-demux.bench.js';
for (const c of cases().slice(2)) {
  let copied = 0, views = 0, straddle = 0;
  const total = c.chunks.reduce((a, b) => a + b.length, 0);
  // walk packets by re-demuxing with a sink that checks whether payload shares a chunk's buffer
  const bufs = new Set(c.chunks.map((x) => x.buffer));
  const { DhDemuxer } = await import('../src/dh/dh-demuxer.js');
  const { DhavDemuxer } = await import('../src/dh/dhav-demuxer.js');
  const sink = { frame: (f: { payload: Uint8Array }) => { if (bufs.has(f.payload.buffer as ArrayBuffer)) views++; else { straddle++; copied += f.payload.length; } } };
  const d = c.name.includes('DHAV') ? new DhavDemuxer(sink, { transientPayload: true }) : new DhDemuxer(sink, { transientPayload: true });
  for (const ch of c.chunks) d.push(ch);
  d.end();
  console.log(c.name, 'total', total, 'copied', copied, (100 * copied / total).toFixed(1) + '%', 'straddling frames', straddle, 'views', views, 'chunks', c.chunks.length);
}
