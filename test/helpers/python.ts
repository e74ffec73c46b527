import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** The pinned golden-tools interpreter (pycocotools), made by `bash python/install.sh`; undefined when absent. */
export function goldenPython(): string | undefined {
  const p = process.env.YOLOQ_GOLDEN_PYTHON ?? join(repoRoot, '.venv-golden', 'bin', 'python');
  return existsSync(p) ? p : undefined;
}
