import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import { readCocoGroundTruth } from '../data/coco-json.js';
import { listImages } from '../data/images.js';
import { readYoloLabelDir, type YoloClass } from '../data/yolo-labels.js';
import { prepareModel } from '../runtime/prepare-model.js';
import type { EpName } from '../runtime/ep-table.js';
import type { PostprocessOptions } from '../yolo/families/index.js';
import type { FamilyName } from '../yolo/families/types.js';
import { COCO80_NAMES, COCO80_TO_91 } from '../yolo/coco-classes.js';
import { predict, type CocoDetection as ResultEntry, type PredictProgress } from '../yolo/predict.js';
import { evaluateCoco, type CocoEvalResult } from './coco/index.js';
import type { CocoDetection, CocoGroundTruth, CocoImage } from './coco/types.js';

/**
 * `yoloq eval` as a library call: run a detector over an evaluation set, score it with the pycocotools-faithful
 * evaluator, and return the stats with the detections (COCO results format). With `maxImages`, the ground truth
 * is cut to the same images, so unevaluated images never count as misses.
 */

export interface EvalSetSpec {
  /** A COCO instances JSON, images in `images` (default: the JSON's folder)… */
  coco?: string;
  /** …or a YOLO-txt label folder for the images in `images` (class i → COCO category by the 80-class table). */
  labels?: string;
  images: string;
  maxImages?: number;
}

export interface EvaluateModelOptions {
  ep?: EpName;
  threads?: number;
  family?: FamilyName;
  postprocess?: Partial<PostprocessOptions>;
  /** Load the file as is, without preparing INT4 weights (see runtime/prepare-model.ts). */
  raw?: boolean;
  /** An image that cannot be read is an InputError (`--strict`) instead of a skip. */
  strict?: boolean;
  onProgress?: (p: PredictProgress) => void;
}

export interface ModelEvaluation {
  result: CocoEvalResult;
  detections: ResultEntry[];
  images: number;
  skipped: Array<{ path: string; reason: string }>;
  /** Images used although the decoder warned of corrupt data (absent: none). */
  damaged?: Array<{ path: string; warning: string }>;
  imagesPerSecond: number;
  family: FamilyName;
  loadNote: string;
}

/** The ground truth and image paths of an eval set; `unreadable`: images whose size could not be read (YOLO labels). */
async function groundTruthFor(
  set: EvalSetSpec,
  strict: boolean,
): Promise<{ gt: CocoGroundTruth; paths: string[]; unreadable: Array<{ path: string; reason: string }> }> {
  if (set.coco) {
    const gt = await readCocoGroundTruth(set.coco);
    const images = set.maxImages ? gt.images.slice(0, set.maxImages) : gt.images;
    const keep = new Set(images.map((im) => im.id));
    return {
      gt: { ...gt, images, annotations: gt.annotations.filter((a) => keep.has(a.imageId)) },
      paths: images.map((im) => join(set.images, im.fileName)),
      unreadable: [],
    };
  }
  if (!set.labels) throw new InputError('give the ground truth: --coco instances.json or --labels <YOLO label folder>');
  const files = listImages(set.images).slice(0, set.maxImages ?? Infinity);
  if (files.length === 0) throw new InputError(`no images in ${set.images}`);
  // YOLO labels are normalized: pixel sizes come from the images themselves (sharp reads only the header).
  const { default: sharp } = await import('sharp');
  const images: CocoImage[] = [];
  const unreadable: Array<{ path: string; reason: string }> = [];
  for (const [i, p] of files.entries()) {
    const meta = await sharp(p)
      .metadata()
      .catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
    if ('width' in meta && meta.width && meta.height)
      images.push({ id: i + 1, fileName: basename(p), width: meta.width, height: meta.height });
    else {
      const reason = 'error' in meta ? meta.error : 'no image size in the header';
      if (strict) throw new InputError(`cannot read ${p}: ${reason} (--strict)`);
      unreadable.push({ path: p, reason });
    }
  }
  const classes: YoloClass[] = COCO80_NAMES.map((name, i) => ({ name, categoryId: COCO80_TO_91[i]! }));
  return {
    gt: await readYoloLabelDir(set.labels, images, classes),
    paths: images.map((im) => join(set.images, im.fileName)),
    unreadable,
  };
}

export async function evaluateModel(modelPath: string, set: EvalSetSpec, options: EvaluateModelOptions = {}): Promise<ModelEvaluation> {
  const { gt, paths, unreadable } = await groundTruthFor(set, options.strict ?? false);
  const idOf = new Map(gt.images.map((im, k) => [paths[k]!, im.id]));
  const prepared = prepareModel(modelPath, { raw: options.raw ?? false });
  const pred = await predict(prepared.source, paths, {
    ...(options.ep ? { ep: options.ep } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.family ? { family: options.family } : {}),
    ...(options.postprocess ? { postprocess: options.postprocess } : {}),
    orientation: 'stored',
    imageId: (p) => idOf.get(p),
    ...(options.strict ? { strict: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  // An mAP over zero images would read as a (meaningless) number; say why instead.
  if (pred.counts.predicted === 0) {
    const first = pred.skipped[0] ?? unreadable[0];
    throw new InputError(
      `none of the ${paths.length} evaluation images could be read${first ? ` (first: ${first.path}: ${first.reason})` : ''}`,
    );
  }
  const entries = pred.images.flatMap((im) => im.detections);
  const dets: CocoDetection[] = entries.map((d) => ({ imageId: d.image_id!, categoryId: d.category_id, bbox: d.bbox, score: d.score }));
  const evaluated = new Set(pred.images.map((im) => im.imageId));
  // Skipped images leave the evaluation rather than count as images with only misses.
  const gtEval = {
    ...gt,
    images: gt.images.filter((im) => evaluated.has(im.id)),
    annotations: gt.annotations.filter((a) => evaluated.has(a.imageId)),
  };
  const result = evaluateCoco(gtEval, dets);
  return {
    result,
    detections: entries,
    images: pred.counts.predicted,
    skipped: [...unreadable, ...pred.skipped],
    ...(pred.images.some((im) => im.warning !== undefined)
      ? { damaged: pred.images.flatMap((im) => (im.warning !== undefined ? [{ path: im.path, warning: im.warning }] : [])) }
      : {}),
    imagesPerSecond: pred.counts.predicted / (pred.timing.totalMs / 1000),
    family: pred.family,
    loadNote: prepared.note,
  };
}
