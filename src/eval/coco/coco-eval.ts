/**
 * COCO bbox evaluation matching pycocotools' COCOeval (iouType 'bbox', useCats=1) numerically: the same matching,
 * the same precision array and the same 12 stats, to within float64 rounding (in practice bit for bit).
 *
 * Categories evaluated are those of the ground truth (or params.catIds) and images those of the ground truth (or
 * params.imgIds). Detections of other categories are left out; a detection on an image the ground truth lacks is an
 * error, as in pycocotools.
 */
import { type CocoAccumulated, type PrecisionDims, accumulate } from './accumulate.js';
import type { DetectionColumns } from './detection-columns.js';
import { evaluateImages } from './evaluate.js';
import { type CocoParams, type ResolvedCocoParams, resolveCocoParams } from './params.js';
import { type CocoClassAp, perClassAp } from './per-class.js';
import { COCO_STAT_NAMES, summarize } from './summarize.js';
import type { CocoDetection, CocoGroundTruth } from './types.js';

export interface CocoEvalResult {
  /** The 12 stats in pycocotools order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; −1 = undefined. */
  readonly stats: number[];
  /** Short names of `stats`, same order. */
  readonly statNames: readonly string[];
  /** AP50-95 and AP50 per evaluated category, ascending category id. */
  readonly perClass: CocoClassAp[];
  /** [T, R, K, A, M] of `precision` and `scores`; `recall` is [T, K, A, M]. */
  readonly dims: PrecisionDims;
  /** float64 [T × R × K × A × M], row-major (numpy's `eval['precision']`); −1 where a category has no ground truth. */
  readonly precision: Float64Array;
  /** float64 [T × K × A × M] */
  readonly recall: Float64Array;
  /** float64 [T × R × K × A × M] */
  readonly scores: Float64Array;
  /** The parameters used, after defaults and sorting (index k of the arrays is params.catIds[k], and so on). */
  readonly params: ResolvedCocoParams;
}

/**
 * Evaluate `dets` (objects, or columns for a COCO-size set) against `gt`. Boxes are `[x, y, w, h]` pixels; scores are any finite numbers (higher = more
 * confident). Throws `InputError` on bad parameters or a detection on an unknown image.
 */
export function evaluateCoco(
  gt: CocoGroundTruth,
  dets: readonly CocoDetection[] | DetectionColumns,
  params: Partial<CocoParams> = {},
): CocoEvalResult {
  const p = resolveCocoParams(gt, params);
  const acc: CocoAccumulated = accumulate(evaluateImages(gt, dets, p));
  return {
    stats: summarize(acc, p),
    statNames: COCO_STAT_NAMES,
    perClass: perClassAp(acc, p, gt.categories),
    dims: acc.dims,
    precision: acc.precision,
    recall: acc.recall,
    scores: acc.scores,
    params: p,
  };
}
