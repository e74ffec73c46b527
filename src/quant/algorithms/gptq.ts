import { blockCount } from '../../onnx/ir/block-quant.js';
import type { WeightGranularity } from '../plan.js';
import { roundHalfEven } from '../rounding.js';
import { codeRange } from '../weights/layout.js';
import { blockScaleCode, blockScaleValue, rowScale, type TwoLevelGrid } from '../weights/two-level.js';
import { choleskyInverse, choleskyLower, choleskyUpper } from './linalg.js';

/**
 * GPTQ (Frantar et al., 2022) for one weight matrix W [rows, K] with the Hessian H = Σ x·xᵀ [K, K] of the inputs
 * its rows see (for a Conv: im2col patches, K = Cin/group·kh·kw). Columns are quantized one at a time; the
 * rounding error of each is spread over the columns not yet quantized through the upper Cholesky factor of H⁻¹.
 * Scales are fixed before the sweep ("static groups"), chosen per scale group by a search over clipping ratios
 * that minimises the diag(H)-weighted rounding error — so act-order and blocked scales combine freely.
 * Asymmetric grids (a zero point per scale group, all 2^b levels) fit rows whose weights are not centred on 0, as
 * folded-BN filters often are: a 9-tap depthwise filter with all-positive taps uses half of a symmetric grid.
 */

export interface GptqOptions {
  bits: number;
  narrow: boolean;
  /** Per-channel (one scale per row) or blocked along K (`blockSize` columns per scale, in stored order). */
  granularity: WeightGranularity;
  /** Dampening added to diag(H), as a fraction of its mean (default 0.01). */
  damp?: number;
  /** Quantize columns in order of decreasing diag(H) (default true). */
  actOrder?: boolean;
  /** Clipping ratios tried per scale group (default 1, 0.98, …, 0.6); [1] is max-abs. */
  clipRatios?: readonly number[];
  /**
   * Trailing columns that stay float (default 0): they take their share of the error updates but are never
   * rounded — error correction passes the bias as one such column (its input is the constant 1).
   */
  free?: number;
  /**
   * One integer zero point per scale group, codes over the full signed range [−2^(b−1), 2^(b−1) − 1] standing
   * for (q − z)·s (default false: symmetric, z = 0, range per `narrow`).
   */
  asymmetric?: boolean;
  /**
   * Sweeps of coordinate descent after GPTQ (default 0): each code in turn moves one step up or down when that
   * lowers tr(ΔW·(H + damp)·ΔWᵀ), free columns move to their optimum; stops early when a sweep changes nothing.
   * GPTQ decides each column once, greedily; this revisits earlier decisions against the same objective.
   */
  refine?: number;
  /**
   * Two-level block scales (blocked granularity): every block scale is chosen among the values an 8-bit code times
   * the second-level scale can represent (src/quant/weights/two-level.ts) — the clipping search runs on that grid, so
   * nothing is rounded after the fact. 'uint8': each row's scale is fixed here from its unclipped block scales;
   * 'e4m3': the given tensor scale, shared with the weight's other row groups.
   */
  twoLevel?: TwoLevelGrid;
}

export interface GptqResult {
  /** int8 codes [rows, K], row-major, stored column order. */
  codes: Int8Array;
  /** float32 scales: [rows] per-channel, [rows, ceil(K / blockSize)] blocked. */
  scales: Float32Array;
  /** Zero points in the layout of `scales` (asymmetric only). */
  zeroPoints?: Int8Array;
  /** Final values of the `free` trailing columns [rows, free] (empty when free = 0). */
  free: Float64Array;
  /** Two-level scales: 8-bit block-scale codes [rows, blocks] and float32 second-level scales, [rows] or [1] (e4m3). */
  blockScales?: TwoLevelResult;
}

type TwoLevelResult = { codes: Uint8Array; rowScales: Float32Array; codeType?: 'e4m3' };

export const DEFAULT_CLIP_RATIOS: readonly number[] = Object.freeze(Array.from({ length: 21 }, (_, i) => 1 - i * 0.02));

/** Number of scale blocks per row and the block of column k. */
function blocking(k: number, g: WeightGranularity): { blocks: number; size: number } {
  if (g.kind === 'blocked') return { blocks: blockCount(k, g.blockSize), size: g.blockSize };
  if (g.kind === 'per-channel') return { blocks: 1, size: k };
  throw new RangeError('GPTQ needs per-channel or blocked scales');
}

function quantizeValue(w: number, s: number, qmin: number, qmax: number, z = 0): number {
  const v = roundHalfEven(Math.fround(w / s)) + z;
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

interface Grid {
  s: number;
  z: number;
}

/** A scale group's grid for a clipping ratio; `snap` maps a scale onto the representable ones (identity when single-level). */
type Candidate = (lo: number, hi: number, ratio: number, snap: (s: number) => number) => Grid | undefined;

interface GroupSearch {
  scales: Float32Array;
  zeroPoints: Int8Array;
  blockScales?: TwoLevelResult;
}

/**
 * For every scale group of every row, the grid among `candidate(lo, hi, ratio)` over the clipping ratios that
 * minimises Σ diag(H)_k·(w_k − dq(q(w_k)))², lo ≤ 0 ≤ hi the group's extremes. A group `candidate` refuses
 * (all zeros) gets scale 1 and zero point 0 (two-level: the smallest code). With `twoLevel` each row's scale is
 * fixed first from its groups' unclipped scales (e4m3: the given tensor scale), and every candidate scale is snapped
 * to that grid.
 */
function searchGroups(
  w: Float64Array,
  rows: number,
  k: number,
  diag: Float64Array,
  opts: GptqOptions,
  qmin: number,
  qmax: number,
  candidate: Candidate,
): GroupSearch {
  const { blocks, size } = blocking(k, opts.granularity);
  const ratios = opts.clipRatios ?? DEFAULT_CLIP_RATIOS;
  const grid = opts.granularity.kind === 'blocked' ? opts.twoLevel : undefined;
  const twoLevel = grid !== undefined;
  const kind = grid?.codes ?? 'uint8';
  const scales = new Float32Array(rows * blocks).fill(1);
  const zeroPoints = new Int8Array(rows * blocks);
  const codes = new Uint8Array(twoLevel ? rows * blocks : 0);
  const rowScales = new Float32Array(grid === undefined ? 0 : grid.codes === 'e4m3' ? 1 : rows);
  if (grid?.codes === 'e4m3') rowScales[0] = grid.tensorScale;
  const identity = (s: number) => s;
  const extremes = (r: number, b: number): [number, number] => {
    let lo = 0;
    let hi = 0;
    for (let i = r * k + b * size; i < r * k + Math.min(k, (b + 1) * size); i++) {
      lo = Math.min(lo, w[i]!);
      hi = Math.max(hi, w[i]!);
    }
    return [lo, hi];
  };
  for (let r = 0; r < rows; r++) {
    let snap = identity;
    let rs = 0;
    if (grid) {
      if (grid.codes === 'e4m3') rs = grid.tensorScale;
      else {
        let max = 0;
        for (let b = 0; b < blocks; b++) max = Math.max(max, candidate(...extremes(r, b), 1, identity)?.s ?? 0);
        rs = rowScale(max);
        rowScales[r] = rs;
      }
      snap = (s) => blockScaleValue(blockScaleCode(s, rs, kind), rs, kind);
      scales.fill(blockScaleValue(1, rs, kind), r * blocks, (r + 1) * blocks);
    }
    for (let b = 0; b < blocks; b++) {
      const a0 = r * k + b * size;
      const a1 = r * k + Math.min(k, (b + 1) * size);
      const [lo, hi] = extremes(r, b);
      const at = r * blocks + b;
      let best = Infinity;
      for (const ratio of ratios) {
        const g = candidate(lo, hi, ratio, snap);
        if (!g) break;
        let err = 0;
        for (let i = a0; i < a1 && err < best; i++) {
          const d = w[i]! - Math.fround((quantizeValue(w[i]!, g.s, qmin, qmax, g.z) - g.z) * g.s);
          err += diag[i - r * k]! * d * d;
        }
        if (err < best) {
          best = err;
          scales[at] = g.s;
          zeroPoints[at] = g.z;
        }
      }
      if (twoLevel) codes[at] = blockScaleCode(scales[at]!, rs, kind);
    }
  }
  const codeType = kind === 'e4m3' ? { codeType: 'e4m3' as const } : {};
  return { scales, zeroPoints, ...(twoLevel ? { blockScales: { codes, rowScales, ...codeType } } : {}) };
}

/**
 * Asymmetric scales and zero points by clipping search: for each group, the range [r·min, r·max] (min ≤ 0 ≤ max,
 * so 0 stays exactly representable) over ratios r, mapped onto all 2^b codes, minimising the same
 * diag(H)-weighted rounding error as searchScales.
 */
export function searchAsymmetric(w: Float64Array, rows: number, k: number, diag: Float64Array, opts: GptqOptions): GroupSearch {
  const [qmin, qmax] = codeRange(opts.bits, false);
  return searchGroups(w, rows, k, diag, opts, qmin, qmax, (lo, hi, ratio, snap) => {
    if (hi - lo === 0) return undefined;
    const s = snap(Math.fround((ratio * (hi - lo)) / (qmax - qmin)));
    const z = qmin - roundHalfEven((ratio * lo) / s);
    return { s, z: z < qmin ? qmin : z > qmax ? qmax : z };
  });
}

/**
 * Scales by clipping search: for each group of columns [a, b) of a row, the ratio r minimising
 * Σ diag(H)_k·(w_k − q(w_k))² with s = r·max|w| / qmax. Returns float32 scales [rows, blocks] (and the two-level
 * codes when asked for).
 */
export function searchScales(w: Float64Array, rows: number, k: number, diag: Float64Array, opts: GptqOptions): GroupSearch {
  const [qmin, qmax] = codeRange(opts.bits, opts.narrow);
  return searchGroups(w, rows, k, diag, opts, qmin, qmax, (lo, hi, ratio, snap) => {
    const m = Math.max(-lo, hi);
    return m === 0 ? undefined : { s: snap(Math.fround((ratio * m) / qmax)), z: 0 };
  });
}

/** Column order: by decreasing diag(H) (stable) with act-order, else stored order; the `free` last columns last. */
function columnOrder(diag: Float64Array, actOrder: boolean, free: number): Int32Array {
  const kq = diag.length - free;
  const idx = Int32Array.from({ length: kq }, (_, i) => i);
  if (actOrder) idx.sort((a, b) => diag[b]! - diag[a]! || a - b);
  const out = new Int32Array(diag.length);
  out.set(idx);
  for (let i = kq; i < diag.length; i++) out[i] = i;
  return out;
}

/** mean(diag H): the unit of GPTQ's dampening (the same in any column order). */
function diagMean(h: Float64Array, k: number): number {
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  return mean / k;
}

/** Upper Cholesky factor of (H_perm + damp·mean(diag)·I)⁻¹; permuted order. */
function inverseFactor(h: Float64Array, k: number, perm: Int32Array, damp: number): Float64Array {
  const hp = new Float64Array(k * k);
  const mean = diagMean(h, k);
  for (let i = 0; i < k; i++) {
    const pi = perm[i]! * k;
    for (let j = 0; j < k; j++) hp[i * k + j] = h[pi + perm[j]!]!;
    hp[i * k + i]! += damp * mean;
  }
  return choleskyUpper(choleskyInverse(choleskyLower(hp, k), k), k);
}

/** The first `kq` of every row's `k` columns, as a new [rows, kq] matrix. */
function leadingColumns(w: Float64Array, rows: number, k: number, kq: number): Float64Array {
  if (kq === k) return w;
  const out = new Float64Array(rows * kq);
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * k, r * k + kq), r * kq);
  return out;
}

/**
 * Quantize W [rows, K] (row-major) given H [K, K]. W and H are not modified. Columns whose diag(H) is 0 (inputs
 * that were always 0 in calibration) get weight 0 (code 0), as in the reference implementation. With `free` = f,
 * only the first K − f columns are quantized (codes [rows, K − f]); the last f come back in `free`.
 */
export function gptqQuantize(
  weight: Float32Array | Float64Array,
  rows: number,
  k: number,
  hessian: Float64Array,
  opts: GptqOptions,
): GptqResult {
  const h = Float64Array.from(hessian);
  const w = Float64Array.from(weight);
  const nFree = opts.free ?? 0;
  const kq = k - nFree;
  for (let c = 0; c < k; c++) {
    if (h[c * k + c]! !== 0) continue;
    h[c * k + c] = 1;
    for (let r = 0; r < rows; r++) w[r * k + c] = 0;
  }
  const diag = Float64Array.from({ length: k }, (_, i) => h[i * k + i]!);
  const lead = leadingColumns(w, rows, k, kq);
  const search = opts.asymmetric
    ? searchAsymmetric(lead, rows, kq, diag.subarray(0, kq), opts)
    : searchScales(lead, rows, kq, diag.subarray(0, kq), opts);
  const scales = search.scales;
  const zeros = opts.asymmetric ? search.zeroPoints : undefined;
  const asym = opts.asymmetric;
  const { blocks, size } = blocking(kq, opts.granularity);
  const perm = columnOrder(diag, opts.actOrder ?? true, nFree);
  const u = inverseFactor(h, k, perm, opts.damp ?? 0.01);
  // Work in permuted column order: wp[r, i] = w[r, perm[i]].
  const wp = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) wp[r * k + i] = w[r * k + perm[i]!]!;
  const [qmin, qmax] = codeRange(opts.bits, asym ? false : opts.narrow);
  const codes = new Int8Array(rows * kq);
  for (let i = 0; i < kq; i++) {
    const col = perm[i]!;
    const block = Math.floor(col / size);
    const ui = i * k;
    const dii = u[ui + i]!;
    for (let r = 0; r < rows; r++) {
      const rr = r * k;
      const s = scales[r * blocks + block]!;
      const z = zeros ? zeros[r * blocks + block]! : 0;
      const x = wp[rr + i]!;
      const q = quantizeValue(x, s, qmin, qmax, z);
      codes[r * kq + col] = q;
      const err = (x - Math.fround((q - z) * s)) / dii;
      if (err === 0) continue;
      for (let j = i + 1; j < k; j++) wp[rr + j]! -= err * u[ui + j]!;
    }
  }
  const free = new Float64Array(rows * nFree);
  for (let r = 0; r < rows; r++) for (let f = 0; f < nFree; f++) free[r * nFree + f] = wp[r * k + kq + f]!;
  if ((opts.refine ?? 0) > 0) {
    const hd = Float64Array.from(h);
    const add = (opts.damp ?? 0.01) * diagMean(h, k);
    for (let i = 0; i < k; i++) hd[i * k + i]! += add;
    refineRows(w, hd, rows, k, kq, codes, free, scales, zeros, blocks, size, qmin, qmax, opts.refine!);
  }
  return {
    codes,
    scales,
    free,
    ...(zeros ? { zeroPoints: zeros } : {}),
    ...(search.blockScales ? { blockScales: search.blockScales } : {}),
  };
}

/** Coordinate descent on each row's Δ·H·Δᵀ (see GptqOptions.refine); codes and free values are updated in place. */
function refineRows(
  w: Float64Array,
  h: Float64Array,
  rows: number,
  k: number,
  kq: number,
  codes: Int8Array,
  free: Float64Array,
  scales: Float32Array,
  zeros: Int8Array | undefined,
  blocks: number,
  size: number,
  qmin: number,
  qmax: number,
  sweeps: number,
): void {
  const nFree = k - kq;
  const delta = new Float64Array(k);
  const g = new Float64Array(k);
  const deq = (r: number, j: number, q: number) => {
    const b = r * blocks + Math.floor(j / size);
    return Math.fround((q - (zeros ? zeros[b]! : 0)) * scales[b]!);
  };
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < kq; j++) delta[j] = w[r * k + j]! - deq(r, j, codes[r * kq + j]!);
    for (let f = 0; f < nFree; f++) delta[kq + f] = w[r * k + kq + f]! - free[r * nFree + f]!;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += h[i * k + j]! * delta[j]!;
      g[i] = s;
    }
    const move = (j: number, t: number) => {
      delta[j]! += t;
      for (let i = 0; i < k; i++) g[i]! += t * h[i * k + j]!;
    };
    for (let sweep = 0; sweep < sweeps; sweep++) {
      let changed = false;
      for (let j = 0; j < kq; j++) {
        const q = codes[r * kq + j]!;
        const now = deq(r, j, q);
        let bestGain = 0;
        let bestQ = q;
        for (const c of [q - 1, q + 1]) {
          if (c < qmin || c > qmax) continue;
          const t = now - deq(r, j, c); // Δ_j moves by t when the code becomes c
          const gain = 2 * t * g[j]! + t * t * h[j * k + j]!;
          if (gain < bestGain - 1e-12 * Math.abs(bestGain)) {
            bestGain = gain;
            bestQ = c;
          }
        }
        if (bestQ !== q) {
          move(j, now - deq(r, j, bestQ));
          codes[r * kq + j] = bestQ;
          changed = true;
        }
      }
      for (let f = kq; f < k; f++) {
        const t = -g[f]! / h[f * k + f]!;
        if (t !== 0) move(f, t);
      }
      if (!changed) break;
    }
    for (let f = 0; f < nFree; f++) free[r * nFree + f] = w[r * k + kq + f]! - delta[kq + f]!;
  }
}

/** tr((W − Ŵ)·H·(W − Ŵ)ᵀ): the layer-output squared error the Hessian predicts, for comparing roundings. */
export function outputError(weight: ArrayLike<number>, dequantized: ArrayLike<number>, rows: number, k: number, h: Float64Array): number {
  let total = 0;
  const d = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) d[i] = weight[r * k + i]! - dequantized[r * k + i]!;
    for (let i = 0; i < k; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < k; j++) s += h[i * k + j]! * d[j]!;
      total += d[i]! * s;
    }
  }
  return total;
}
