/**
 * The `camstream` command registry and the rules every command shares. To add a command, create
 * `src/cli/commands/<name>.ts` exporting `summary` and `run(argv, io)` (and `handlesSignals` when it
 * ends cleanly on `io.signal`), and add one line to COMMANDS.
 *
 * Shared rules, applied here so no command can forget them:
 * - exit status (EXIT below): 0 done (also: stopped by Ctrl-C/SIGTERM, or the reader of stdout left),
 *   1 failed (camera, network, protocol, input), 2 wrong usage;
 * - an error is one line on stderr, `camstream <command>: <CODE>: <message>`; with `--json` also one JSON
 *   object `{"error":{"code","message","exitCode"}}` on stdout;
 * - a closed stdout (`| head`) stops the command quietly with status 0;
 * - no password given on the command line is ever printed: every text line passes a scrubber that knows
 *   them (plain, percent-encoded, base64 `user:password`), on top of each command's own redaction.
 */
import { readFileSync } from 'node:fs';
import { ProtocolError } from '../errors.js';
import { UsageError } from './args.js';
import { isClosedPipe, type CliCommand, type CliIo, type StopReason } from './io.js';
import { ScrubbingStream, secretsFromArgs, shownArg } from './redact.js';

const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  demux: () => import('./commands/demux.js'),
  mjpeg: () => import('./commands/mjpeg.js'),
  events: () => import('./commands/events.js'),
  probe: () => import('./commands/probe.js'),
  record: () => import('./commands/record.js'),
  demo: () => import('./commands/demo.js'),
  dump: () => import('./commands/dump.js'),
  replay: () => import('./commands/replay.js'),
  recordings: () => import('./commands/recordings.js'),
  talk: () => import('./commands/talk.js'),
};

/** Exit statuses of every command (README "Command line"). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** The package version, from the package.json next to dist/ (or src/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): Promise<string> {
  return Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).summary}`)).then(
    (lines) =>
      `usage: camstream <command> [options]\n       camstream --version\n\ncommands:\n${lines.join('\n')}\n\n` +
      'Run `camstream <command> --help` for a command\'s options.\n' +
      'Exit status: 0 done (also after Ctrl-C, or when the reader of stdout leaves), 1 failed, 2 wrong usage.\n',
  );
}

/** `{"error":{...}}`: what `--json` prints for a failure. */
export function jsonError(e: unknown, exitCode: number): string {
  const code = e instanceof ProtocolError ? e.code : e instanceof UsageError ? 'USAGE' : 'ERROR';
  return JSON.stringify({ error: { code, message: errorText(e), exitCode } }) + '\n';
}

/** The message of an error without a repeated code prefix. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface RunOptions {
  /** Turn SIGINT/SIGTERM into `io.signal` for commands that handle it (the binary sets this). */
  processSignals?: boolean;
}

export async function runCli(argv: string[], rawIo: CliIo, opts: RunOptions = {}): Promise<number> {
  const secrets = secretsFromArgs(argv);
  const stdout = new ScrubbingStream(rawIo.stdout, secrets);
  const stderr = new ScrubbingStream(rawIo.stderr, secrets);
  const stop = new AbortController();
  let outputClosed = false;
  stdout.on('error', (e) => {
    if (isClosedPipe(e)) outputClosed = true;
    if (!stop.signal.aborted) stop.abort('output-closed' satisfies StopReason);
  });
  stderr.on('error', () => undefined); // nothing sensible left to do when stderr is gone
  const parent = rawIo.signal;
  const fromParent = (): void => {
    if (!stop.signal.aborted) stop.abort(parent!.reason ?? ('signal' satisfies StopReason));
  };
  if (parent?.aborted) fromParent();
  else parent?.addEventListener('abort', fromParent, { once: true });
  const io: CliIo = { stdin: rawIo.stdin, stdout, stderr, signal: stop.signal };
  const json = argv.includes('--json');
  const detach: (() => void)[] = [() => parent?.removeEventListener('abort', fromParent)];
  let code: number;
  try {
    code = await dispatch(argv, io, json, opts, detach, stop);
  } finally {
    for (const d of detach) d();
  }
  if (outputClosed) code = EXIT.OK;
  await Promise.all([flush(stdout), flush(stderr)]);
  return code;
}

function flush(s: ScrubbingStream): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('close', resolve);
    s.once('finish', resolve);
    s.once('error', () => resolve());
    s.end();
  });
}

async function dispatch(argv: string[], io: CliIo, json: boolean, opts: RunOptions, detach: (() => void)[], stop: AbortController): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(json ? JSON.stringify({ name: 'camstream', version: version() }) + '\n' : `camstream ${version()}\n`);
    return EXIT.OK;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(await usage());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    const e = new UsageError(`unknown command '${shownArg(name)}' (try camstream --help)`);
    io.stderr.write(`camstream: ${e.message}\n`);
    if (json) io.stdout.write(jsonError(e, EXIT.USAGE));
    return EXIT.USAGE;
  }
  const cmd = await load();
  if (opts.processSignals && cmd.handlesSignals) detach.push(onSignals(stop));
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (isClosedPipe(e) || io.signal?.reason === 'output-closed') return EXIT.OK;
    const exit = e instanceof UsageError ? EXIT.USAGE : EXIT.FAILED;
    const hint = e instanceof UsageError ? ` (try camstream ${name} --help)` : '';
    io.stderr.write(`camstream ${name}: ${errorText(e)}${hint}\n`);
    if (json && !io.stdout.destroyed) io.stdout.write(jsonError(e, exit));
    return exit;
  }
}

/** SIGINT/SIGTERM end the command through `io.signal`; a second one kills at once (status 130/143). */
function onSignals(stop: AbortController): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals): void => {
    if (++count > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    if (!stop.signal.aborted) stop.abort('signal' satisfies StopReason);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
