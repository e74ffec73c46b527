/**
 * Phase 0 of the evaluation: index ground truths and detections by (category, image) cell, in the flat typed-array
 * layout the matching phase reads. Cell c = k·I + i for category index k (into the sorted catIds) and image index i
 * (into the sorted imgIds), so one category's cells are contiguous, images in ascending id order.
 */
import { InputError } from '../../errors.js';
import type { ResolvedCocoParams } from './params.js';
import type { DetectionColumns } from './detection-columns.js';
import { stableSortByScoreDesc } from './sort.js';
import type { CocoGroundTruth } from './types.js';

/** Ground truths grouped by cell; rows of one cell keep their order in the annotation list. */
export interface GtTable {
  /** int32 [K·I + 1]: rows of cell c are start[c] … start[c+1]−1 */
  readonly start: Int32Array;
  /** float64 [N × 4]: x, y, w, h */
  readonly box: Float64Array;
  /** float64 [N]: the annotation's `area` field */
  readonly area: Float64Array;
  /** uint8 [N]: 1 for crowd regions */
  readonly crowd: Uint8Array;
  /** float64 [N]: annotation ids */
  readonly id: Float64Array;
}

/**
 * Detections grouped by cell, each cell sorted by score (highest first, ties in input order) and cut to the
 * largest maxDets — the "slots" every later phase indexes.
 */
export interface DetTable {
  /** int32 [K·I + 1]: slots of cell c are start[c] … start[c+1]−1 */
  readonly start: Int32Array;
  /** float64 [S × 4]: x, y, w, h */
  readonly box: Float64Array;
  /** float64 [S]: w·h, the area pycocotools gives a detection */
  readonly area: Float64Array;
  /** float64 [S] */
  readonly score: Float64Array;
  /** int32 [S]: position of the slot within its cell, 0 for the best score */
  readonly rank: Int32Array;
}

function indexOf(ids: readonly number[]): Map<number, number> {
  return new Map(ids.map((id, i) => [id, i]));
}

/** Stable counting sort of items by cell (−1 drops an item). Returns cell offsets and the item order. */
function groupByCell(cellOf: Int32Array, numCells: number): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(numCells + 1);
  for (const c of cellOf) if (c >= 0) start[c + 1]!++;
  for (let c = 0; c < numCells; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, numCells);
  const order = new Int32Array(start[numCells]!);
  cellOf.forEach((c, n) => {
    if (c >= 0) order[fill[c]!++] = n;
  });
  return { start, order };
}

/** Ground truths of the evaluated images and categories, grouped by cell. */
export function prepareGroundTruth(gt: CocoGroundTruth, p: ResolvedCocoParams): GtTable {
  const I = p.imgIds.length;
  const imgIndex = indexOf(p.imgIds);
  const catIndex = indexOf(p.catIds);
  const anns = gt.annotations;
  const cellOf = new Int32Array(anns.length);
  anns.forEach((a, n) => {
    const i = imgIndex.get(a.imageId);
    const k = catIndex.get(a.categoryId);
    cellOf[n] = i === undefined || k === undefined ? -1 : k * I + i;
  });
  const { start, order } = groupByCell(cellOf, p.catIds.length * I);
  const N = order.length;
  const box = new Float64Array(4 * N);
  const area = new Float64Array(N);
  const crowd = new Uint8Array(N);
  const id = new Float64Array(N);
  order.forEach((n, r) => {
    const a = anns[n]!;
    for (let j = 0; j < 4; j++) box[4 * r + j] = a.bbox[j]!;
    area[r] = a.area;
    crowd[r] = a.iscrowd ? 1 : 0;
    id[r] = a.id;
  });
  return { start, box, area, crowd, id };
}

function detectionCells(gt: CocoGroundTruth, dets: DetectionColumns, p: ResolvedCocoParams): Int32Array {
  const known = new Set(gt.images.map((im) => im.id));
  const I = p.imgIds.length;
  const imgIndex = indexOf(p.imgIds);
  const catIndex = indexOf(p.catIds);
  const cellOf = new Int32Array(dets.length);
  const { box: b } = dets;
  for (let n = 0; n < dets.length; n++) {
    const imageId = dets.imageId[n]!;
    if (!known.has(imageId)) {
      throw new InputError(`detection ${n} has image_id ${imageId}, which is not an image of the ground truth`);
    }
    const finite =
      Number.isFinite(dets.score[n]) &&
      Number.isFinite(b[4 * n]) &&
      Number.isFinite(b[4 * n + 1]) &&
      Number.isFinite(b[4 * n + 2]) &&
      Number.isFinite(b[4 * n + 3]);
    if (!finite) {
      throw new InputError(`detection ${n} (image_id ${imageId}) has a score or bbox value that is not a finite number`);
    }
    const i = imgIndex.get(imageId);
    const k = catIndex.get(dets.categoryId[n]!);
    cellOf[n] = i === undefined || k === undefined ? -1 : k * I + i;
  }
  return cellOf;
}

/**
 * Detections of the evaluated images and categories, grouped by cell, sorted by score and cut to maxDets[M−1]
 * per cell. Throws `InputError` for a detection on an image the ground truth lacks (pycocotools refuses those too)
 * or with a non-finite score or box value;
 * detections of categories outside catIds are dropped.
 */
export function prepareDetections(gt: CocoGroundTruth, dets: DetectionColumns, p: ResolvedCocoParams): DetTable {
  const numCells = p.catIds.length * p.imgIds.length;
  const maxDet = p.maxDets[p.maxDets.length - 1]!;
  const { start: groupStart, order } = groupByCell(detectionCells(gt, dets, p), numCells);
  const inputScore = dets.score;
  const scratch = new Int32Array(order.length);
  const start = new Int32Array(numCells + 1);
  for (let c = 0; c < numCells; c++) {
    const lo = groupStart[c]!;
    const hi = groupStart[c + 1]!;
    stableSortByScoreDesc(order, inputScore, lo, hi, scratch);
    start[c + 1] = start[c]! + Math.min(hi - lo, maxDet);
  }
  const S = start[numCells]!;
  const box = new Float64Array(4 * S);
  const area = new Float64Array(S);
  const score = new Float64Array(S);
  const rank = new Int32Array(S);
  for (let c = 0; c < numCells; c++) {
    const lo = groupStart[c]!;
    for (let s = start[c]!, r = 0; s < start[c + 1]!; s++, r++) {
      const n = order[lo + r]!;
      const b = dets.box;
      box[4 * s] = b[4 * n]!;
      box[4 * s + 1] = b[4 * n + 1]!;
      box[4 * s + 2] = b[4 * n + 2]!;
      box[4 * s + 3] = b[4 * n + 3]!;
      area[s] = b[4 * n + 2]! * b[4 * n + 3]!;
      score[s] = dets.score[n]!;
      rank[s] = r;
    }
  }
  return { start, box, area, score, rank };
}
