import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InputError, oneLine } from '../errors.js';
import { parseEventLine, type ErrorEvent, type ProgressEvent, type ResultEvent } from './protocol.js';
import { stageEnv, type PythonEnv } from './venv.js';

/**
 * The one runner of yoloq's Python stage: `python -m <module> ARGS` (yoloq_brevitas unless `module` says otherwise,
 * e.g. train_default.export_onnx) in the environment `stageEnv` builds, following its JSON lines (protocol.ts).
 * Progress goes to `onProgress`, stderr lines and stray stdout lines to `onLog`, and the result event is returned.
 * Failures are one line each: an error event of kind "input" (the stage's exit code 2) becomes an InputError with
 * the stage's message, as does an interpreter that cannot start; anything else is an Error naming the stage and its
 * last stderr lines. Under torchrun (torchrun.ts) the last error event is the launcher's, naming the rank that failed
 * first, so it is the one reported.
 */
export interface StageOptions {
  /** The module run with `python -m` (default yoloq_brevitas). */
  module?: string;
  /** Working folder of the process (default: this process's). */
  cwd?: string;
  onProgress?: (e: ProgressEvent) => void;
  onLog?: (line: string) => void;
  /** Extra environment variables (they win over ours, except PYTHONPATH and PYTHONUNBUFFERED). */
  env?: Record<string, string>;
}

/** How a failure names the stage: "Brevitas stage" (also under its torchrun launcher), or `python -m <module>`. */
function stageName(module: string | undefined): string {
  return module === undefined || module === 'yoloq_brevitas' || module === 'yoloq_brevitas.launch'
    ? 'Brevitas stage'
    : `python -m ${module}`;
}

export async function runPythonStage(py: PythonEnv, args: readonly string[], options: StageOptions = {}): Promise<ResultEvent> {
  const { code, result, tail } = await runStageProcess(py, args, options);
  if (code !== 0 || !result)
    throw new Error(
      `${stageName(options.module)} exited with code ${code} and no result${tail.length ? `: ${tail.slice(-3).join(' | ')}` : ''}`,
    );
  return result;
}

/**
 * `runPythonStage` for a process that reports no result when it succeeds: the torchrun launcher on a node other
 * than node 0 (only global rank 0 exports). Failures are the same.
 */
export async function runPythonWorkers(py: PythonEnv, args: readonly string[], options: StageOptions = {}): Promise<void> {
  const { code, tail } = await runStageProcess(py, args, options);
  if (code !== 0)
    throw new Error(`${stageName(options.module)} exited with code ${code}${tail.length ? `: ${tail.slice(-3).join(' | ')}` : ''}`);
}

async function runStageProcess(
  py: PythonEnv,
  args: readonly string[],
  options: StageOptions,
): Promise<{ code: number | null; result: ResultEvent | undefined; tail: string[] }> {
  const module = options.module ?? 'yoloq_brevitas';
  const child = spawn(py.python, ['-m', module, ...args], {
    env: stageEnv(py, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let result: ResultEvent | undefined;
  let error: ErrorEvent | undefined;
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
  const name = stageName(options.module);
  if (error?.kind === 'input') throw new InputError(oneLine(error.message));
  if (error) throw new Error(`${name} failed: ${oneLine(error.message)}`);
  return { code, result, tail };
}
