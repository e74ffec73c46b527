import { InputError } from '../errors.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../onnx/ir/graph.js';
import { indexGraph, type GraphIndex } from '../onnx/ir/graph-index.js';
import { elementCount, toFloat32, type Tensor } from '../onnx/ir/tensor.js';
import { constantThroughIdentity } from '../quant/read/weight-trace.js';
import type { QuantPlan, WeightDecision } from '../quant/plan.js';
import { quantizeCodes } from '../quant/weights/codes.js';
import { scaleLayout } from '../quant/weights/layout.js';

/** One weight decision checked against the model, with its codes and float32 scales computed. */
export interface ResolvedWeight {
  decision: WeightDecision;
  node: Node;
  weight: Tensor;
  /** int8 codes, row-major in the weight's shape. */
  codes: Int8Array;
  scales: Float32Array;
  /** Integer zero points, one per scale (asymmetric decisions only). */
  zeroPoints?: Int8Array;
  /** Set by the exporter when the float initializer is dropped and its name can carry the rebuilt weight. */
  outputName?: string;
}

function decodeCodes(d: WeightDecision, n: number): Int8Array {
  const bytes = Buffer.from(d.codes!, 'base64');
  if (bytes.byteLength !== n) throw new InputError(`plan does not fit the model: ${d.node} has ${bytes.byteLength} codes for ${n} weights`);
  const codes = new Int8Array(n);
  codes.set(new Int8Array(bytes.buffer, bytes.byteOffset, n));
  const qmax = 2 ** (d.bits - 1) - 1;
  const qmin = d.narrow ? -qmax : -qmax - 1;
  if (codes.some((c) => c < qmin || c > qmax)) throw new InputError(`plan: ${d.node} has codes outside [${qmin}, ${qmax}]`);
  return codes;
}

/**
 * Check that every decision names a node, input and initializer of this model with the shape it was planned for,
 * then compute its codes (round-to-nearest from the scales, unless the plan carries codes). InputError on any
 * mismatch: a plan applies only to the model it was made for.
 */
export function resolveWeights(model: Model, plan: QuantPlan): ResolvedWeight[] {
  const graph = mainGraph(model);
  const byLabel = new Map(graph.nodes.map((n, i) => [nodeLabel(n, i), n]));
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  let graphIndex: GraphIndex | undefined;
  const index = () => (graphIndex ??= indexGraph(graph));
  return plan.weights.map((d) => {
    const node = byLabel.get(d.node);
    if (!node) throw new InputError(`plan does not fit the model: no node named ${d.node}`);
    if (node.inputs[d.input] !== d.tensor)
      throw new InputError(`plan does not fit the model: ${d.node} input ${d.input} is not ${d.tensor}`);
    const weight = inits.get(d.tensor);
    if (!weight) throw new InputError(`plan does not fit the model: no initializer ${d.tensor}`);
    if (weight.dims.join(',') !== d.shape.join(',')) {
      throw new InputError(`plan does not fit the model: ${d.tensor} is [${weight.dims}] but the plan says [${d.shape}]`);
    }
    if (d.bias) {
      // The corrected bias replaces a constant one (behind Identity nodes too), never a computed value.
      const old = node.inputs[2] ? constantThroughIdentity(graph, index(), node.inputs[2]) : undefined;
      if (node.inputs[2] && !old)
        throw new InputError(`plan: ${d.node} has a corrected bias but its bias ${node.inputs[2]} is not a constant`);
      if (d.bias.length !== d.shape[0])
        throw new InputError(`plan: ${d.node} has ${d.bias.length} bias values for ${d.shape[0]} output channels`);
    }
    const layout = scaleLayout(d.shape, d.granularity);
    if (layout.count !== d.scales.length)
      throw new InputError(`plan: ${d.node} needs ${layout.count} scales for its granularity, has ${d.scales.length}`);
    const scales = Float32Array.from(d.scales);
    const n = elementCount(weight.dims);
    const codes = d.codes ? decodeCodes(d, n) : quantizeCodes(toFloat32(weight), d.shape, d.granularity, scales, d.bits, d.narrow);
    const zeroPoints = d.zeroPoints ? Int8Array.from(d.zeroPoints) : undefined;
    return { decision: d, node, weight, codes, scales, ...(zeroPoints ? { zeroPoints } : {}) };
  });
}
