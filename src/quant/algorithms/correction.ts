import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mainGraph, type Graph, type Model } from '../../onnx/ir/graph.js';
import { indexGraph, type GraphIndex } from '../../onnx/ir/graph-index.js';
import { constantThroughIdentity } from '../read/weight-trace.js';
import { BlockScaleRows, gridOf } from '../weights/two-level.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import type { QuantPlan, WeightDecision } from '../plan.js';
import type { QuantTarget } from '../policy/targets.js';
import {
  cacheFloatInputs,
  collectCorrectionStats,
  simCut,
  simOpset,
  totalSums,
  type CorrectionStats,
  type LayerSums,
} from './correction-stats.js';
import type { FeedCache } from './feed-cache.js';
import { gptqQuantize } from './gptq.js';
import { choleskyLower, choleskySolve } from './linalg.js';
import type { Simulate } from './simulate.js';

/**
 * Error correction: re-fit every quantized Conv to the float model's output given the inputs the *quantized*
 * model feeds it. GPTQ alone minimises ‖W·X − Ŵ·X‖² with the float model's inputs X; by the time a layer runs in
 * the quantized model its input is X̃ (upstream weight and activation rounding), and that drift is what piles up
 * through a 4-bit backbone. Here each layer solves
 *
 *   min over Ŵ, b̂ of ‖W·X + b − Ŵ·X̃ − b̂‖² + λ‖[Ŵ, b̂] − [W, b]‖²
 *
 * (λ pulls towards the float weights, so a layer whose inputs did not drift keeps its target exactly), whose
 * unconstrained solution is [W, b] + [W, b]·(C′ − H̃′)·(H̃′ + λI)⁻¹ with the bias as a column of ones:
 * H̃′ = Σ x̃′x̃′ᵀ, C′ = Σ x′x̃′ᵀ. That target is then rounded by GPTQ with H̃′, the bias column left float so it
 * absorbs the rounding error's mean — bias correction falls out of the same solve.
 *
 * Layers are corrected in topological order, `chunk` at a time: a chunk is measured with every layer before it
 * already corrected and quantized, and itself and everything after it at float weights (activations quantized
 * throughout). Fitting all layers at once against one simulated model does not work — each layer compensates
 * drift that its corrected upstream no longer produces, and measured on YOLOX-nano W4A16 that double
 * compensation cut raw-output SQNR from 13.1 to 4.5 dB. One ORT pass per chunk, pruned after its last layer; the
 * passes share the float model's values and the fake-quant values earlier chunks made final (`shareFloat`).
 */

export interface CorrectionOptions {
  /** Builds the fake-quant graph the layer inputs are measured in (src/export/simulated-model.ts). */
  simulate: Simulate;
  /** Layers corrected per ORT pass (default 8). */
  chunk?: number;
  /**
   * λ of the pull towards the float weights' output, as a fraction of mean diag(H̃). Default ∞: no pull — the layer
   * is re-rounded by GPTQ against the Hessian of its *quantized* inputs with its bias re-fit, which is what every
   * measured table ran (docs/accuracy.md). `crossValidate` chooses λ per layer group instead.
   */
  damp?: number;
  /**
   * Choose λ per layer group by two-fold cross-validation over even/odd images among RIDGE_CANDIDATES. Off by
   * default: until 2026-12-04 a fold-assignment bug sent every image to one fold, so this path never ran in any
   * measurement, and turning it on changes plans by an amount not yet measured.
   */
  crossValidate?: boolean;
  /** GPTQ dampening and ordering for the re-rounding (defaults as GPTQ's). */
  gptqDamp?: number;
  actOrder?: boolean;
  /** Coordinate-descent sweeps after the re-rounding (GptqOptions.refine; default 0). */
  refine?: number;
  threads?: number;
  /**
   * Share work across chunks (default true): the float model runs once and every chunk reads its layer inputs
   * (and the decoded images) from a scratch file, and a chunk's pass runs only the fake-quant nodes whose values
   * are not final yet, reading the rest from the same file (SimCut). false runs float and fake-quant models side
   * by side from the image for every chunk. Both give the same plan, byte for byte; false is the reference the
   * shared path is tested against.
   */
  shareFloat?: boolean;
  /**
   * Disk the shared path's float layer inputs may take (default: the smaller of 8 GiB and a quarter of the temp
   * folder's free space). Past it, the float pass is dropped and every chunk runs float and fake-quant side by side:
   * the same plan, slower, without filling the disk (a YOLOv10m-size model's 64-image float layer inputs are 19.5 GiB).
   * A quarter, because the fake-quant values later chunks reuse come on top, of about the same size.
   */
  cacheBytes?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** The shared path's default disk budget for its float layer inputs (CorrectionOptions.cacheBytes). */
export function defaultCacheBytes(dir: string = tmpdir()): number {
  const cap = 8 * 2 ** 30;
  try {
    const fs = statfsSync(dir);
    return Math.min(cap, (fs.bavail * fs.bsize) / 4);
  } catch {
    return cap / 8;
  }
}

/** Ridge strengths tried per layer group (fractions of mean diag(H̃)); Infinity keeps the float target. */
export const RIDGE_CANDIDATES: readonly number[] = Object.freeze([0.01, 0.1, 1, Infinity]);

/** One group's sums, augmented with the bias input 1: H̃′ and C′, both (k+1)². */
export function augmented(
  k: number,
  hq: ArrayLike<number>,
  cross: ArrayLike<number>,
  sumQ: ArrayLike<number>,
  sumF: ArrayLike<number>,
  count: number,
): { hAug: Float64Array; cAug: Float64Array } {
  const n = k + 1;
  const hAug = new Float64Array(n * n);
  const cAug = new Float64Array(n * n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      hAug[i * n + j] = hq[i * k + j]!;
      cAug[i * n + j] = cross[i * k + j]!;
    }
    hAug[i * n + k] = sumQ[i]!;
    hAug[k * n + i] = sumQ[i]!;
    cAug[i * n + k] = sumF[i]!;
    cAug[k * n + i] = sumQ[i]!;
  }
  hAug[k * n + k] = count;
  cAug[k * n + k] = count;
  return { hAug, cAug };
}

/** [W | b] as rows × (k+1). */
function withBias(w: ArrayLike<number>, b: ArrayLike<number>, rows: number, k: number): Float64Array {
  const n = k + 1;
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) out[r * n + i] = w[r * k + i]!;
    out[r * n + k] = b[r]!;
  }
  return out;
}

/** W′ + W′·(C′ − H̃′)·(H̃′ + λI)⁻¹ with λ = rel·mean(diag H̃); rel = Infinity gives W′. */
export function ridgeTarget(
  wAug: Float64Array,
  rows: number,
  n: number,
  hAug: Float64Array,
  cAug: Float64Array,
  rel: number,
): Float64Array {
  if (rel === Infinity) return Float64Array.from(wAug);
  let mean = 0;
  for (let i = 0; i < n - 1; i++) mean += hAug[i * n + i]!;
  const lambda = Math.max(rel * (mean / Math.max(1, n - 1)), 1e-12);
  const a = Float64Array.from(hAug);
  for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
  // E = (C′ − H̃′)ᵀ·W′ᵀ [n, rows]; solve A·Y = E; target = W′ + Yᵀ.
  const e = new Float64Array(n * rows);
  for (let i = 0; i < n; i++) {
    const di = i * n;
    for (let r = 0; r < rows; r++) {
      const wr = wAug[r * n + i]!;
      if (wr === 0) continue;
      for (let j = 0; j < n; j++) e[j * rows + r]! += (cAug[di + j]! - hAug[di + j]!) * wr;
    }
  }
  choleskySolve(choleskyLower(a, n), n, e, rows);
  const target = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) target[r * n + j] = wAug[r * n + j]! + e[j * rows + r]!;
  return target;
}

/** Σ‖W′x′ − T·x̃′‖² up to a constant: Σ_r (t_r·H̃′·t_rᵀ − 2·w_r·C′·t_rᵀ). */
export function fitError(wAug: Float64Array, t: Float64Array, rows: number, n: number, hAug: Float64Array, cAug: Float64Array): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const ro = r * n;
    for (let i = 0; i < n; i++) {
      let ht = 0;
      let ct = 0;
      for (let j = 0; j < n; j++) {
        ht += hAug[i * n + j]! * t[ro + j]!;
        ct += cAug[i * n + j]! * t[ro + j]!;
      }
      total += t[ro + i]! * ht - 2 * wAug[ro + i]! * ct;
    }
  }
  return total;
}

/**
 * The corrected target for one group: rows of [W | b] (rows × (k+1)) and the augmented Hessian H̃′ (k+1)².
 * `w` [rows, k], `b` [rows]; stats for this group only; `damp` the ridge (fraction of mean diag H̃).
 */
export function correctedTarget(
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  rows: number,
  k: number,
  hq: ArrayLike<number>,
  cross: ArrayLike<number>,
  sumQ: ArrayLike<number>,
  sumF: ArrayLike<number>,
  count: number,
  damp: number,
): { target: Float64Array; hAug: Float64Array } {
  const { hAug, cAug } = augmented(k, hq, cross, sumQ, sumF, count);
  return { target: ridgeTarget(withBias(w, b, rows, k), rows, k + 1, hAug, cAug, damp), hAug };
}

/**
 * The ridge for one group by two-fold cross-validation over calibration images: fit on the even images, score
 * on the odd, and the other way round; the candidate with the least summed held-out error wins. Deep layers
 * see few positions per image (13×13 at stride 32) for K up to 1,152 inputs, and a weak ridge there fits noise —
 * measured on YOLOX-nano as output SQNR 1–3 dB below no correction on held-out images.
 */
export function chooseRidge(
  wAug: Float64Array,
  rows: number,
  n: number,
  folds: ReadonlyArray<{ hAug: Float64Array; cAug: Float64Array }>,
  candidates: readonly number[] = RIDGE_CANDIDATES,
): number {
  let best = candidates[candidates.length - 1]!;
  let bestErr = Infinity;
  for (const rel of candidates) {
    let err = 0;
    for (let f = 0; f < folds.length; f++) {
      const fit = folds[f]!;
      const held = folds[(f + 1) % folds.length]!;
      err += fitError(wAug, ridgeTarget(wAug, rows, n, fit.hAug, fit.cAug, rel), rows, n, held.hAug, held.cAug);
    }
    if (err < bestErr) {
      bestErr = err;
      best = rel;
    }
  }
  return best;
}

/** The model's float bias of a Conv (zeros when it has none); undefined when the bias is not a constant. */
function floatBias(g: Graph, index: GraphIndex, t: QuantTarget, rows: number): Float32Array | undefined {
  const name = g.nodes[t.nodeIndex]!.inputs[2];
  if (!name) return new Float32Array(rows);
  const c = constantThroughIdentity(g, index, name);
  return c ? toFloat32(c) : undefined;
}

/** One decision corrected with its statistics: new scales, codes, bias; the algorithm name records the ridges. */
export function correctDecision(
  d: WeightDecision,
  weight: Float32Array,
  bias: Float32Array,
  st: CorrectionStats,
  options: Omit<CorrectionOptions, 'simulate'>,
): WeightDecision {
  const rows = d.shape[0]!;
  const k = st.k;
  const n = k + 1;
  const per = rows / st.groups;
  const total = totalSums(st);
  const codes = new Int8Array(rows * k);
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  // A two-level decision is re-rounded on its own grid kind: uint8 row scales are chosen anew with the new weights,
  // an e4m3 tensor scale is kept (the row groups are corrected one at a time and must share it).
  const blockScales = new BlockScaleRows();
  // An asymmetric decision (GPTQ's zero points) is re-rounded on an asymmetric grid.
  const asymmetric = d.zeroPoints !== undefined;
  const newBias: number[] = [];
  const chosen = new Map<number, number>();
  const slice = (s: LayerSums, g: number) =>
    augmented(
      k,
      s.hq.subarray(g * k * k, (g + 1) * k * k),
      s.cross.subarray(g * k * k, (g + 1) * k * k),
      s.sumQ.subarray(g * k, (g + 1) * k),
      s.sumF.subarray(g * k, (g + 1) * k),
      s.count,
    );
  for (let g = 0; g < st.groups; g++) {
    const wAug = withBias(weight.subarray(g * per * k, (g + 1) * per * k), bias.subarray(g * per, (g + 1) * per), per, k);
    const rel =
      options.damp ??
      (options.crossValidate && st.folds[0].count > 0 && st.folds[1].count > 0
        ? chooseRidge(wAug, per, n, [slice(st.folds[0], g), slice(st.folds[1], g)])
        : Infinity);
    chosen.set(rel, (chosen.get(rel) ?? 0) + 1);
    const { hAug, cAug } = slice(total, g);
    const target = ridgeTarget(wAug, per, n, hAug, cAug, rel);
    const r = gptqQuantize(target, per, n, hAug, {
      bits: d.bits,
      narrow: d.narrow,
      granularity: d.granularity,
      damp: options.gptqDamp,
      actOrder: options.actOrder,
      free: 1,
      asymmetric,
      refine: options.refine,
      ...(d.blockScales ? { twoLevel: gridOf(d.blockScales) } : {}),
    });
    codes.set(r.codes, g * per * k);
    for (const s of r.scales) scales.push(s);
    if (r.zeroPoints) for (const z of r.zeroPoints) zeroPoints.push(z);
    if (r.blockScales) blockScales.add(r.blockScales);
    for (const v of r.free) newBias.push(Math.fround(v));
  }
  const ridges = [...chosen].sort((a, b) => a[0] - b[0]).map(([rel, groups]) => ({ ridge: Number.isFinite(rel) ? rel : null, groups }));
  return {
    ...d,
    scales,
    bias: newBias,
    ...(asymmetric ? { zeroPoints } : {}),
    ...blockScales.decisionField(),
    codes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64'),
    algorithm: { ...d.algorithm, correction: { ridges, chunk: options.chunk ?? 8 } },
  };
}

/** Whether error correction takes this decision: a Conv with per-channel or blocked scales. */
function correctable(d: WeightDecision): boolean {
  return d.opType === 'Conv' && d.granularity.kind !== 'per-tensor';
}

/**
 * Correct every Conv decision of a plan (weights and, for A8, activations already planned), chunk by chunk in
 * topological order; returns the corrected plan. `feeds` is called once per chunk.
 */
export async function correctPlan(
  work: Model,
  plan: QuantPlan,
  targets: readonly QuantTarget[],
  feeds: () => AsyncIterable<Record<string, HostTensor>>,
  options: CorrectionOptions,
): Promise<QuantPlan> {
  const byNode = new Map(targets.map((t) => [t.node, t]));
  const chosen = plan.weights
    .filter(correctable)
    .map((d) => byNode.get(d.node))
    .filter((t): t is QuantTarget => t !== undefined && t.opType === 'Conv');
  const biases = new Map<string, Float32Array>();
  const g = mainGraph(work);
  const index = indexGraph(g);
  for (const t of chosen) {
    const b = floatBias(g, index, t, t.weight.dims[0]!);
    if (b) biases.set(t.node, b);
  }
  // Node order of a valid ONNX graph is topological.
  const layers = chosen.filter((t) => biases.has(t.node)).sort((a, b) => a.nodeIndex - b.nodeIndex);
  const size = Math.max(1, options.chunk ?? 8);
  const chunks = Math.ceil(layers.length / size);
  let current = plan;
  if (chunks === 0) return current;
  options.onProgress?.('correcting', 0, layers.length);
  let cache: FeedCache | undefined;
  const cached = new Map<string, number>();
  try {
    for (let c = 0; c < chunks; c++) {
      const part = layers.slice(c * size, (c + 1) * size);
      const pending = new Set(layers.slice(c * size).map((t) => t.node));
      const sim = options.simulate(work, current, pending);
      // The float half of every chunk's measurement is the same model on the same images: computed once, at the
      // opset the combined graph would have upgraded it to, so the float rows are the same numbers.
      if (options.shareFloat !== false && c === 0)
        cache = await cacheFloatInputs(work, simOpset(sim), layers, feeds(), {
          threads: options.threads,
          maxBytes: options.cacheBytes ?? defaultCacheBytes(),
        });
      const cut = cache ? simCut(work, sim, layers.slice(Math.max(0, c - 1) * size, c * size), layers.slice(c * size), cached) : undefined;
      const stats = await collectCorrectionStats(work, sim, part, cache ?? feeds(), {
        threads: options.threads,
        ...(cut ? { cut, onCached: (v: string, type: number) => cached.set(v, type) } : {}),
      });
      const weights = current.weights.map((d) => {
        const st = stats.get(d.node);
        if (!st || st.folds[0].count + st.folds[1].count === 0) return d;
        return correctDecision(d, toFloat32(byNode.get(d.node)!.weight), biases.get(d.node)!, st, options);
      });
      current = { ...current, weights };
      options.onProgress?.('correcting', Math.min(layers.length, (c + 1) * size), layers.length);
    }
  } finally {
    cache?.dispose();
  }
  return current;
}
