import { DataType } from '../../src/onnx/ir/dtypes.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../../src/onnx/ir/graph.js';
import { indexGraph, topologicalOrder } from '../../src/onnx/ir/graph-index.js';
import { toFloat32 } from '../../src/onnx/ir/tensor.js';
import type { ActivationDecision, QuantPlan, WeightDecision } from '../../src/quant/plan.js';
import { dequantizeCodes, quantizeCodes } from '../../src/quant/weights/codes.js';
import { makeRef, roundHalfToEven, type RefTensor } from './ref-tensor.js';
import { runReference, type ReferenceFeed, type ReferenceOptions } from './run-reference.js';

/**
 * What a quantized model should compute, derived from the float model and the plan alone (never from an exported
 * graph): the float model run by the reference interpreter with
 * - each planned weight, at the planned node's planned input only, replaced by float32((q − z)·s): codes q from the
 *   plan's base64 `codes` when present, else quantizeCodes with the plan's float32 scales s; z the decision's zero
 *   points (0 when absent); a decision's `bias` (float32) replaces that node's bias input;
 * - each planned activation fake-quantized where it enters a quantized node (a node listed in plan.weights) — or
 *   any node of the float graph when the decision says readers: 'all' — at every input slot except a
 *   Conv/ConvTranspose/Gemm weight or bias slot; other consumers (and graph outputs) see the float value.
 *   q = clamp(roundHalfEven(float32(x / s)) + zp, qmin, qmax), x' = float32((q − zp) · s), s = float32(scale),
 *   [qmin, qmax] = [−128, 127] when signed, else [0, 255]. A reader takes the first decision that covers it.
 */

export type FakeQuantOptions = Pick<ReferenceOptions, 'outputs' | 'float16'>;

/** Activations enter Conv/ConvTranspose/Gemm at input 0 only; MatMul may take two activations. */
function isWeightSlot(opType: string, slot: number): boolean {
  return (opType === 'Conv' || opType === 'ConvTranspose' || opType === 'Gemm') && slot > 0;
}

/** Fake-quantize x (any shape, float) with one per-tensor int8/uint8 quantizer. */
export function fakeQuantize(x: RefTensor, a: Pick<ActivationDecision, 'scale' | 'zeroPoint' | 'signed'>): RefTensor {
  const scale = Math.fround(a.scale);
  const [lo, hi] = a.signed ? [-128, 127] : [0, 255];
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const r = roundHalfToEven(Math.fround(x.data[i]! / scale)) + a.zeroPoint;
    const q = r < lo ? lo : r > hi ? hi : r;
    out[i] = (q - a.zeroPoint) * scale;
  }
  return makeRef(x.dtype, x.dims, out);
}

function planCodes(d: WeightDecision, w: Float32Array, scales: Float32Array): Int8Array {
  if (!d.codes) return quantizeCodes(w, d.shape, d.granularity, scales, d.bits, d.narrow);
  const bytes = Buffer.from(d.codes, 'base64');
  if (bytes.byteLength !== w.length) throw new Error(`fake-quant: ${d.node} has ${bytes.byteLength} codes for ${w.length} weights`);
  return Int8Array.from(bytes, (b) => (b << 24) >> 24);
}

/** label → (input slot → dequantized weight [shape of the float weight], FLOAT). */
function dequantizedWeights(model: Model, plan: QuantPlan): Map<string, Map<number, RefTensor>> {
  const graph = mainGraph(model);
  const byLabel = new Map(graph.nodes.map((n, i) => [nodeLabel(n, i), n]));
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const out = new Map<string, Map<number, RefTensor>>();
  for (const d of plan.weights) {
    const node = byLabel.get(d.node);
    const init = inits.get(d.tensor);
    if (!node || node.inputs[d.input] !== d.tensor || !init)
      throw new Error(`fake-quant: plan weight ${d.node}/${d.tensor} is not in the model`);
    if (init.dims.join(',') !== d.shape.join(',')) throw new Error(`fake-quant: ${d.tensor} is [${init.dims}], plan says [${d.shape}]`);
    const w = toFloat32(init);
    const scales = Float32Array.from(d.scales);
    const deq = dequantizeCodes(planCodes(d, w, scales), d.shape, d.granularity, scales, d.zeroPoints);
    const slots = out.get(d.node) ?? new Map<number, RefTensor>();
    slots.set(d.input, makeRef(DataType.FLOAT, init.dims, deq));
    if (d.bias) slots.set(2, makeRef(DataType.FLOAT, [d.bias.length], Float32Array.from(d.bias)));
    out.set(d.node, slots);
  }
  return out;
}

/**
 * Run the fake-quant reference. `feeds` as for runReference; returns the graph outputs (or `options.outputs`).
 */
export function referenceFakeQuant(
  floatModel: Model,
  plan: QuantPlan,
  feeds: Record<string, ReferenceFeed>,
  options: FakeQuantOptions = {},
): Record<string, RefTensor> {
  const weights = dequantizedWeights(floatModel, plan);
  const decisions = new Map<string, number[]>();
  plan.activations.forEach((a, k) => decisions.set(a.value, [...(decisions.get(a.value) ?? []), k]));
  const cache = new Map<number, RefTensor>();
  const mapInputs = (node: Node, label: string, inputs: Array<RefTensor | undefined>) => {
    const slots = weights.get(label);
    // A corrected bias may be given to a Conv that had none.
    const all = slots?.has(2) && inputs.length < 3 ? [...inputs, undefined] : inputs;
    return all.map((t, slot) => {
      const w = slots?.get(slot);
      if (w) return w;
      if (!t || isWeightSlot(node.opType, slot)) return t;
      // The first decision for this value whose readers include this node (quantized, or readers: 'all').
      const k = (decisions.get(node.inputs[slot]!) ?? []).find((i) => slots || plan.activations[i]!.readers === 'all');
      if (k === undefined) return t;
      let fq = cache.get(k);
      if (!fq) cache.set(k, (fq = fakeQuantize(t, plan.activations[k]!)));
      return fq;
    });
  };
  return runReference(floatModel, feeds, { ...options, mapInputs });
}

/**
 * "One activation quantization step" for the model's outputs: the largest float32 scale among the planned
 * activations that enter the last quantized nodes (quantized nodes with no quantized node downstream). A flip of
 * one rounding decision there moves an output by about one step times a weight; flips further upstream are damped
 * by the layers between. Falls back to the largest planned activation scale, or 0 when the plan has none.
 */
export function activationStep(floatModel: Model, plan: QuantPlan): number {
  const graph = mainGraph(floatModel);
  const index = indexGraph(graph);
  const labels = graph.nodes.map((n, i) => nodeLabel(n, i));
  const quantized = new Set(plan.weights.map((w) => w.node));
  const behind = new Uint8Array(graph.nodes.length);
  for (const i of [...topologicalOrder(graph, index).order].reverse()) {
    const readers = graph.nodes[i]!.outputs.flatMap((o) => index.consumers.get(o) ?? []);
    behind[i] = readers.some((j) => quantized.has(labels[j]!) || behind[j]) ? 1 : 0;
  }
  const scales = new Map(plan.activations.map((a) => [a.value, Math.fround(a.scale)]));
  let step = 0;
  graph.nodes.forEach((node, i) => {
    if (!quantized.has(labels[i]!) || behind[i]) return;
    node.inputs.forEach((v, slot) => {
      if (!isWeightSlot(node.opType, slot)) step = Math.max(step, scales.get(v) ?? 0);
    });
  });
  return step > 0 ? step : Math.max(0, ...scales.values());
}
