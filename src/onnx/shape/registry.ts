import { convRules } from './rules/conv.js';
import { elementwiseRules } from './rules/elementwise.js';
import { matmulRules } from './rules/matmul.js';
import { reduceRules } from './rules/reduce.js';
import { resizeRules } from './rules/resize.js';
import { shapeOpRules } from './rules/shape-ops.js';
import { sliceSplitRules } from './rules/slice-split.js';
import { tensorOpRules } from './rules/tensor-ops.js';
import type { ShapeRule } from './types.js';

/**
 * Default-domain op type → shape rule. Explicit: a rule file exports its map, and this table lists them all.
 * Ops missing here (and every op in another domain) leave their outputs out of the ShapeMap.
 */
export const shapeRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  ...elementwiseRules,
  ...convRules,
  ...shapeOpRules,
  ...sliceSplitRules,
  ...resizeRules,
  ...matmulRules,
  ...reduceRules,
  ...tensorOpRules,
});

/** The op types shape inference understands, sorted. */
export function supportedOps(): string[] {
  return Object.keys(shapeRules).sort();
}
