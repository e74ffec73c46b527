/**
 * Plain data shapes of COCO ground truth and detections, as the readers in src/data produce them and the bbox
 * evaluator (src/eval/coco) consumes them. They live here, under src/data, so that data never imports eval.
 * Ids are COCO's integer ids; boxes are `[x, y, w, h]` in image pixels (top-left corner, width, height), float64.
 */

/** `[x, y, w, h]`: top-left corner, width and height in pixels. */
export type CocoBox = readonly [number, number, number, number];

export interface CocoImage {
  readonly id: number;
  readonly fileName: string;
  readonly width: number;
  readonly height: number;
}

export interface CocoCategory {
  readonly id: number;
  readonly name: string;
  readonly supercategory?: string;
}

/** One ground-truth object. `area` is the annotation's own area field (for COCO: the mask area), not `w * h`. */
export interface CocoAnnotation {
  readonly id: number;
  readonly imageId: number;
  readonly categoryId: number;
  readonly bbox: CocoBox;
  readonly area: number;
  /** Crowd regions never count as misses; a detection inside one is ignored rather than counted as a false positive. */
  readonly iscrowd: boolean;
}

/** Ground truth as an instances JSON holds it (only the fields bbox evaluation needs). */
export interface CocoGroundTruth {
  readonly images: readonly CocoImage[];
  readonly categories: readonly CocoCategory[];
  readonly annotations: readonly CocoAnnotation[];
}

/** One detection in COCO results format (`image_id`, `category_id`, `bbox`, `score` on disk). */
export interface CocoDetection {
  readonly imageId: number;
  readonly categoryId: number;
  readonly bbox: CocoBox;
  readonly score: number;
}
