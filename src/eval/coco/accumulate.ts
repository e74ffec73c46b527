/**
 * Phase 2: accumulate the per-cell matches into precision/recall curves (pycocotools' `accumulate`). For each
 * category, area range and maxDets, the detections of all images are ranked by score (stable, so ties keep image
 * order), precision is made monotone from the right and read at the recall thresholds with a left-sided search.
 */
import type { CocoEvalImages } from './evaluate.js';
import { stableSortByScoreDesc } from './sort.js';

/** numpy's `np.spacing(1)`, added to precision denominators as pycocotools does. */
const EPS = 2.220446049250313e-16;

/** T × R × K × A × M: IoU thresholds, recall thresholds, categories, area ranges, maxDets. */
export type PrecisionDims = readonly [T: number, R: number, K: number, A: number, M: number];

export interface CocoAccumulated {
  readonly dims: PrecisionDims;
  /**
   * float64 [T × R × K × A × M], row-major like numpy's `eval['precision']`: index (((t·R + r)·K + k)·A + a)·M + m.
   * −1 where the category has no counted ground truth in that area range.
   */
  readonly precision: Float64Array;
  /** float64 [T × K × A × M], index ((t·K + k)·A + a)·M + m: recall reached with all detections; −1 likewise. */
  readonly recall: Float64Array;
  /** float64 [T × R × K × A × M]: score of the detection where each recall threshold is reached; −1 likewise. */
  readonly scores: Float64Array;
}

interface Work {
  sel: Int32Array;
  tpMask: Uint32Array;
  igMask: Uint32Array;
  pr: Float64Array;
  tps: Float64Array;
  sc: Float64Array;
}

function makeWork(n: number): Work {
  return {
    sel: new Int32Array(n),
    tpMask: new Uint32Array(n),
    igMask: new Uint32Array(n),
    pr: new Float64Array(n),
    tps: new Float64Array(n),
    sc: new Float64Array(n),
  };
}

/** Largest number of slots one category holds. */
function largestCategory(ev: CocoEvalImages): number {
  let n = 0;
  for (let k = 0; k < ev.numCategories; k++) {
    n = Math.max(n, ev.cellStart[(k + 1) * ev.numImages]! - ev.cellStart[k * ev.numImages]!);
  }
  return n;
}

/** One precision/recall curve: IoU threshold t, `n` ranked detections in `w`, `npig` counted ground truths. */
function fillCurve(ev: CocoEvalImages, acc: CocoAccumulated, w: Work, n: number, npig: number, t: number, at: readonly number[]): void {
  const [, R, K, A, M] = acc.dims;
  const [k, a, m] = at as [number, number, number];
  let tp = 0;
  let fp = 0;
  let c = 0;
  for (let j = 0; j < n; j++) {
    if ((w.igMask[j]! >>> t) & 1) continue; // ignored detections repeat the previous point of the curve
    if ((w.tpMask[j]! >>> t) & 1) tp++;
    else fp++;
    w.pr[c] = tp / (fp + tp + EPS);
    w.tps[c] = tp;
    w.sc[c] = ev.score[w.sel[j]!]!;
    c++;
  }
  acc.recall[((t * K + k) * A + a) * M + m] = tp / npig;
  for (let i = c - 1; i > 0; i--) if (w.pr[i]! > w.pr[i - 1]!) w.pr[i - 1] = w.pr[i]!;
  const rec = ev.params.recThrs;
  const firstScore = n > 0 ? ev.score[w.sel[0]!]! : 0;
  let p = 0;
  for (let r = 0; r < R; r++) {
    const thr = rec[r]!;
    while (p < c && w.tps[p]! / npig < thr) p++;
    const idx = (((t * R + r) * K + k) * A + a) * M + m;
    if (thr <= 0 && n > 0) {
      // searchsorted lands on the very first detection, which may be an ignored one
      acc.precision[idx] = c > 0 ? w.pr[0]! : 0;
      acc.scores[idx] = firstScore;
    } else if (p < c) {
      acc.precision[idx] = w.pr[p]!;
      acc.scores[idx] = w.sc[p]!;
    } else {
      acc.precision[idx] = 0;
      acc.scores[idx] = 0;
    }
  }
}

function countPositives(ev: CocoEvalImages, k: number, a: number): number {
  const I = ev.numImages;
  const base = (k * ev.numAreas + a) * I;
  let n = 0;
  for (let i = 0; i < I; i++) n += ev.numPositives[base + i]!;
  return n;
}

function accumulateCategory(ev: CocoEvalImages, acc: CocoAccumulated, w: Work, order: Int32Array, k: number): void {
  const I = ev.numImages;
  const s0 = ev.cellStart[k * I]!;
  const N = ev.cellStart[(k + 1) * I]! - s0;
  for (let j = 0; j < N; j++) order[j] = s0 + j;
  stableSortByScoreDesc(order, ev.score, 0, N, w.sel);
  const { maxDets } = ev.params;
  for (let m = 0; m < maxDets.length; m++) {
    const maxDet = maxDets[m]!;
    let n = 0;
    for (let j = 0; j < N; j++) if (ev.rank[order[j]!]! < maxDet) w.sel[n++] = order[j]!;
    for (let a = 0; a < ev.numAreas; a++) {
      const npig = countPositives(ev, k, a);
      if (npig === 0) continue;
      const off = a * ev.numSlots;
      for (let j = 0; j < n; j++) {
        w.tpMask[j] = ev.tpBits[off + w.sel[j]!]!;
        w.igMask[j] = ev.ignoreBits[off + w.sel[j]!]!;
      }
      for (let t = 0; t < ev.numThresholds; t++) fillCurve(ev, acc, w, n, npig, t, [k, a, m]);
    }
  }
}

/** Build the precision, recall and score arrays from the matching results. */
export function accumulate(ev: CocoEvalImages): CocoAccumulated {
  const p = ev.params;
  const dims: PrecisionDims = [p.iouThrs.length, p.recThrs.length, ev.numCategories, ev.numAreas, p.maxDets.length];
  const [T, R, K, A, M] = dims;
  const acc: CocoAccumulated = {
    dims,
    precision: new Float64Array(T * R * K * A * M).fill(-1),
    recall: new Float64Array(T * K * A * M).fill(-1),
    scores: new Float64Array(T * R * K * A * M).fill(-1),
  };
  const largest = largestCategory(ev);
  const w = makeWork(largest);
  const order = new Int32Array(largest);
  for (let k = 0; k < K; k++) accumulateCategory(ev, acc, w, order, k);
  return acc;
}
