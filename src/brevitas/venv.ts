import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

/**
 * The Python environment of yoloq's Python stage (python/yoloq_brevitas, python/train_default): python/.venv, made
 * by python/install.sh from the pinned python/requirements-brevitas.txt and constraints-brevitas.txt. One lookup
 * finds the interpreter for every caller (`findPython`): $YOLOQ_PYTHON as it is (a stack managed elsewhere; no
 * install), else the venv's bin/python ($YOLOQ_VENV, where install.sh also puts it, else python/.venv).
 * `ensurePythonEnv` reuses a venv whose stamp (the SHA-256 of both files) matches and otherwise runs install.sh
 * (about a minute from this machine's local wheels); `probePythonEnv` only reports what is installed.
 */

export interface PythonEnv {
  python: string;
  /** Folder holding the yoloq_brevitas package (goes on PYTHONPATH). */
  packageRoot: string;
  installed: boolean;
}

/** What the interpreter has: package versions (torch, brevitas, ultralytics, yoloq_brevitas) or why it cannot run. */
export interface PythonProbe {
  ok: boolean;
  python: string;
  /** Package versions found (torch, brevitas, ultralytics), or the reason the stage cannot run. */
  versions: Record<string, string>;
  reason?: string;
}

/** The one scheme table (src/quant/schemes.json, copied next to the compiled scheme.js), handed to Python. */
export const SCHEME_TABLE = fileURLToPath(new URL('../quant/schemes.json', import.meta.url));

/** python/ of this checkout, found from the compiled file's location (dist/src/brevitas → ../../../python). */
export function pythonDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'python', 'yoloq_brevitas', '__init__.py'))) return join(dir, 'python');
    dir = resolve(dir, '..');
  }
  throw new InputError('cannot find python/yoloq_brevitas next to this yoloq installation');
}

/** The venv folder install.sh makes for python/ folder `dir`: $YOLOQ_VENV, else `dir`/.venv. */
function venvDir(dir: string): string {
  return process.env.YOLOQ_VENV || join(dir, '.venv');
}

/**
 * The interpreter of the Python stage whose package folder is `dir` (default: this checkout's python/):
 * $YOLOQ_PYTHON, else <venv>/bin/python, as an absolute path (the stage may run in another folder). It is not checked here: `probePythonEnv` and `runPythonStage` say what is
 * wrong with it.
 */
export function findPython(dir: string = pythonDir()): PythonEnv {
  const root = resolve(dir);
  return { python: process.env.YOLOQ_PYTHON || join(resolve(venvDir(root)), 'bin', 'python'), packageRoot: root, installed: false };
}

/**
 * The environment variables of a Python-stage process: ours, plus the package on PYTHONPATH, unbuffered output,
 * ultralytics offline (unless the caller's environment says otherwise) and $YOLOQ_SCHEMES, the scheme table.
 */
export function stageEnv(py: PythonEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    YOLO_OFFLINE: process.env.YOLO_OFFLINE ?? '1',
    YOLOQ_SCHEMES: SCHEME_TABLE,
    ...extra,
    PYTHONPATH: [py.packageRoot, process.env.PYTHONPATH].filter(Boolean).join(':'),
    PYTHONUNBUFFERED: '1',
  };
}

/** SHA-256 of the requirements and constraints files, concatenated: the stamp install.sh writes. */
export function requirementsHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['requirements-brevitas.txt', 'constraints-brevitas.txt']) h.update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** True when `venv` has a python and a stamp matching the requirements. */
export function venvIsCurrent(dir: string, venv: string): boolean {
  const stamp = join(venv, '.yoloq-requirements.sha256');
  return existsSync(join(venv, 'bin', 'python')) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === requirementsHash(dir);
}

/** `findPython`, after making the venv current (install.sh; its output lines go to `onLog`) unless $YOLOQ_PYTHON is set. */
export async function ensurePythonEnv(options: { onLog?: (line: string) => void } = {}): Promise<PythonEnv> {
  const dir = pythonDir();
  const found = findPython(dir);
  const venv = venvDir(dir);
  if (process.env.YOLOQ_PYTHON || venvIsCurrent(dir, venv)) return found;
  await new Promise<void>((res, rej) => {
    const child = spawn('bash', [join(dir, 'install.sh')], {
      env: { ...process.env, YOLOQ_VENV: venv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = (b: Buffer) => {
      for (const l of b.toString('utf8').split('\n')) if (l.trim() && !l.includes('is ignored: it is neither')) options.onLog?.(l);
    };
    child.stdout.on('data', log);
    child.stderr.on('data', log);
    child.on('error', (e) => rej(new InputError(`cannot run python/install.sh: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? res()
        : rej(new InputError(`python/install.sh failed (exit ${code}): the Brevitas stage needs Python 3.11 and pip access to PyPI`)),
    );
  });
  return { ...found, installed: true };
}

const PROBE = [
  'import importlib, json',
  'out = {}',
  'for m in ("torch", "brevitas", "ultralytics", "yoloq_brevitas"):',
  '    try:',
  '        out[m] = getattr(importlib.import_module(m), "__version__", "present")',
  '    except Exception as e:',
  '        out[m] = "missing: " + type(e).__name__',
  'print(json.dumps(out))',
].join('\n');

/**
 * Whether the Python stage can run in `py`, and the versions it would run with. Never throws and never installs:
 * `yoloq run` works without the stage, and says why it is absent.
 */
export function probePythonEnv(py: PythonEnv, timeoutMs = 60_000): PythonProbe {
  const { python } = py;
  if (!existsSync(python))
    return { ok: false, python, versions: {}, reason: `no Python stage installed (${python} is missing; run bash python/install.sh)` };
  const r = spawnSync(python, ['-c', PROBE], { cwd: py.packageRoot, encoding: 'utf8', timeout: timeoutMs, env: stageEnv(py) });
  if (r.status !== 0)
    return {
      ok: false,
      python,
      versions: {},
      reason: `${python} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop() ?? ''}`,
    };
  let versions: Record<string, string>;
  try {
    versions = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
  } catch {
    return { ok: false, python, versions: {}, reason: `${python} printed no versions` };
  }
  const missing = ['torch', 'brevitas', 'yoloq_brevitas'].filter((m) => versions[m]?.startsWith('missing') ?? true);
  return missing.length
    ? { ok: false, python, versions, reason: `the Python stage lacks ${missing.join(', ')} (run bash python/install.sh)` }
    : { ok: true, python, versions };
}
