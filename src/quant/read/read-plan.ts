import { mainGraph, nodeLabel, type Graph, type Model } from '../../onnx/ir/graph.js';
import { indexGraph, type GraphIndex } from '../../onnx/ir/graph-index.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { sha256 } from '../../util/sha256.js';
import type { ActivationDecision, QuantPlan, WeightDecision } from '../plan.js';
import type { SchemeName } from '../scheme.js';
import { buildFloatGraph } from './float-graph.js';
import { readActivations } from './read-activations.js';
import { readWeights } from './read-weight.js';

/**
 * One reader for every quantized graph yoloq meets — its own QCDQ, QDQ and INT4 exports, Brevitas'
 * export_onnx_qcdq, ORT-style QDQ: the graph becomes the float model it stands for plus the QuantPlan that
 * re-creates it. Weights keep their exact codes, scales and zero points (so any exporter rebuilds the same
 * dequantized values, bit for bit); activation Q/DQ pairs keep their scale and zero point. `inspect` reads weights
 * through the same functions, and `convert` is this reader followed by the exporter. Weights that reach their layer
 * in FP16 (W4A16's GPU graph casts each dequantized weight) are kept: plans apply to FP32 graphs; read the FP32 twin
 * (`quantize --act-dtype fp32`) instead.
 */

export interface ReadPlanResult {
  /**
   * The float model: every represented weight chain replaced by a float32 initializer holding exactly the values
   * it dequantized to (named like the value the layer read), every represented activation Q/DQ pair removed.
   */
  float: Model;
  /** Decisions that re-create the source from `float`; `modelSha256` is the SHA-256 of `modelToBytes(float)`. */
  plan: QuantPlan;
  /** Quantizers the plan cannot express, by node label, and why; they stay in `float` as they are. */
  kept: Array<{ node: string; reason: string }>;
}

/** The scheme that names what was read: 4-bit weights present → w4, else w8; activation pairs → a8, else a16. */
export function schemeOf(weights: readonly WeightDecision[], activations: readonly ActivationDecision[]): SchemeName {
  const w = weights.some((d) => d.bits <= 4) ? 'w4' : 'w8';
  return `${w}${activations.length > 0 ? 'a8' : 'a16'}` as SchemeName;
}

export function readPlan(model: Model): ReadPlanResult {
  const graph = mainGraph(model);
  const index = indexGraph(graph);
  const weights = readWeights(graph, index);
  const kept: ReadPlanResult['kept'] = [];
  const weightNodes = new Set(weights.flatMap((w) => w.trace.nodes));
  const quantized = new Set(weights.filter((w) => w.read).map((w) => w.nodeIndex));
  for (const w of weights) {
    if (w.kept) kept.push({ node: nodeLabel(graph.nodes[w.trace.dq!]!, w.trace.dq!), reason: w.kept });
  }
  const acts = readActivations(graph, index, weightNodes, quantized);
  kept.push(...acts.kept);
  const rewire = new Map(acts.activations.flatMap((a) => a.dequantized.map((d) => [d, a.decision.value] as const)));
  const { model: float, indexMap } = buildFloatGraph(model, {
    weights: weights.flatMap((w) => (w.read ? [{ name: w.read.decision.tensor, dims: w.read.decision.shape, values: w.read.values }] : [])),
    activationNodes: acts.activations.flatMap((a) => a.nodes),
    rewire,
  });
  const label = (i: number) => nodeLabel(graph.nodes[i]!, indexMap[i]!);
  const decisions: WeightDecision[] = weights.flatMap((w) => (w.read ? [{ node: label(w.nodeIndex), ...w.read.decision }] : []));
  const floatLayers = weights
    .filter((w) => w.trace.format === 'float')
    .map((w) => ({ node: label(w.nodeIndex), reason: 'float weight in the source model' }));
  const reported = new Set(kept.map((k) => k.node));
  // Any other quantizer left in the float graph (a bias DequantizeLinear, a lone QuantizeLinear) is named too.
  graph.nodes.forEach((n, i) => {
    if ((n.opType !== 'QuantizeLinear' && n.opType !== 'DequantizeLinear') || indexMap[i] === -1) return;
    if (weightNodes.has(i) || reported.has(nodeLabel(n, i))) return;
    if (readerOfKeptPair(graph, index, i, reported)) return;
    kept.push({ node: nodeLabel(n, i), reason: 'not a weight or activation quantizer a plan can hold' });
  });
  const activations = acts.activations.map((a) => a.decision);
  const plan: QuantPlan = {
    yoloqPlan: 1,
    scheme: schemeOf(decisions, activations),
    modelSha256: sha256(modelToBytes(float)),
    weights: decisions,
    activations,
    float: floatLayers,
  };
  return { float, plan, kept };
}

/** A DequantizeLinear that reads a kept activation QuantizeLinear (directly or through a Clip) belongs to that report. */
function readerOfKeptPair(graph: Graph, index: GraphIndex, i: number, reported: ReadonlySet<string>): boolean {
  let n = graph.nodes[i]!;
  if (n.opType !== 'DequantizeLinear') return false;
  for (let guard = 0; guard < 8; guard++) {
    const p = index.producer.get(n.inputs[0] ?? '');
    if (p === undefined) return false;
    n = graph.nodes[p]!;
    if (n.opType === 'QuantizeLinear') return reported.has(nodeLabel(n, p));
    if (n.opType !== 'Clip' && n.opType !== 'Identity') return false;
  }
  return false;
}
