import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';

/**
 * Finding and running yoloq's Python stage (python/yoloq_brevitas in python/.venv, made by python/install.sh).
 * `yoloq run` works without it: the environment snapshot then says "not installed", and a qat-w4a8 variant is
 * reported as skipped with the reason instead of failing the run.
 */

export interface PythonProbe {
  ok: boolean;
  python: string;
  /** Package versions found (torch, brevitas, ultralytics), or the reason the stage cannot run. */
  versions: Record<string, string>;
  reason?: string;
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

/** The interpreter yoloq uses: $YOLOQ_PYTHON, else <repo>/python/.venv/bin/python. */
export function pythonPath(repoRoot: string): string {
  return process.env.YOLOQ_PYTHON ?? join(repoRoot, 'python', '.venv', 'bin', 'python');
}

export function probePython(repoRoot: string, timeoutMs = 60_000): PythonProbe {
  const python = pythonPath(repoRoot);
  if (!existsSync(python)) return { ok: false, python, versions: {}, reason: `no Python stage installed (${python} is missing; run bash python/install.sh)` };
  const r = spawnSync(python, ['-c', PROBE], { cwd: join(repoRoot, 'python'), encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PYTHONPATH: join(repoRoot, 'python'), YOLO_OFFLINE: '1' } });
  if (r.status !== 0) return { ok: false, python, versions: {}, reason: `${python} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop() ?? ''}` };
  let versions: Record<string, string>;
  try {
    versions = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string>;
  } catch {
    return { ok: false, python, versions: {}, reason: `${python} printed no versions` };
  }
  const missing = ['torch', 'brevitas', 'yoloq_brevitas'].filter((m) => versions[m]?.startsWith('missing') ?? true);
  return missing.length ? { ok: false, python, versions, reason: `the Python stage lacks ${missing.join(', ')} (run bash python/install.sh)` } : { ok: true, python, versions };
}

export interface StageEvent {
  event: 'progress' | 'result' | 'error';
  [key: string]: unknown;
}

/**
 * Run `python -m <module> ...args`, reading its JSON-lines protocol from stdout (python/yoloq_brevitas/events.py):
 * progress events go to `onEvent`, the result event is returned, an error event becomes an InputError (kind input)
 * or an Error. stderr is kept for the message when the process dies without an error event.
 */
export function runPythonModule(repoRoot: string, module: string, args: readonly string[], onEvent?: (e: StageEvent) => void): Promise<StageEvent> {
  const python = pythonPath(repoRoot);
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', module, ...args], { cwd: join(repoRoot, 'python'), env: { ...process.env, PYTHONPATH: join(repoRoot, 'python'), YOLO_OFFLINE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    let result: StageEvent | undefined;
    let error: StageEvent | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          const e = JSON.parse(line) as StageEvent;
          if (e.event === 'result') result = e;
          else if (e.event === 'error') error = e;
          else onEvent?.(e);
        } catch {
          // not protocol: ignore
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (error) {
        const msg = `${module}: ${String(error.message)}`;
        reject(error.kind === 'input' ? new InputError(msg) : new Error(msg));
      } else if (code === 0 && result) resolve(result);
      else reject(new Error(`${module} exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}
