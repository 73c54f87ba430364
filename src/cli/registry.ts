/**
 * The `camstream` command registry. To add a command, create `src/cli/commands/<name>.ts` exporting
 * `summary` and `run(argv, io)`, and add one line below.
 */
import type { CliCommand, CliIo } from './io.js';

const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  demux: () => import('./commands/demux.js'),
  mjpeg: () => import('./commands/mjpeg.js'),
  events: () => import('./commands/events.js'),
  probe: () => import('./commands/probe.js'),
  record: () => import('./commands/record.js'),
  demo: () => import('./commands/demo.js'),
  dump: () => import('./commands/dump.js'),
  replay: () => import('./commands/replay.js'),
};

function usage(): Promise<string> {
  return Promise.all(Object.entries(COMMANDS).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).summary}`)).then(
    (lines) => `usage: camstream <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`camstream <command> --help\` for a command's options.\n`,
  );
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`camstream: unknown command '${name}' (try camstream --help)\n`);
    return 2;
  }
  const cmd = await load();
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    io.stderr.write(`camstream ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
