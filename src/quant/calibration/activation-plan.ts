import { mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import { activationQuantizer, type ActivationMode } from '../observers/activation-range.js';
import { OBSERVERS } from '../observers/observers.js';
import type { ActivationDecision, ObserverName, WeightDecision } from '../plan.js';
import { collectHistograms } from './collect.js';
import { ortIntegerPlacement } from './ort-placement.js';
import { shareGroupScales, tensorrtPlacement } from './trt-placement.js';

/**
 * Where activations get Q/DQ beyond the quantized nodes' inputs: 'default' nowhere else; 'tensorrt' NVIDIA's
 * placement (trt-placement.ts); 'ort-integer' every value of the chain between the first and last quantized Conv,
 * so ORT's CPU EP runs it all in integer kernels (ort-placement.ts).
 */
export type ActivationPlacement = 'default' | 'tensorrt' | 'ort-integer';

export interface ActivationPlanOptions {
  /** Also quantize each quantized Conv's SiLU (Sigmoid × Mul) path for an all-integer chain on ORT CPU. */
  siluPath?: boolean;
  /** See ActivationPlacement; default 'default'. */
  placement?: ActivationPlacement;
  observer: ObserverName;
  mode: ActivationMode;
  /** For the percentile observer; default 99.99. */
  percentile?: number;
  threads?: number;
  onProgress?: (done: number) => void;
}

/**
 * The activations an A8 scheme quantizes: every non-constant value a quantized node reads as data (Conv/Gemm
 * input 0, both MatMul operands). Q/DQ sits only there, so no operator ever receives two integer inputs with
 * different scales (Concat and Add stay float between them) and no scales need to be shared.
 */
export function activationValues(model: Model, weights: readonly WeightDecision[]): string[] {
  const graph = mainGraph(model);
  const quantized = new Set(weights.map((w) => w.node));
  const inits = new Set(graph.initializers.map((t) => t.name));
  const values: string[] = [];
  const seen = new Set<string>();
  graph.nodes.forEach((n, i) => {
    if (!quantized.has(nodeLabel(n, i))) return;
    const slots = n.opType === 'MatMul' ? [0, 1] : [0];
    for (const s of slots) {
      const v = n.inputs[s];
      if (v && !inits.has(v) && !seen.has(v)) {
        seen.add(v);
        values.push(v);
      }
    }
  });
  return values;
}

/**
 * Values on the SiLU path after each quantized Conv — the Conv output y and Sigmoid(y) when y feeds exactly a
 * Sigmoid and a Mul(y, Sigmoid(y)) — whose every reader must see the quantized value for ORT to fuse
 * DQ → Conv → Q, DQ → Sigmoid → Q and DQ, DQ → Mul → Q into integer kernels. (The Mul's output is the next
 * Conv's input, quantized already.)
 */
export function siluPathValues(model: Model, weights: readonly WeightDecision[]): string[] {
  const graph = mainGraph(model);
  const quantized = new Set(weights.map((w) => w.node));
  const readers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((v) => readers.set(v, [...(readers.get(v) ?? []), i])));
  const out: string[] = [];
  graph.nodes.forEach((n, i) => {
    if (n.opType !== 'Conv' || !quantized.has(nodeLabel(n, i))) return;
    const y = n.outputs[0]!;
    const rs = (readers.get(y) ?? []).map((k) => graph.nodes[k]!);
    const sig = rs.find((r) => r.opType === 'Sigmoid');
    const mul = rs.find((r) => r.opType === 'Mul');
    if (rs.length !== 2 || !sig || !mul || !mul.inputs.includes(sig.outputs[0]!)) return;
    out.push(y, sig.outputs[0]!, mul.outputs[0]!);
  });
  return out;
}

/** Calibrate: collect histograms of the activation values on `feeds`, then pick each one's range and quantizer. */
export async function planActivations(
  model: Model,
  weights: readonly WeightDecision[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: ActivationPlanOptions,
): Promise<ActivationDecision[]> {
  const base = activationValues(model, weights);
  const silu = options.siluPath ? siluPathValues(model, weights) : [];
  const placed: Array<{ value: string; group?: string }> =
    options.placement === 'tensorrt'
      ? tensorrtPlacement(model, weights)
      : options.placement === 'ort-integer'
        ? ortIntegerPlacement(model, weights)
        : [];
  const groups = new Map(placed.flatMap((p) => (p.group === undefined ? [] : [[p.value, p.group] as const])));
  const all = new Set([...silu, ...placed.map((p) => p.value)]);
  const values = [...base, ...[...all].filter((v) => !base.includes(v))];
  const hists = await collectHistograms(model, values, feeds, { threads: options.threads, onProgress: options.onProgress });
  const levels = options.mode === 'symmetric' ? 254 : 255;
  const decisions = values.map((v): ActivationDecision => {
    const h = hists.get(v)!;
    if (h.total === 0) return activationQuantizer(v, [0, 0], [0, 0], options.observer, options.mode);
    // A chain value no quantized node reads (a Conv output before its SiLU, a Sigmoid output) is never scored by
    // range search, and min/max there lets one outlier coarsen every value: its range minimizes the MSE instead.
    const observer = base.includes(v) || options.observer !== 'minmax' ? options.observer : 'mse';
    const range = OBSERVERS[observer](h, { percentile: options.percentile ?? 99.99, levels });
    const d = activationQuantizer(v, [h.min, h.max], range, observer, options.mode);
    const group = groups.get(v);
    return all.has(v) ? { ...d, readers: 'all' as const, ...(group !== undefined ? { group } : {}) } : d;
  });
  return groups.size > 0 ? shareGroupScales(decisions, options.mode) : decisions;
}
