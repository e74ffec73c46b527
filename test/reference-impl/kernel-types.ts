import type { Node } from '../../src/onnx/ir/graph.js';
import type { RefTensor } from './ref-tensor.js';

/** What a kernel knows besides its inputs: the node (for attributes) and the default-domain opset. */
export interface KernelContext {
  node: Node;
  opset: number;
}

/**
 * One op's computation. `inputs` is aligned with `node.inputs` (undefined for an omitted optional input ""); the
 * result is aligned with `node.outputs` (entries for omitted outputs may be anything, they are dropped).
 */
export type Kernel = (inputs: ReadonlyArray<RefTensor | undefined>, ctx: KernelContext) => RefTensor[];

/** A required input, with a clear error when it is missing. */
export function need(inputs: ReadonlyArray<RefTensor | undefined>, i: number, ctx: KernelContext): RefTensor {
  const t = inputs[i];
  if (!t) throw new Error(`reference: ${ctx.node.opType} ${ctx.node.name ?? ''} needs input ${i}`);
  return t;
}
