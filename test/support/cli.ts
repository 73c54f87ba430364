/** Runs the camstream CLI in-process with captured stdio. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/registry.js';

export async function cli(argv: string[], stdin?: Buffer): Promise<{ code: number; out: string; err: string }> {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() };
  let out = '';
  let err = '';
  io.stdout.on('data', (d: Buffer) => (out += d.toString()));
  io.stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (stdin) io.stdin.end(stdin);
  else io.stdin.end();
  const code = await runCli(argv, io);
  return { code, out, err };
}
