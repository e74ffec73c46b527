import type { CocoAnnotation } from '../eval/coco/types.js';
import type { LetterboxGeometry } from '../yolo/preprocess.js';

/** Class index (0-based, the model's) of a COCO category id, or undefined to drop the box. */
export type ClassIndexOf = (categoryId: number) => number | undefined;

/**
 * Ground-truth boxes of one image → training labels in the letterboxed input: `[class, cx, cy, w, h]` normalized
 * by the input width and height (what ultralytics' loss reads as `cls` and `bboxes`). Boxes are clipped to the
 * resized image; crowd boxes, boxes of unknown categories and boxes under one input pixel are left out.
 */
export function letterboxLabels(anns: readonly CocoAnnotation[], g: LetterboxGeometry, classIndexOf: ClassIndexOf): number[][] {
  const out: number[][] = [];
  const maxX = g.padX + g.resizedWidth;
  const maxY = g.padY + g.resizedHeight;
  for (const a of anns) {
    const k = classIndexOf(a.categoryId);
    if (a.iscrowd || k === undefined) continue;
    const [x, y, w, h] = a.bbox;
    const x1 = Math.min(maxX, Math.max(g.padX, x * g.scale + g.padX));
    const y1 = Math.min(maxY, Math.max(g.padY, y * g.scale + g.padY));
    const x2 = Math.min(maxX, Math.max(g.padX, (x + w) * g.scale + g.padX));
    const y2 = Math.min(maxY, Math.max(g.padY, (y + h) * g.scale + g.padY));
    if (x2 - x1 < 1 || y2 - y1 < 1) continue;
    out.push([k, (x1 + x2) / 2 / g.inputWidth, (y1 + y2) / 2 / g.inputHeight, (x2 - x1) / g.inputWidth, (y2 - y1) / g.inputHeight]);
  }
  return out;
}
