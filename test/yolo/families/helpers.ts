import type { PostprocessOptions } from '../../../src/yolo/families/index.js';
import { DEFAULT_POSTPROCESS } from '../../../src/yolo/families/index.js';

export function post(overrides: Partial<PostprocessOptions> = {}): PostprocessOptions {
  return { ...DEFAULT_POSTPROCESS, multiLabel: true, ...overrides };
}

/** Round a detection's numbers to 4 decimals for comparisons with hand-computed values. */
export function rounded<T extends object>(d: T): T {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v])) as T;
}
