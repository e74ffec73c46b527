import * as ort from 'onnxruntime-node';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { toFloat32 } from '../../../src/onnx/ir/tensor.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import type { ActivationDecision, QuantPlan, WeightDecision } from '../../../src/quant/plan.js';
import { quantizeCodes } from '../../../src/quant/weights/codes.js';

/**
 * Helpers for the plan reader's tests: decisions in a canonical form (explicit codes, float32 scales, zero points
 * only when some is non-zero, default readers omitted) so a plan and the plan read back from its export compare
 * with deepEqual, and the weights a model's layers actually receive, computed by ONNX Runtime.
 */

export function canonicalWeight(d: WeightDecision, float: Model): Record<string, unknown> {
  const init = float.graph!.initializers.find((t) => t.name === d.tensor)!;
  const codes =
    d.codes ?? Buffer.from(quantizeCodes(toFloat32(init), d.shape, d.granularity, d.scales, d.bits, d.narrow).buffer).toString('base64');
  const zp = d.zeroPoints?.some((z) => z !== 0) ? { zeroPoints: d.zeroPoints } : {};
  return {
    node: d.node,
    opType: d.opType,
    input: d.input,
    tensor: d.tensor,
    shape: d.shape,
    bits: d.bits,
    narrow: d.narrow,
    granularity: d.granularity,
    scales: d.scales.map(Math.fround),
    ...zp,
    codes,
  };
}

export function canonicalActivation(a: ActivationDecision): Record<string, unknown> {
  return {
    value: a.value,
    signed: a.signed,
    scale: Math.fround(a.scale),
    zeroPoint: a.zeroPoint,
    ...(a.readers === 'all' ? { readers: 'all' } : {}),
  };
}

export function canonicalPlan(plan: QuantPlan, float: Model) {
  return {
    weights: plan.weights.map((d) => canonicalWeight(d, float)).sort((a, b) => String(a.node).localeCompare(String(b.node))),
    activations: plan.activations.map(canonicalActivation).sort((a, b) => String(a.value).localeCompare(String(b.value))),
  };
}

/**
 * Run `model` on ORT (optimizations off) with `feeds`; returns its graph outputs and the value each listed layer
 * reads at its weight input (`layers`: node name → input slot), as raw float32 arrays.
 */
export async function runWithWeights(
  model: Model,
  feeds: Record<string, ort.Tensor>,
  layers: ReadonlyArray<[string, number]>,
): Promise<{ outputs: Float32Array[]; weights: Map<string, Float32Array> }> {
  const g = model.graph!;
  const names = layers.map(([node, slot]) => [node, g.nodes.find((n) => n.name === node)!.inputs[slot]!] as const);
  const copy: Model = { ...model, graph: { ...g, valueInfo: [], outputs: [...g.outputs, ...names.map(([, v]) => ({ name: v }))] } };
  const s = await ort.InferenceSession.create(modelToBytes(copy), { graphOptimizationLevel: 'disabled' });
  try {
    const r = await s.run(feeds);
    return {
      outputs: g.outputs.map((o) => r[o.name]!.data as Float32Array),
      weights: new Map(names.map(([node, v]) => [node, r[v]!.data as Float32Array])),
    };
  } finally {
    await s.release();
  }
}

/** Bitwise equality of two float32 arrays (NaN payloads and −0 included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
  );
}
