/**
 * Phase 1: per image × category matching (pycocotools' `evaluate` / `evaluateImg` for bbox). For every cell, area
 * range and IoU threshold, detections are matched greedily to ground truths in score order, and each detection ends
 * up a true positive, a false positive or ignored. Results are packed as bit masks over the IoU thresholds.
 */
import { type DetectionColumns, isDetectionColumns, toDetectionColumns } from './detection-columns.js';
import { boxIou } from './iou.js';
import type { ResolvedCocoParams } from './params.js';
import { type DetTable, type GtTable, prepareDetections, prepareGroundTruth } from './prepare.js';
import type { CocoDetection, CocoGroundTruth } from './types.js';

/**
 * Matching results. Slots are the detections kept per cell (see `DetTable`): S of them. Cell c = k·I + i.
 * A detection matched to a ground truth whose id is 0 counts as unmatched, as in pycocotools (which stores the
 * matched id and tests it against 0).
 */
export interface CocoEvalImages {
  readonly params: ResolvedCocoParams;
  /** I, K, A, T, S */
  readonly numImages: number;
  readonly numCategories: number;
  readonly numAreas: number;
  readonly numThresholds: number;
  readonly numSlots: number;
  /** int32 [K·I + 1]: slots of cell c are cellStart[c] … cellStart[c+1]−1, highest score first */
  readonly cellStart: Int32Array;
  /** float64 [S] */
  readonly score: Float64Array;
  /** int32 [S]: position of the slot within its cell (0 = highest score) */
  readonly rank: Int32Array;
  /** uint32 [A × S], index a·S + s: bit t set when the slot is a true positive at iouThrs[t] */
  readonly tpBits: Uint32Array;
  /** uint32 [A × S], index a·S + s: bit t set when the slot is ignored at iouThrs[t] */
  readonly ignoreBits: Uint32Array;
  /** int32 [K × A × I], index (k·A + a)·I + i: ground truths that are not ignored (neither crowd nor out of range) */
  readonly numPositives: Int32Array;
}

/** Reusable scratch buffers, grown on demand. */
interface Scratch {
  iou: Float64Array;
  order: Int32Array;
  ignored: Uint8Array;
  taken: Uint8Array;
  gtIgnore: Uint8Array;
  outOfRange: Uint8Array;
}

function grow(s: Scratch, D: number, G: number): void {
  if (s.iou.length < D * G) s.iou = new Float64Array(D * G * 2);
  if (s.order.length < G) {
    s.order = new Int32Array(G * 2);
    s.ignored = new Uint8Array(G * 2);
    s.taken = new Uint8Array(G * 2);
    s.gtIgnore = new Uint8Array(G * 2);
  }
  if (s.outOfRange.length < D) s.outOfRange = new Uint8Array(D * 2);
}

function fillIou(s: Scratch, gts: GtTable, dts: DetTable, g0: number, G: number, d0: number, D: number): void {
  const gb = gts.box;
  const db = dts.box;
  for (let d = 0; d < D; d++) {
    const o = 4 * (d0 + d);
    for (let g = 0; g < G; g++) {
      const q = 4 * (g0 + g);
      s.iou[d * G + g] = boxIou(
        db[o]!,
        db[o + 1]!,
        db[o + 2]!,
        db[o + 3]!,
        gb[q]!,
        gb[q + 1]!,
        gb[q + 2]!,
        gb[q + 3]!,
        gts.crowd[g0 + g] === 1,
      );
    }
  }
}

/** Mark ground truths ignored for [lo, hi] and order them non-ignored first (stable). Returns how many count. */
function orderGroundTruth(s: Scratch, gts: GtTable, g0: number, G: number, lo: number, hi: number): number {
  for (let g = 0; g < G; g++) {
    const a = gts.area[g0 + g]!;
    s.gtIgnore[g] = gts.crowd[g0 + g] === 1 || a < lo || a > hi ? 1 : 0;
  }
  let n = 0;
  for (let g = 0; g < G; g++) if (s.gtIgnore[g] === 0) s.order[n++] = g;
  const positives = n;
  for (let g = 0; g < G; g++) if (s.gtIgnore[g] === 1) s.order[n++] = g;
  for (let j = 0; j < G; j++) s.ignored[j] = j < positives ? 0 : 1;
  return positives;
}

/** Greedy matching at one IoU threshold, pycocotools' rules; sets bit `t` in the slot masks of area range `a`. */
function matchAtThreshold(
  s: Scratch,
  out: CocoEvalImages,
  gts: GtTable,
  g0: number,
  G: number,
  d0: number,
  D: number,
  a: number,
  t: number,
): void {
  const thr = Math.min(out.params.iouThrs[t]!, 1 - 1e-10);
  const bit = 1 << t;
  const base = a * out.numSlots + d0;
  s.taken.fill(0, 0, G);
  for (let d = 0; d < D; d++) {
    let best = thr;
    let m = -1;
    const row = d * G;
    for (let j = 0; j < G; j++) {
      const g = s.order[j]!;
      if (s.taken[j] === 1 && gts.crowd[g0 + g] !== 1) continue; // already matched, and not a crowd
      if (m > -1 && s.ignored[m] === 0 && s.ignored[j] === 1) break; // have a real match; only ignored gts remain
      const v = s.iou[row + g]!;
      if (v < best) continue;
      best = v;
      m = j;
    }
    let hit = false;
    let ignore = false;
    if (m > -1) {
      s.taken[m] = 1;
      ignore = s.ignored[m] === 1;
      hit = gts.id[g0 + s.order[m]!] !== 0;
    }
    if (!hit && s.outOfRange[d] === 1) ignore = true;
    if (ignore) out.ignoreBits[base + d]! |= bit;
    else if (hit) out.tpBits[base + d]! |= bit;
  }
}

function evaluateCell(s: Scratch, out: CocoEvalImages, gts: GtTable, dts: DetTable, k: number, i: number): void {
  const c = k * out.numImages + i;
  const g0 = gts.start[c]!;
  const G = gts.start[c + 1]! - g0;
  const d0 = dts.start[c]!;
  const D = dts.start[c + 1]! - d0;
  if (G === 0 && D === 0) return;
  grow(s, D, G);
  if (G > 0 && D > 0) fillIou(s, gts, dts, g0, G, d0, D);
  const { areaRng } = out.params;
  for (let a = 0; a < out.numAreas; a++) {
    const [lo, hi] = areaRng[a]!;
    out.numPositives[(k * out.numAreas + a) * out.numImages + i] = orderGroundTruth(s, gts, g0, G, lo, hi);
    for (let d = 0; d < D; d++) {
      const area = dts.area[d0 + d]!;
      s.outOfRange[d] = area < lo || area > hi ? 1 : 0;
    }
    for (let t = 0; t < out.numThresholds; t++) matchAtThreshold(s, out, gts, g0, G, d0, D, a, t);
  }
}

/**
 * Match detections to ground truth for every (category, image) cell and area range, at every IoU threshold.
 * Throws `InputError` for a detection on an image the ground truth does not have.
 */
export function evaluateImages(
  gt: CocoGroundTruth,
  dets: readonly CocoDetection[] | DetectionColumns,
  params: ResolvedCocoParams,
): CocoEvalImages {
  const gts = prepareGroundTruth(gt, params);
  const dts = prepareDetections(gt, isDetectionColumns(dets) ? dets : toDetectionColumns(dets), params);
  const I = params.imgIds.length;
  const K = params.catIds.length;
  const A = params.areaRng.length;
  const S = dts.score.length;
  const out: CocoEvalImages = {
    params,
    numImages: I,
    numCategories: K,
    numAreas: A,
    numThresholds: params.iouThrs.length,
    numSlots: S,
    cellStart: dts.start,
    score: dts.score,
    rank: dts.rank,
    tpBits: new Uint32Array(A * S),
    ignoreBits: new Uint32Array(A * S),
    numPositives: new Int32Array(K * A * I),
  };
  const scratch: Scratch = {
    iou: new Float64Array(64),
    order: new Int32Array(8),
    ignored: new Uint8Array(8),
    taken: new Uint8Array(8),
    gtIgnore: new Uint8Array(8),
    outOfRange: new Uint8Array(8),
  };
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < I; i++) evaluateCell(scratch, out, gts, dts, k, i);
  }
  return out;
}
