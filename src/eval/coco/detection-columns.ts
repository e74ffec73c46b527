/**
 * Detections as columns of typed arrays instead of one object per detection: what a COCO-size evaluation holds
 * (7 float64 per detection, 56 bytes, against ~160 measured in Node 20 for `{imageId, categoryId, bbox: [...], score}`
 * objects). The
 * evaluator reads this form; arrays of `CocoDetection` are turned into it first. Order matters: equal scores keep
 * their order here, as pycocotools keeps the results file's order.
 */
import type { CocoDetection } from './types.js';

export interface DetectionColumns {
  readonly length: number;
  /** float64 [N] */
  readonly imageId: Float64Array;
  /** float64 [N] */
  readonly categoryId: Float64Array;
  /** float64 [N × 4]: x, y, w, h */
  readonly box: Float64Array;
  /** float64 [N] */
  readonly score: Float64Array;
}

export function isDetectionColumns(d: readonly CocoDetection[] | DetectionColumns): d is DetectionColumns {
  return !Array.isArray(d) && (d as DetectionColumns).box instanceof Float64Array;
}

/** Columns of an array of detections, same order. */
export function toDetectionColumns(dets: readonly CocoDetection[]): DetectionColumns {
  const b = new DetectionColumnsBuilder(dets.length);
  for (const d of dets) b.push(d.imageId, d.categoryId, d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3], d.score);
  return b.finish();
}

/** Appends detections one at a time into columns that grow by doubling; `finish` trims them to the count. */
export class DetectionColumnsBuilder {
  private n = 0;
  private imageId: Float64Array;
  private categoryId: Float64Array;
  private box: Float64Array;
  private score: Float64Array;

  constructor(capacity = 1024) {
    const c = Math.max(1, capacity);
    this.imageId = new Float64Array(c);
    this.categoryId = new Float64Array(c);
    this.box = new Float64Array(4 * c);
    this.score = new Float64Array(c);
  }

  get length(): number {
    return this.n;
  }

  private grow(): void {
    const c = this.imageId.length * 2;
    const more = (a: Float64Array, size: number): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.imageId = more(this.imageId, c);
    this.categoryId = more(this.categoryId, c);
    this.box = more(this.box, 4 * c);
    this.score = more(this.score, c);
  }

  push(imageId: number, categoryId: number, x: number, y: number, w: number, h: number, score: number): void {
    if (this.n === this.imageId.length) this.grow();
    const n = this.n++;
    this.imageId[n] = imageId;
    this.categoryId[n] = categoryId;
    this.box[4 * n] = x;
    this.box[4 * n + 1] = y;
    this.box[4 * n + 2] = w;
    this.box[4 * n + 3] = h;
    this.score[n] = score;
  }

  /** Copy rows [from, to) of `src` to the end. */
  append(src: DetectionColumns, from: number, to: number): void {
    for (let r = from; r < to; r++)
      this.push(
        src.imageId[r]!,
        src.categoryId[r]!,
        src.box[4 * r]!,
        src.box[4 * r + 1]!,
        src.box[4 * r + 2]!,
        src.box[4 * r + 3]!,
        src.score[r]!,
      );
  }

  /** The rows so far, as views of the builder's buffers (valid until the next push). */
  view(): DetectionColumns {
    const n = this.n;
    return {
      length: n,
      imageId: this.imageId.subarray(0, n),
      categoryId: this.categoryId.subarray(0, n),
      box: this.box.subarray(0, 4 * n),
      score: this.score.subarray(0, n),
    };
  }

  /** The rows as columns of their own (no copy when the builder is exactly full). */
  finish(): DetectionColumns {
    const v = this.view();
    if (this.n === this.imageId.length) return v;
    return { length: v.length, imageId: v.imageId.slice(), categoryId: v.categoryId.slice(), box: v.box.slice(), score: v.score.slice() };
  }
}
