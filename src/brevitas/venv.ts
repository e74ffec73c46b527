import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

/**
 * The Python environment of the Brevitas stage: python/.venv, made by python/install.sh from the pinned
 * python/requirements-brevitas.txt and constraints-brevitas.txt. A venv whose stamp (the SHA-256 of both files)
 * matches is reused;
 * otherwise install.sh runs (about a minute from this machine's local wheels). YOLOQ_PYTHON names an interpreter
 * to use as it is (no install), for a stack managed elsewhere.
 */

export interface PythonEnv {
  python: string;
  /** Folder holding the yoloq_brevitas package (goes on PYTHONPATH). */
  packageRoot: string;
  installed: boolean;
}

/** python/ of this checkout, found from the compiled file's location (dist/src/brevitas → ../../../python). */
export function pythonDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'python', 'yoloq_brevitas', '__init__.py'))) return join(dir, 'python');
    dir = resolve(dir, '..');
  }
  throw new InputError('cannot find python/yoloq_brevitas next to this yoloq installation');
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

/** Reuse or create the venv; install output lines go to `onLog`. */
export async function ensurePythonEnv(options: { onLog?: (line: string) => void; venv?: string } = {}): Promise<PythonEnv> {
  const dir = pythonDir();
  const override = process.env.YOLOQ_PYTHON;
  if (override) return { python: override, packageRoot: dir, installed: false };
  const venv = options.venv ?? process.env.YOLOQ_VENV ?? join(dir, '.venv');
  if (venvIsCurrent(dir, venv)) return { python: join(venv, 'bin', 'python'), packageRoot: dir, installed: false };
  await new Promise<void>((res, rej) => {
    const child = spawn('bash', [join(dir, 'install.sh')], { env: { ...process.env, YOLOQ_VENV: venv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = (b: Buffer) => b.toString('utf8').split('\n').filter((l) => l.trim() && !l.includes('is ignored: it is neither')).forEach((l) => options.onLog?.(l));
    child.stdout.on('data', log);
    child.stderr.on('data', log);
    child.on('error', (e) => rej(new InputError(`cannot run python/install.sh: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? res() : rej(new InputError(`python/install.sh failed (exit ${code}): the Brevitas stage needs Python 3.11 and pip access to PyPI`))));
  });
  return { python: join(venv, 'bin', 'python'), packageRoot: dir, installed: true };
}
