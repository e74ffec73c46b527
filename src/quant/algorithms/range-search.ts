import { intAttr } from '../../onnx/ir/attributes.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../../onnx/ir/graph.js';
import { makeTensor } from '../../onnx/ir/tensor.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import { collectHistograms } from '../calibration/collect.js';
import { fullRangeValues } from '../calibration/full-range.js';
import { activationQuantizer, type ActivationMode } from '../observers/activation-range.js';
import { OBSERVERS } from '../observers/observers.js';
import type { ActivationDecision, ObserverName, WeightDecision } from '../plan.js';

/**
 * Activation range search: for each activation that enters quantized Convs, try several observers' ranges and keep
 * the one whose quantization error hurts the consuming layers least — Σ‖Conv(QDQ(x) − x, W)‖² over calibration
 * images, the error as the next layer sees it, not as the histogram sees it. (A per-tensor MSE over the values can
 * prefer a range that crushes a few large, important channels; the downstream error weighs them by their weights.)
 */

export interface RangeCandidate {
  observer: ObserverName;
  percentile?: number;
}

export const RANGE_CANDIDATES: readonly RangeCandidate[] = Object.freeze([
  { observer: 'minmax' },
  { observer: 'percentile', percentile: 99.999 },
  { observer: 'percentile', percentile: 99.99 },
  { observer: 'percentile', percentile: 99.9 },
  { observer: 'mse' },
  { observer: 'entropy' },
]);

/** The only candidate for a value whose range must not be clipped. */
const FULL_RANGE_CANDIDATES: readonly RangeCandidate[] = Object.freeze([{ observer: 'minmax' }]);

export interface RangeSearchOptions {
  mode: ActivationMode;
  candidates?: readonly RangeCandidate[];
  threads?: number;
  /** After each input of either pass (histograms, then scoring): inputs done so far, both passes counted. */
  onProgress?: (done: number) => void;
}

interface Scored {
  value: string;
  options: ActivationDecision[];
  outputs: string[][];
}

function scoringModel(work: Model, scored: readonly Scored[], consumers: Map<string, Node[]>): Model {
  const g = mainGraph(work);
  const nodes = [...g.nodes];
  const inits = [...g.initializers];
  const outputs = [...g.outputs];
  scored.forEach((s, vi) => {
    s.options.forEach((a, ci) => {
      const p = `yoloq_rs${vi}_${ci}`;
      const type = a.signed ? DataType.INT8 : DataType.UINT8;
      inits.push(makeTensor(`${p}_s`, DataType.FLOAT, [], [a.scale]), makeTensor(`${p}_zp`, type, [], [a.zeroPoint]));
      nodes.push({ opType: 'QuantizeLinear', name: `${p}_q`, inputs: [s.value, `${p}_s`, `${p}_zp`], outputs: [`${p}_q`], attributes: [] });
      nodes.push({
        opType: 'DequantizeLinear',
        name: `${p}_dq`,
        inputs: [`${p}_q`, `${p}_s`, `${p}_zp`],
        outputs: [`${p}_dq`],
        attributes: [],
      });
      nodes.push({ opType: 'Sub', name: `${p}_d`, inputs: [`${p}_dq`, s.value], outputs: [`${p}_d`], attributes: [] });
      const outs: string[] = [];
      (consumers.get(s.value) ?? []).forEach((n, ni) => {
        const y = `${p}_y${ni}`;
        nodes.push({ opType: 'Conv', name: y, inputs: [`${p}_d`, n.inputs[1]!], outputs: [y], attributes: n.attributes });
        nodes.push({ opType: 'ReduceSumSquare', name: `${y}_e`, inputs: [y], outputs: [`${y}_e`], attributes: [intAttr('keepdims', 0)] });
        outputs.push({ name: `${y}_e`, type: { elemType: DataType.FLOAT } });
        outs.push(`${y}_e`);
      });
      s.outputs.push(outs);
    });
  });
  return { ...work, graph: { ...g, nodes, initializers: inits, outputs } };
}

/**
 * Refine `activations` (from planActivations): every decision whose value only feeds quantized Convs at input 0
 * gets the candidate range with the least downstream error on `scoreFeeds`. Others are returned unchanged.
 * Histograms come from `histFeeds` (the calibration set).
 */
export async function searchActivationRanges(
  work: Model,
  weights: readonly WeightDecision[],
  activations: readonly ActivationDecision[],
  histFeeds: AsyncIterable<Record<string, HostTensor>>,
  scoreFeeds: AsyncIterable<Record<string, HostTensor>>,
  options: RangeSearchOptions,
): Promise<ActivationDecision[]> {
  const g = mainGraph(work);
  const quantized = new Set(weights.map((w) => w.node));
  const consumers = new Map<string, Node[]>();
  g.nodes.forEach((n, i) => {
    if (n.opType === 'Conv' && quantized.has(nodeLabel(n, i)) && n.inputs[0])
      consumers.set(n.inputs[0], [...(consumers.get(n.inputs[0]) ?? []), n]);
  });
  // A value every reader sees quantized (SiLU path, integer chain, TensorRT groups) is scored by its quantized
  // Convs too; group scales are shared again afterwards (plan-model.ts).
  const eligible = activations.filter((a) => consumers.has(a.value));
  if (eligible.length === 0) return [...activations];
  let histImages = 0;
  const hists = await collectHistograms(
    work,
    eligible.map((a) => a.value),
    histFeeds,
    {
      threads: options.threads,
      onProgress: (n) => {
        histImages = n;
        options.onProgress?.(n);
      },
    },
  );
  let scoredImages = 0;
  const levels = options.mode === 'symmetric' ? 254 : 255;
  // A Softmax output keeps its min/max range: clipping it cuts the peaks that carry the decision (full-range.ts).
  const fullRange = fullRangeValues(work);
  const scored: Scored[] = eligible.map((a) => {
    const h = hists.get(a.value)!;
    const candidates = fullRange.has(a.value) ? FULL_RANGE_CANDIDATES : (options.candidates ?? RANGE_CANDIDATES);
    const opts = candidates.map((c) => {
      const range = h.total === 0 ? ([0, 0] as [number, number]) : OBSERVERS[c.observer](h, { percentile: c.percentile ?? 99.99, levels });
      return activationQuantizer(a.value, [h.min, h.max], range, c.observer, options.mode);
    });
    return { value: a.value, options: opts, outputs: [] };
  });
  const session = await createSession(modelToBytes(scoringModel(work, scored, consumers)), { threads: options.threads ?? 0 });
  const errors = scored.map((s) => new Float64Array(s.options.length));
  const names = scored.flatMap((s) => s.outputs.flat());
  try {
    for await (const feed of scoreFeeds) {
      const res = await session.run(feed, names);
      scored.forEach((s, vi) =>
        s.outputs.forEach((outs, ci) => {
          for (const o of outs) errors[vi]![ci]! += (res[o]!.data as Float32Array)[0]!;
        }),
      );
      options.onProgress?.(histImages + ++scoredImages);
    }
  } finally {
    await session.dispose();
  }
  const best = new Map(
    scored.map((s, vi) => {
      const e = errors[vi]!;
      let k = 0;
      for (let c = 1; c < e.length; c++) if (e[c]! < e[k]!) k = c;
      return [s.value, s.options[k]!];
    }),
  );
  return activations.map((a) => {
    const b = best.get(a.value);
    return b
      ? { ...b, ...(a.group !== undefined ? { group: a.group } : {}), ...(a.readers !== undefined ? { readers: a.readers } : {}) }
      : a;
  });
}
