import { dtypeInfo } from '../onnx/ir/dtypes.js';
import type { Graph } from '../onnx/ir/graph.js';
import { producerOf, type GraphIndex } from '../onnx/ir/graph-index.js';
import { elementCount } from '../onnx/ir/tensor.js';
import { constantOf, type WeightTrace } from '../quant/read/weight-trace.js';

/**
 * What a weight costs in the file, all in: the stored codes plus every constant that rebuilds them — scales, zero
 * points, and for two-level scales the block-scale codes with their own scales — in bits per weight element.
 * Shared scalars (a zero point every weight reads) count once per reader: the figure is per weight, not per file.
 */

/** Bits of the constants a value is computed from, following DequantizeLinear/Cast/Reshape chains up to `depth`. */
function constantBits(graph: Graph, index: GraphIndex, name: string, depth = 3): number {
  if (!name) return 0;
  const c = constantOf(graph, index, name);
  if (c) return elementCount(c.dims) * (dtypeInfo(c.dtype)?.bits ?? 32);
  const node = producerOf(graph, index, name);
  if (!node || depth === 0) return 0;
  // Shape-only inputs (a Reshape's target shape) are structure, not weight data.
  const data = node.opType === 'Reshape' ? node.inputs.slice(0, 1) : node.inputs;
  return data.reduce((sum, v) => sum + constantBits(graph, index, v, depth - 1), 0);
}

/** Bits per element of one traced weight: codes + scales + zero points (float weights: their storage width). */
export function weightBitsPerElement(graph: Graph, index: GraphIndex, trace: WeightTrace): number {
  const n = elementCount(trace.source.dims);
  if (n === 0) return 0;
  const codes = n * (dtypeInfo(trace.source.dtype)?.bits ?? 32);
  const dq = trace.dq === undefined ? undefined : graph.nodes[trace.dq];
  const quantizer = trace.quantize === undefined ? undefined : graph.nodes[trace.quantize];
  // A weight quantized at run time stores its float values and the QuantizeLinear's scale and zero point.
  const params = [dq, quantizer].reduce(
    (sum, node) => sum + (node ? constantBits(graph, index, node.inputs[1] ?? '') + constantBits(graph, index, node.inputs[2] ?? '') : 0),
    0,
  );
  return (codes + params) / n;
}

/** Parameter-weighted mean of per-weight bits: the model's all-in bits per weight. */
export function meanBits(rows: ReadonlyArray<{ params: number; bitsPerWeight: number }>): number {
  let bits = 0;
  let params = 0;
  for (const r of rows) {
    bits += r.bitsPerWeight * r.params;
    params += r.params;
  }
  return params === 0 ? 0 : bits / params;
}
