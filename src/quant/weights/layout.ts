import { blockCount } from '../../onnx/ir/block-quant.js';
import type { WeightGranularity } from '../plan.js';

/**
 * Maps each element of a row-major weight to the index of its scale, for every granularity the plan allows.
 * Shapes: per-channel scales [shape[axis]]; blocked scales [rows, ceil(K / blockSize)] with rows = shape[0] and
 * K = product of the other dims (the weight viewed 2-D as stored).
 */
export interface ScaleLayout {
  count: number;
  /** Scale index of element `i` (row-major). */
  indexOf(i: number): number;
  /** Dims of the scale tensor as ONNX DequantizeLinear expects it for this layout (per-tensor: []). */
  dims: number[];
}

export function scaleLayout(shape: readonly number[], g: WeightGranularity): ScaleLayout {
  const total = shape.reduce((a, b) => a * b, 1);
  switch (g.kind) {
    case 'per-tensor':
      return { count: 1, indexOf: () => 0, dims: [] };
    case 'per-channel': {
      const channels = shape[g.axis]!;
      const inner = shape.slice(g.axis + 1).reduce((a, b) => a * b, 1);
      return { count: channels, indexOf: (i) => Math.floor(i / inner) % channels, dims: [channels] };
    }
    case 'blocked': {
      const rows = shape[0]!;
      const k = total / rows;
      const blocks = blockCount(k, g.blockSize);
      return {
        count: rows * blocks,
        indexOf: (i) => Math.floor(i / k) * blocks + Math.floor((i % k) / g.blockSize),
        dims: [rows, blocks],
      };
    }
  }
}

/** [qmin, qmax] of a symmetric signed code. */
export function codeRange(bits: number, narrow: boolean): [number, number] {
  const qmax = 2 ** (bits - 1) - 1;
  return [narrow ? -qmax : -qmax - 1, qmax];
}
