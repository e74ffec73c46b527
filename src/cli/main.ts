#!/usr/bin/env node
import { isInputError, oneLine } from '../errors.js';
import { helpText, parseCommandArgs, type Command, type CommandIo } from './command.js';
import { checkCommand } from './commands/check.js';
import { inspectCommand } from './commands/inspect.js';
import { quantizeCommand } from './commands/quantize.js';
import { applyCommand } from './commands/apply.js';
import { convertCommand } from './commands/convert.js';
import { evalCommand } from './commands/eval.js';
import { benchCommand } from './commands/bench.js';
import { exampleCommand } from './commands/example.js';
import { runCommand } from './commands/run.js';
import { qatCommand } from './commands/qat.js';
import { sensitivityCommand } from './commands/sensitivity.js';

/** Every command, in the order `yoloq --help` lists them. */
const COMMANDS: readonly Command[] = Object.freeze([
  runCommand,
  inspectCommand,
  checkCommand,
  evalCommand,
  benchCommand,
  quantizeCommand,
  sensitivityCommand,
  applyCommand,
  convertCommand,
  qatCommand,
  exampleCommand,
]);

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

const io: CommandIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  progress: (t) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${t}`);
  },
};

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
    if (isInputError(e) || (e as { input?: boolean }).input) {
      io.err(`yoloq: ${oneLine(e)}`);
      return 2;
    }
    io.err(
      `yoloq: internal error: ${oneLine(e)}${process.env.YOLOQ_DEBUG ? `\n${(e as Error).stack}` : ' (set YOLOQ_DEBUG=1 for details)'}`,
    );
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
