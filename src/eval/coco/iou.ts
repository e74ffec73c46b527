/**
 * Box IoU exactly as pycocotools computes it for bbox evaluation (maskUtils.iou on `[x, y, w, h]` boxes), including
 * its crowd rule: for a crowd ground truth the union is the detection's own area, so a detection lying inside a crowd
 * region scores 1.
 */
import type { CocoBox } from './types.js';

/**
 * IoU of one detection box with one ground-truth box, both `[x, y, w, h]`, in float64 with pycocotools' operation
 * order (so results match to the last bit). Zero when the boxes do not overlap with positive width and height.
 */
export function boxIou(
  dx: number,
  dy: number,
  dw: number,
  dh: number,
  gx: number,
  gy: number,
  gw: number,
  gh: number,
  crowd: boolean,
): number {
  const w = Math.min(dw + dx, gw + gx) - Math.max(dx, gx);
  if (w <= 0) return 0;
  const h = Math.min(dh + dy, gh + gy) - Math.max(dy, gy);
  if (h <= 0) return 0;
  const inter = w * h;
  const detArea = dw * dh;
  const union = crowd ? detArea : detArea + gw * gh - inter;
  return inter / union;
}

/**
 * IoU matrix of `dets` against `gts`: float64 [D × G], row-major (`out[d * G + g]`), like maskUtils.iou(dt, gt,
 * iscrowd). `iscrowd[g]` marks crowd ground truths.
 */
export function boxIouMatrix(dets: readonly CocoBox[], gts: readonly CocoBox[], iscrowd: readonly boolean[]): Float64Array {
  const G = gts.length;
  const out = new Float64Array(dets.length * G);
  dets.forEach((d, i) => {
    gts.forEach((g, j) => {
      out[i * G + j] = boxIou(d[0], d[1], d[2], d[3], g[0], g[1], g[2], g[3], iscrowd[j] === true);
    });
  });
  return out;
}
