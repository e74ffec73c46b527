import { join } from 'node:path';
import type { ProgressEvent, ResultEvent } from '../brevitas/protocol.js';
import { runPythonStage } from '../brevitas/run-stage.js';
import { findPython, probePythonEnv, type PythonEnv, type PythonProbe } from '../brevitas/venv.js';

/**
 * The run pipeline's view of yoloq's Python stage (python/ of the repository root the run was given), on the one
 * lookup, probe and runner of src/brevitas. `yoloq run` works without the stage: the environment snapshot then says
 * "not installed", and a qat-w4a8 variant is reported as skipped with the reason instead of failing the run.
 */

export type { PythonProbe };

/** The Python stage of `repoRoot`: the interpreter `findPython` picks for <repoRoot>/python. */
export function pythonEnvOf(repoRoot: string): PythonEnv {
  return findPython(join(repoRoot, 'python'));
}

/** Whether the stage can run, and with which torch, brevitas and ultralytics (venv.ts `probePythonEnv`). */
export function probePython(repoRoot: string, timeoutMs = 60_000): PythonProbe {
  return probePythonEnv(pythonEnvOf(repoRoot), timeoutMs);
}

/**
 * Run `python -m <module> ...args` from <repoRoot>/python through the one runner (brevitas/run-stage.ts): progress
 * events go to `onProgress`, the result event is returned, an error event becomes an InputError (kind input) or an
 * Error.
 */
export function runPythonModule(
  repoRoot: string,
  module: string,
  args: readonly string[],
  onProgress?: (e: ProgressEvent) => void,
): Promise<ResultEvent> {
  const py = pythonEnvOf(repoRoot);
  return runPythonStage(py, args, { module, cwd: py.packageRoot, ...(onProgress ? { onProgress } : {}) });
}
