/**
 * Command-line handling shared by the bench scripts: `--help` prints the script's own leading doc comment (its usage
 * lives in one place, the source) plus its options and defaults, and a mistyped option is one line on stderr and
 * exit 2 instead of a stack trace — or, worse for a bench that runs for an hour, silently ignored.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The first `/** … *\/` block of a script, as plain lines (the compiled file keeps the comments). */
export function leadingDocComment(source: string): string {
  const m = /\/\*\*([\s\S]*?)\*\//.exec(source);
  if (!m) return '';
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** Usage text: the doc comment, then one line per option with its default. */
export function benchUsage(doc: string, options: Options): string {
  const lines = Object.entries(options).map(([name, o]) => {
    const dflt = o.default === undefined || o.default === '' ? '' : `  (default ${String(o.default)})`;
    return `  --${name}${o.type === 'string' ? ' <value>' : ''}${dflt}`;
  });
  return `${doc}\n\nOptions:\n${lines.join('\n')}\n  --help`;
}

/**
 * parseArgs for a bench script, strict: unknown options and missing values exit 2 with one line. `scriptUrl` is the
 * caller's `import.meta.url`, read for `--help`. Positional arguments are allowed only when `positionals` is set.
 */
export function benchArgs<T extends Options>(
  scriptUrl: string,
  options: T,
  positionals = false,
): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean }>>['values']; positionals: string[] } {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    const doc = leadingDocComment(readFileSync(fileURLToPath(scriptUrl), 'utf8'));
    process.stdout.write(`${benchUsage(doc, options)}\n`);
    process.exit(0);
  }
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message.split('\n')[0]} (see --help)\n`);
    process.exit(2);
  }
}

/** A numeric option: a finite number (≥ min), else exit 2 naming it. */
export function benchNumber(name: string, value: string | undefined, min = 0): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < min) {
    process.stderr.write(`error: --${name} ${value ?? ''}: expected a number ≥ ${min}\n`);
    process.exit(2);
  }
  return n;
}
