import type { Model } from '../../onnx/ir/graph.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import type { WeightDecision } from '../plan.js';
import type { QuantTarget } from '../policy/targets.js';
import { BlockScaleRows, gridOf } from '../weights/two-level.js';
import { NO_TIMER, type StageTimer } from '../stage-timer.js';
import { gptqQuantize } from './gptq.js';
import { collectHessians, hessianSupported, type LayerHessian } from './hessian.js';

/**
 * The GPTQ plan producer: takes the policy's decisions (bits, granularity, reason — from planWeightsRtn) and
 * replaces each supported layer's round-to-nearest scales with GPTQ's scales and codes. Layers GPTQ cannot take
 * (ConvTranspose, MatMul, Gemm with transB=0) and per-tensor decisions keep their RTN rounding.
 */

export interface GptqPlanOptions {
  /** Dampening as a fraction of mean diag(H) (default 0.01). */
  damp?: number;
  actOrder?: boolean;
  clipRatios?: readonly number[];
  /** Asymmetric grids (zero points) for ≤ 4-bit decisions; 8-bit ones stay symmetric (default false). */
  asymmetric?: boolean;
  /** Coordinate-descent sweeps after GPTQ (GptqOptions.refine; default 0). */
  refine?: number;
  threads?: number;
  /** Hessians already collected for this model and calibration set (e.g. by an earlier variant); filled when empty. */
  hessians?: Map<string, LayerHessian>;
  /** How many inputs `feeds` yields: the total of the 'hessians' progress stage (one pass, one unit per image). */
  feedCount?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Times the Hessian pass and the rounding as stages "hessians" and "gptq". */
  timer?: StageTimer;
}

/** Whether a decision gets an asymmetric grid: asked for, and at most 4 bits (where half a grid costs the most). */
export function asymmetricFor(d: WeightDecision, options: { asymmetric?: boolean }): boolean {
  return (options.asymmetric ?? false) && d.bits <= 4;
}

/** GPTQ one decision with its Hessian; returns the decision with scales, codes and algorithm replaced. */
export function gptqDecision(d: WeightDecision, weight: Float32Array, hess: LayerHessian, options: GptqPlanOptions): WeightDecision {
  if (d.granularity.kind === 'per-tensor') return d;
  const rows = d.shape[0]!;
  const k = weight.length / rows;
  if (k !== hess.k * 1 || rows % hess.groups !== 0)
    throw new RangeError(`${d.node}: Hessian [${hess.groups}, ${hess.k}] does not fit weight [${d.shape}]`);
  const rowsPerGroup = rows / hess.groups;
  const asymmetric = asymmetricFor(d, options);
  const codes = new Int8Array(weight.length);
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  const blockScales = new BlockScaleRows();
  for (let g = 0; g < hess.groups; g++) {
    const w = weight.subarray(g * rowsPerGroup * k, (g + 1) * rowsPerGroup * k);
    const h = hess.h.subarray(g * k * k, (g + 1) * k * k);
    const r = gptqQuantize(w, rowsPerGroup, k, h, {
      bits: d.bits,
      narrow: d.narrow,
      granularity: d.granularity,
      damp: options.damp,
      actOrder: options.actOrder,
      clipRatios: options.clipRatios,
      asymmetric,
      refine: options.refine,
      ...(d.blockScales ? { twoLevel: gridOf(d.blockScales) } : {}),
    });
    codes.set(r.codes, g * rowsPerGroup * k);
    for (const s of r.scales) scales.push(s);
    if (r.zeroPoints) for (const z of r.zeroPoints) zeroPoints.push(z);
    if (r.blockScales) blockScales.add(r.blockScales);
  }
  const actOrder = options.actOrder ?? true;
  return {
    ...d,
    scales,
    ...(asymmetric ? { narrow: false, zeroPoints } : {}),
    ...blockScales.decisionField(),
    algorithm: {
      name: 'gptq',
      damp: options.damp ?? 0.01,
      actOrder,
      clipSearch: true,
      asymmetric,
      ...(options.refine ? { refine: options.refine } : {}),
    },
    codes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64'),
  };
}

/** Collect Hessians on `feeds` and GPTQ every supported decision, in plan order. */
export async function planWeightsGptq(
  work: Model,
  targets: readonly QuantTarget[],
  decisions: readonly WeightDecision[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: GptqPlanOptions = {},
): Promise<WeightDecision[]> {
  const planned = new Set(decisions.map((d) => d.node));
  const chosen = targets.filter((t) => planned.has(t.node) && hessianSupported(t));
  const cached = options.hessians;
  const timer = options.timer ?? NO_TIMER;
  const hessians =
    cached && chosen.every((t) => cached.has(t.node))
      ? cached
      : await timer.time(
          'hessians',
          () =>
            collectHessians(work, chosen, feeds, {
              threads: options.threads,
              onProgress: (n) => options.onProgress?.('hessians', n, options.feedCount ?? 0),
            }),
          options.feedCount !== undefined ? { images: options.feedCount } : {},
        );
  if (cached && hessians !== cached) for (const [k, v] of hessians) cached.set(k, v);
  const byNode = new Map(targets.map((t) => [t.node, t]));
  let done = 0;
  return timer.time('gptq', async () =>
    decisions.map((d) => {
      const h = hessians.get(d.node);
      const t = byNode.get(d.node);
      options.onProgress?.('gptq', ++done, decisions.length);
      if (!h || !t || h.count === 0) return d;
      return gptqDecision(d, toFloat32(t.weight), h, options);
    }),
  );
}
