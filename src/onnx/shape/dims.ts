import type { Dim } from '../ir/graph.js';
import type { ShapeInfo } from './types.js';

/** Helpers over `Dim` (size | symbolic name | null) used by the shape rules. */

/** Thrown by helpers on a malformed node; the inference driver turns it into "unknown". */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

export function fail(message: string): never {
  throw new ShapeError(message);
}

export function isKnown(d: Dim | undefined): d is number {
  return typeof d === 'number';
}

/** Every dim is a number. */
export function isStatic(shape: readonly Dim[] | undefined): shape is number[] {
  return shape?.every((d) => typeof d === 'number') ?? false;
}

export function unknownDims(rank: number): Dim[] {
  return Array.from({ length: rank }, () => null);
}

/** Normalize a possibly negative axis against `rank`; throws when out of [-rank, rank). */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Two dims under numpy broadcasting; throws on two different static sizes neither of which is 1. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== b) fail(`cannot broadcast ${a} with ${b}`);
    return a;
  }
  if (typeof a === 'number') return a; // b is n or 1 at run time: the result is a either way (a ≠ 1 here)
  if (typeof b === 'number') return b;
  return a !== null && a === b ? a : null;
}

/**
 * Numpy (multidirectional) broadcasting of several shapes: right-aligned, size-1 axes stretch.
 * Undefined when any rank is unknown.
 */
export function broadcastShapes(shapes: ReadonlyArray<readonly Dim[] | undefined>): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const all = shapes as ReadonlyArray<readonly Dim[]>;
  const rank = Math.max(0, ...all.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of all) {
      const k = i - (rank - s.length);
      if (k >= 0) d = broadcastDim(d, s[k]!);
    }
    out.push(d);
  }
  return out;
}

/** Product of dims: a number when all are numbers, the name when all but one symbolic dim are 1, else null. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let n = 1;
  let symbol: string | null = null;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (typeof d === 'string' && symbol === null) symbol = d;
    else return null;
  }
  if (symbol === null) return n;
  return n === 1 ? symbol : null;
}

/** Sum of dims: a number when all are numbers, else null. */
export function dimSum(dims: readonly Dim[]): Dim {
  let n = 0;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    n += d;
  }
  return n;
}

/** Two views of the same dim: keep the more specific (number over name over null); throws on two different sizes. */
export function mergeDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) fail(`dims ${a} and ${b} disagree`);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** Merge two views of one value's type: dims merged axis by axis; when ranks differ the first view wins. */
export function mergeInfo(first: ShapeInfo, second: ShapeInfo | undefined): ShapeInfo {
  if (!second || second.shape === undefined) return first;
  if (first.shape === undefined) return { elemType: first.elemType, shape: [...second.shape] };
  if (first.shape.length !== second.shape.length) return first;
  const s2 = second.shape;
  try {
    return { elemType: first.elemType, shape: first.shape.map((d, i) => mergeDim(d, s2[i]!)) };
  } catch {
    return first;
  }
}

/** A value of `elemType` with `shape` (copied). */
export function info(elemType: number, shape: readonly Dim[] | undefined): ShapeInfo {
  return shape === undefined ? { elemType } : { elemType, shape: [...shape] };
}

/** Render a shape for messages: [1,3,"n",?]. */
export function formatShape(shape: readonly Dim[] | undefined): string {
  if (shape === undefined) return '?rank';
  return `[${shape.map((d) => (d === null ? '?' : typeof d === 'string' ? JSON.stringify(d) : String(d))).join(',')}]`;
}
