import { toDetections, type Candidates, type Detection } from './candidates.js';

/**
 * Greedy non-maximum suppression, class-aware by default, with the semantics of torchvision's `batched_nms`
 * followed by ultralytics' caps: candidates are ordered by score (descending; equal scores keep their input
 * order), at most `maxCandidates` of them are considered, a candidate is suppressed when its IoU with an already
 * kept box of the same class is strictly greater than `iouThreshold`, and at most `maxDetections` are kept.
 *
 * Processing candidates in global score order and comparing each only with kept boxes of its own class gives the
 * same result as per-class NMS then a global top-k, and stops as soon as `maxDetections` are kept: the cost is
 * O(n log n + n · kept-in-class), fine for 25,200 anchors × 80 classes.
 */

export interface NmsOptions {
  /** Suppress when IoU > this. */
  iouThreshold: number;
  maxDetections: number;
  /** Consider only the top-scoring this many candidates (ultralytics' max_nms = 30000). Default: all. */
  maxCandidates?: number;
  /** false: one class for all (agnostic NMS). Default true. */
  classAware?: boolean;
}

/** IoU of box i of `a` and box j of `b` (each [n, 4] corner form). Zero when the union is empty. */
export function iouAt(a: Float32Array, i: number, b: Float32Array, j: number): number {
  const ax1 = a[i * 4]!,
    ay1 = a[i * 4 + 1]!,
    ax2 = a[i * 4 + 2]!,
    ay2 = a[i * 4 + 3]!;
  const bx1 = b[j * 4]!,
    by1 = b[j * 4 + 1]!,
    bx2 = b[j * 4 + 2]!,
    by2 = b[j * 4 + 3]!;
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Candidate indices by descending score; ties keep ascending index. */
export function scoreOrder(scores: Float32Array, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Indices of the kept candidates, highest score first. */
export function nms(c: Candidates, o: NmsOptions): Int32Array {
  const order = scoreOrder(c.scores, c.count);
  const limit = Math.min(order.length, o.maxCandidates ?? Infinity);
  const classAware = o.classAware ?? true;
  const keptByClass = new Map<number, number[]>();
  const kept: number[] = [];
  for (let r = 0; r < limit && kept.length < o.maxDetections; r++) {
    const i = order[r]!;
    const cls = classAware ? c.classes[i]! : 0;
    let same = keptByClass.get(cls);
    if (!same) keptByClass.set(cls, (same = []));
    let suppressed = false;
    for (const j of same) {
      if (iouAt(c.boxes, i, c.boxes, j) > o.iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    same.push(i);
    kept.push(i);
  }
  return Int32Array.from(kept);
}

/** NMS then materialise: the kept candidates as detections, highest score first. */
export function selectDetections(c: Candidates, o: NmsOptions): Detection[] {
  return toDetections(c, nms(c, o));
}
