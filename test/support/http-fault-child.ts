/**
 * Child process of the HTTP fault matrix (test/client/http-fault-matrix.test.ts): runs one client
 * call against a misbehaving loopback server and prints one JSON line: the error code it ended
 * with, how long it took, peak memory and the handles still open after close. The process must then
 * exit on its own: a leaked socket or timer keeps it alive, which the parent sees.
 */
import { CameraHttp } from '../../src/client/camera-http.js';
import { httpRequest } from '../../src/client/http-client.js';
import { ProtocolError } from '../../src/errors.js';

interface Job {
  call: 'request' | 'cgi' | 'mjpeg' | 'post';
  url: string;
  options?: Record<string, number>;
}

const job = JSON.parse(process.argv[2]!) as Job;
const o = { idleTimeoutMs: 1500, headTimeoutMs: 1500, ...job.options };
const t0 = performance.now();
let code = 'ok';
let message = '';
let context = '';

async function run(): Promise<void> {
  switch (job.call) {
    case 'request': {
      const r = await httpRequest(job.url, o);
      await r.bytes(64 * 1024 * 1024);
      return;
    }
    case 'cgi': {
      await new CameraHttp(job.url, o).cgi('/cgi-bin/magicBox.cgi', { action: 'getSystemInfo' });
      return;
    }
    case 'mjpeg': {
      const s = await new CameraHttp(job.url, o).mjpeg();
      for await (const f of s) void f;
      return;
    }
    case 'post': {
      // 256 MiB offered to a server that never reads: backpressure must hold it back.
      const chunk = new Uint8Array(1024 * 1024);
      async function* body(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 256; i++) yield chunk;
      }
      const r = await httpRequest(job.url, { ...o, method: 'POST', body: body(), headers: { 'Content-Type': 'Audio/G.711A' } });
      await r.text();
      return;
    }
  }
}

try {
  await run();
} catch (e) {
  code = e instanceof ProtocolError ? e.code : `not a ProtocolError: ${String(e)}`;
  message = e instanceof Error ? e.message : String(e);
  context = e instanceof ProtocolError ? JSON.stringify(e.context) : '';
}
const ms = Math.round(performance.now() - t0);
// Let close handlers run, then list what is still open (stdio pipes are not ours).
await new Promise((r) => setTimeout(r, 20));
const handles = process.getActiveResourcesInfo().filter((h) => h !== 'TTYWrap' && h !== 'PipeWrap');
process.stdout.write(JSON.stringify({ code, message, context, ms, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), handles }) + '\n');
