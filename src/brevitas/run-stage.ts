import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { parseEventLine, type ProgressEvent, type ResultEvent } from './protocol.js';
import type { PythonEnv } from './venv.js';

/**
 * Run `python -m yoloq_brevitas ARGS` and follow its JSON lines: progress goes to `onProgress`, stderr lines to
 * `onLog`, and the result event is returned. An error event of kind "input" (the stage's exit code 2) becomes an
 * InputError with the stage's message; anything else is an Error naming the last stderr lines.
 */
export interface StageOptions {
  onProgress?: (e: ProgressEvent) => void;
  onLog?: (line: string) => void;
  env?: Record<string, string>;
}

export async function runPythonStage(py: PythonEnv, args: readonly string[], options: StageOptions = {}): Promise<ResultEvent> {
  const env = { ...process.env, ...options.env, PYTHONPATH: [py.packageRoot, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
  const child = spawn(py.python, ['-m', 'yoloq_brevitas', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let result: ResultEvent | undefined;
  let error: { kind: string; message: string } | undefined;
  const tail: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const e = parseEventLine(line);
    if (!e) return options.onLog?.(line);
    if (e.event === 'progress') options.onProgress?.(e);
    else if (e.event === 'result') result = e;
    else error = e;
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    options.onLog?.(line);
  });
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', (e) => rej(new InputError(`cannot start ${py.python}: ${e.message}`)));
    child.on('close', (c) => res(c));
  });
  if (error?.kind === 'input') throw new InputError(error.message);
  if (error) throw new Error(`Brevitas stage failed: ${error.message}`);
  if (code !== 0 || !result) throw new Error(`Brevitas stage exited with code ${code} and no result${tail.length ? `: ${tail.slice(-3).join(' | ')}` : ''}`);
  return result;
}
