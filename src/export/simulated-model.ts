import { emitActivations } from './emit-activations.js';
import { GraphEdit } from './graph-edit.js';
import { resolveWeights } from './resolve-plan.js';
import { DataType } from '../onnx/ir/dtypes.js';
import { nodeLabel, type Model } from '../onnx/ir/graph.js';
import { makeTensor } from '../onnx/ir/tensor.js';
import { applyPass } from '../onnx/passes/pass-manager.js';
import { upgradeOpsetPass } from '../onnx/passes/upgrade-opset.js';
import type { SimulatedModel, Simulate } from '../quant/algorithms/simulate.js';
import type { QuantPlan } from '../quant/plan.js';
import { dequantizeCodes } from '../quant/weights/codes.js';

/**
 * The float graph that computes what a plan's quantized model computes, for measuring inside it with ONNX Runtime:
 * every planned weight replaced by its dequantized float32 values (and its corrected bias, if any), every planned
 * activation fake-quantized (QuantizeLinear → DequantizeLinear) where quantized nodes read it. Same numbers as the
 * exported QDQ/QCDQ/INT4 graphs, but no integer weights, so any granularity runs at any opset ≥ 13.
 */
export type { SimulatedModel } from '../quant/algorithms/simulate.js';

/**
 * `floatWeights`: planned nodes whose weights stay float here (their activations are still fake-quantized) —
 * the layers error correction has not reached yet.
 */
export const simulatedModel: Simulate = (work: Model, plan: QuantPlan, floatWeights: ReadonlySet<string> = new Set()): SimulatedModel => {
  const resolved = resolveWeights(work, plan).filter((w) => !floatWeights.has(w.decision.node));
  const base = plan.activations.length > 0 ? applyPass(work, upgradeOpsetPass({ opset: 13 })) : work;
  const edit = new GraphEdit(base);
  const labels = base.graph!.nodes.map((n, i) => nodeLabel(n, i));
  const at = new Map(labels.map((l, i) => [l, i]));
  for (const w of resolved) {
    const d = w.decision;
    const node = edit.graph.nodes[at.get(d.node)!]!;
    const deq = dequantizeCodes(w.codes, d.shape, d.granularity, w.scales, w.zeroPoints);
    node.inputs[d.input] = edit.addInitializer(makeTensor(edit.fresh(`${d.tensor}_fq`), DataType.FLOAT, d.shape, deq));
    if (d.bias)
      node.inputs[2] = edit.addInitializer(makeTensor(edit.fresh(`${d.tensor}_fq_bias`), DataType.FLOAT, [d.bias.length], d.bias));
  }
  emitActivations(edit, plan.activations, new Set(plan.weights.map((w) => w.node)), (i) => labels[i] ?? '');
  // Read before finish(): it reorders nodes, and unnamed nodes' labels are their indices.
  const dataInputs = new Map(plan.weights.map((w) => [w.node, edit.graph.nodes[at.get(w.node)!]!.inputs[0]!]));
  return { model: edit.finish(), dataInputs };
};
