#!/usr/bin/env node
import { classifyError } from '../errors.js';
import { helpText, parseCommandArgs } from './command.js';
import { terminalIo } from './progress.js';
import { COMMANDS } from './commands/index.js';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'yoloq — 4-bit YOLO ONNX models that still detect',
    '',
    'usage: yoloq <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'yoloq <command> --help shows the options of one command.',
  ].join('\n');
}

/** stdout for results; errors, notes and progress on stderr (src/cli/progress.ts: a live line, plain lines or JSON lines). */
const io = terminalIo(process.argv.includes('--json'));

/** Runs one CLI invocation; returns the exit code (0 ok, 2 bad input, 1 internal error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return 0;
  }
  if (name === '--version') {
    io.out('0.1.0');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd) throw Object.assign(new Error(`unknown command "${name}" (see: yoloq --help)`), { input: true });
    const args = parseCommandArgs(cmd, rest);
    if (args.values.help) {
      io.out(helpText(cmd));
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    // One policy (src/errors.ts): user and environment errors are one line and exit 2; only a bug is "internal".
    const { exitCode, line } = classifyError(e);
    if (exitCode === 2) io.err(`yoloq: ${line}`);
    else io.err(`yoloq: ${line}${process.env.YOLOQ_DEBUG ? `\n${(e as Error).stack}` : ' (set YOLOQ_DEBUG=1 for details)'}`);
    return exitCode;
  }
}

process.exitCode = await main(process.argv.slice(2));
io.finish({ failed: process.exitCode !== 0 });
