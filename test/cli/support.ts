/** Runs the built `camstream` binary as a child process (what a user runs), with helpers to wait on its output. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const haveBin = existsSync(BIN);
if (!haveBin && process.env['CI']) throw new Error('dist/ is missing in CI: npm run build');
if (!haveBin) console.warn('skipping CLI process tests: dist/ is missing (npm run build)');

export interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: Buffer[];
  stderr: () => string;
  /** Resolves when stderr contains `text` (rejects if the process ends first). */
  waitStderr(text: string | RegExp): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: Buffer; err: string }>;
}

export function start(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: Uint8Array } = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
  const stdout: Buffer[] = [];
  let err = '';
  const waiters: { test: (s: string) => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stdout.on('error', () => undefined);
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) (w.test(err) ? w.resolve : () => waiters.push(w))();
  });
  if (opts.stdin) child.stdin.end(opts.stdin);
  else child.stdin.end();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: Buffer; err: string }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`process ended before stderr matched; stderr: ${err}`));
      resolve({ code, signal, out: Buffer.concat(stdout), err });
    }),
  );
  return {
    child,
    stdout,
    stderr: () => err,
    waitStderr(text) {
      const test = (s: string): boolean => (typeof text === 'string' ? s.includes(text) : text.test(s));
      if (test(err)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => waiters.push({ test, resolve, reject }));
    },
    done,
  };
}

/** Runs to the end. */
export function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: Uint8Array } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: Buffer; err: string }> {
  return start(args, opts).done;
}

/** Starts, and closes the read end of its stdout after the first `bytes` bytes (like `| head -c N`). */
export function runAndCloseStdout(args: string[], bytes: number): Promise<{ code: number | null; out: Buffer; err: string }> {
  const r = start(args);
  let got = 0;
  r.child.stdout.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= bytes) r.child.stdout.destroy();
  });
  return r.done;
}
