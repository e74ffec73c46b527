import type { Dim } from '../../onnx/ir/graph.js';
import type { LayoutMatch } from './types.js';

/** Feature-map sizes of a stride-s level for an input of `size` pixels: ceil(size / s), as stride-2 3×3 convs give. */
export function levelSize(size: number, stride: number): number {
  return Math.ceil(size / stride);
}

/** Number of grid cells over all levels: Σ ceil(H/s)·ceil(W/s). */
export function gridCells(width: number, height: number, strides: readonly number[]): number {
  return strides.reduce((n, s) => n + levelSize(height, s) * levelSize(width, s), 0);
}

export const P3_P5: readonly number[] = Object.freeze([8, 16, 32]);
export const P3_P6: readonly number[] = Object.freeze([8, 16, 32, 64]);

/** Batch-1, rank-3 check shared by all families; returns the two trailing dims. */
export function rank3(dims: readonly Dim[]): { a: Dim; b: Dim } | { reason: string } {
  if (dims.length !== 3) return { reason: `output has rank ${dims.length}, expected 3` };
  if (typeof dims[0] === 'number' && dims[0] !== 1) return { reason: `output batch is ${dims[0]}, expected 1` };
  return { a: dims[1] ?? null, b: dims[2] ?? null };
}

export function fail(reason: string): LayoutMatch {
  return { ok: false, reason };
}

/** Concrete dims of an output tensor, checked against a family's layout; throws RangeError when they do not fit. */
export function requireLayout(m: LayoutMatch, family: string, dims: readonly number[]): { anchors: number; numClasses: number } {
  if (!m.ok) throw new RangeError(`${family} decode: output ${JSON.stringify(dims)} does not fit: ${m.reason}`);
  return m;
}
