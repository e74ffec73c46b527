import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * The only wall-clock limit a test may set on a child process: a safety net for a hung process, long enough that
 * no realistic machine, however busy, reaches it with working code (tests themselves set no node:test timeout).
 */
export const SAFETY_TIMEOUT_MS = 30 * 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI (dist/src/cli/main.js) as a user would, with no stdin; killed only after SAFETY_TIMEOUT_MS. */
export function runCli(args: string[], options: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: SAFETY_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bad input contract: exit 2, exactly one stderr line, no stack trace. */
export function isCleanInputError(r: CliResult): boolean {
  const lines = r.stderr.trimEnd().split('\n');
  return r.code === 2 && lines.length === 1 && lines[0]!.startsWith('yoloq: ') && !/\n\s+at /.test(r.stderr);
}
