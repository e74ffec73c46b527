import type { Kernel } from './kernel-types.js';
import { conv } from './kernels/conv.js';
import { BINARY_KERNELS, UNARY_KERNELS } from './kernels/elementwise.js';
import { LAYOUT_KERNELS } from './kernels/layout-ops.js';
import { LINEAR_KERNELS } from './kernels/linear.js';
import { NORMALIZATION_KERNELS } from './kernels/normalization.js';
import { POOL_KERNELS } from './kernels/pool.js';
import { QUANTIZE_KERNELS } from './kernels/quantize.js';
import { REDUCE_KERNELS } from './kernels/reduce.js';
import { RESIZE_KERNELS } from './kernels/resize.js';
import { SHAPE_KERNELS } from './kernels/shape-ops.js';

/** Op type (default ONNX domain) → kernel: the reference interpreter's explicit, frozen registry. */
export const REFERENCE_KERNELS: ReadonlyMap<string, Kernel> = new Map<string, Kernel>(
  Object.entries({
    Conv: conv,
    ...UNARY_KERNELS,
    ...BINARY_KERNELS,
    ...POOL_KERNELS,
    ...SHAPE_KERNELS,
    ...LAYOUT_KERNELS,
    ...RESIZE_KERNELS,
    ...LINEAR_KERNELS,
    ...NORMALIZATION_KERNELS,
    ...REDUCE_KERNELS,
    ...QUANTIZE_KERNELS,
  }),
);

/** Op types the reference can run, sorted. */
export function referenceOpTypes(): string[] {
  return [...REFERENCE_KERNELS.keys()].sort();
}
