import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, oneLine } from '../errors.js';
import { parseStrictNumber } from '../util/parse-number.js';

/** One CLI command: its help text, its option spec, and a handler returning the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Options in node:util parseArgs form; `help` and `json` are added for every command. */
  options: NonNullable<ParseArgsConfig['options']>;
  /** Extra help lines describing options. */
  details: string[];
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /**
   * Progress of long work, on stderr (stdout stays the result): `done` of `total` (0: not counted) units of `stage`;
   * a new stage name ends the previous one, '' ends the current one. Rendered by src/cli/progress.ts: a live line on
   * a terminal, plain lines for stages over 2 s otherwise, JSON-lines events under --json.
   */
  progress(stage: string, done?: number, total?: number, detail?: string): void;
  /** A line of the command's record on stderr (e.g. "w4a8 build ran"): text, or a note event under --json. */
  note(text: string): void;
}

export function helpText(cmd: Command): string {
  return [
    `yoloq ${cmd.name} — ${cmd.summary}`,
    '',
    `usage: ${cmd.usage}`,
    '',
    ...cmd.details,
    '  --json           print the result as JSON on stdout',
    '  -h, --help       show this help',
  ].join('\n');
}

export function parseCommandArgs(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    throw new InputError(`${oneLine(e).replace(/[.?] To specify.*$/, '')} (see: yoloq ${cmd.name} --help)`);
  }
}

/** A string option's value, or undefined. */
export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parse a numeric option, with bounds; InputError with the option's name on bad input. */
export function numberOpt(
  args: ParsedArgs,
  name: string,
  fallback: number,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = stringOpt(args, name);
  if (raw === undefined) return fallback;
  // Strict decimal only: "0x2", " 2 ", "" and "1e3" for a count are refused (src/util/parse-number.ts).
  const v = parseStrictNumber(raw, { integer: opts.integer }) ?? Number.NaN;
  const bad = !Number.isFinite(v) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max);
  if (bad)
    throw new InputError(
      `--${name} ${/^\S+$/.test(raw) ? raw : JSON.stringify(raw)}: expected ${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}`,
    );
  return v;
}

/** Exactly one positional argument (a path); InputError otherwise. */
export function onePositional(cmd: Command, args: ParsedArgs, what: string): string {
  if (args.positionals.length !== 1) {
    throw new InputError(
      `${cmd.name} takes one ${what}, got ${args.positionals.length === 0 ? 'none' : args.positionals.join(' ')} (see: yoloq ${cmd.name} --help)`,
    );
  }
  return args.positionals[0]!;
}
