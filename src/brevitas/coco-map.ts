import { dirname, join } from 'node:path';
import { readCocoGroundTruth } from '../data/coco-json.js';
import { evaluateCoco } from '../eval/coco/index.js';
import type { CocoDetection as EvalDetection } from '../eval/coco/types.js';
import type { FamilyName } from '../yolo/families/index.js';
import { predict } from '../yolo/predict.js';

/**
 * COCO bbox mAP of one ONNX detector on a COCO instances file: predict on every image the JSON lists (with the
 * family's preprocessing and the shared evaluation settings: conf 0.001, class-aware NMS 0.65, max 300, unclipped
 * boxes), then score with the pycocotools-exact evaluator. This is what `yoloq qat --eval` reports for the QAT
 * result, its INT4 twin and (with --baseline) the round-to-nearest PTQ model, so that all three are measured alike.
 */

export interface CocoMapOptions {
  /** Image folder; default: the images/ folder beside the JSON (the shared COCO layout). */
  images?: string;
  family?: FamilyName;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CocoMapResult {
  /** AP@[.50:.95] (COCO's "mAP"). */
  map: number;
  map50: number;
  images: number;
  detections: number;
  seconds: number;
}

/** Where the images of a COCO JSON lie: the given folder, else images/ beside the JSON. */
export function cocoImageDir(jsonPath: string, images?: string): string {
  if (images) return images;
  return join(dirname(jsonPath), 'images');
}

export async function cocoMap(model: string | Uint8Array, instancesJson: string, options: CocoMapOptions = {}): Promise<CocoMapResult> {
  const t0 = performance.now();
  const gt = await readCocoGroundTruth(instancesJson);
  const dir = cocoImageDir(instancesJson, options.images);
  const paths = gt.images.map((im) => join(dir, im.fileName));
  const ids = new Map(gt.images.map((im, i) => [paths[i]!, im.id]));
  const result = await predict(model, paths, {
    orientation: 'stored',
    imageId: (p) => ids.get(p),
    ...(options.family ? { family: options.family } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    onProgress: (p) => options.onProgress?.(p.done, p.total),
  });
  const dets: EvalDetection[] = result.images.flatMap((im) =>
    im.detections
      .filter((d) => d.image_id !== undefined)
      .map((d) => ({ imageId: d.image_id!, categoryId: d.category_id, bbox: d.bbox, score: d.score })),
  );
  const ev = evaluateCoco(gt, dets);
  return {
    map: ev.stats[0]!,
    map50: ev.stats[1]!,
    images: result.counts.predicted,
    detections: dets.length,
    seconds: (performance.now() - t0) / 1000,
  };
}
