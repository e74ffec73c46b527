import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** Repository root, from dist/test/helpers (compiled) or test/helpers (source). */
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, here.includes(`${join('dist', 'test')}`) ? '../../..' : '../..');
export const corpusDir = join(repoRoot, 'test', 'fixtures', 'onnx-corpus');
/** ../shared/data next to the repository, as CI lays it out. Tests that need it skip, saying so, when it is absent. */
export const sharedDataDir = process.env.YOLOQ_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
