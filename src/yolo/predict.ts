import { InputError } from '../errors.js';
import { loadImage, type ImageLoadResult, type Orientation } from '../data/images.js';
import type { Detection } from './candidates.js';
import { COCO80_TO_91 } from './coco-classes.js';
import { Detector, type DetectorOptions } from './detector.js';
import type { FamilyName, ModelInputSpec } from './families/index.js';

/**
 * End to end: model + image files → detections per image in original image coordinates with COCO category ids,
 * ready for a COCO results JSON. Undecodable images are skipped and counted, never fatal (unless `strict`). The next image is
 * decoded while the current one runs.
 *
 * Measured with pycocotools on shared val100 (defaults: conf 0.001, IoU 0.65, max 300, multi-label, unclipped):
 * yolox_nano 0.2767 (mAP50 0.4587), yolov5n_fp16 0.3005 (0.4759); person300 person AP 0.3648 and 0.4101. The shared
 * README's references (0.2786 / 0.3035; 0.3663 / 0.4111) were made with a pure-JS decoder (jpeg-js): decoding with
 * jpeg-js in this same pipeline gives 0.2783 and 0.3038, so the 0.002–0.003 gap is the JPEG decoder (sharp uses
 * libjpeg-turbo, as OpenCV and PIL do). The reference's YOLOX number is reproduced exactly (0.2786, mAP50 0.4497)
 * with jpeg-js, resampling kept in float (no uint8 rounding) and round() instead of YOLOX's int() resized size.
 */

/** One entry of a COCO results file. bbox is [x, y, width, height] in original image pixels (unclipped). */
export interface CocoDetection {
  image_id?: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/**
 * How class indices become category ids: 'coco91' (COCO's 1–90 ids; needs 80 classes), 'index' (the 0-based
 * class index itself) or an explicit table indexed by class.
 */
export type CategoryMapping = 'coco91' | 'index' | readonly number[];

export interface PredictProgress {
  done: number;
  total: number;
  skipped: number;
  path: string;
}

export interface PredictOptions extends DetectorOptions {
  /** EXIF handling for every image; default 'exif' (see data/images.ts). Use 'stored' against COCO annotations made on stored pixels. */
  orientation?: Orientation;
  /** Default: 'coco91' when the model has 80 classes, else 'index'. */
  categories?: CategoryMapping;
  /** image_id for each path (e.g. from a COCO JSON's file_name → id); left out of results when undefined. */
  imageId?: (path: string, index: number) => number | undefined;
  /** An image that cannot be decoded is an InputError (`--strict`) instead of a skip. */
  strict?: boolean;
  onProgress?: (p: PredictProgress) => void;
}

export interface ImagePrediction {
  path: string;
  imageId?: number;
  width: number;
  height: number;
  /** EXIF orientation applied to the pixels before detection. */
  reoriented: boolean;
  detections: CocoDetection[];
  /** The decoder warned of corrupt data it decoded past (the image is used; see src/data/images.ts). */
  warning?: string;
}

export interface PredictResult {
  family: FamilyName;
  familyReason: string;
  input: ModelInputSpec;
  images: ImagePrediction[];
  skipped: Array<{ path: string; reason: string }>;
  counts: { total: number; predicted: number; skipped: number; reoriented: number; detections: number };
  timing: { totalMs: number; inferenceMs: number };
}

function categoryTable(mapping: CategoryMapping | undefined, numClasses: number): (classIndex: number) => number {
  const m = mapping ?? (numClasses === 80 ? 'coco91' : 'index');
  if (m === 'index') return (k) => k;
  const table = m === 'coco91' ? COCO80_TO_91 : m;
  if (table.length < numClasses) throw new RangeError(`category mapping has ${table.length} ids for a model with ${numClasses} classes`);
  return (k) => table[k]!;
}

/** Detections (corner form) → COCO result entries. */
export function toCocoDetections(
  dets: readonly Detection[],
  categoryOf: (classIndex: number) => number,
  imageId?: number,
): CocoDetection[] {
  return dets.map((d) => {
    const entry: CocoDetection = { category_id: categoryOf(d.classIndex), bbox: [d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1], score: d.score };
    return imageId === undefined ? entry : { image_id: imageId, ...entry };
  });
}

/** One image to predict: its position in the caller's list and its path. */
export interface PredictTask {
  index: number;
  path: string;
}

/** What `predictEach` reports per image: its detections (no image_id), or why it was skipped. */
export type ImageOutcome =
  | ({ index: number; ok: true } & Omit<ImagePrediction, 'imageId'>)
  | { index: number; ok: false; path: string; reason: string };

export interface PredictEachOptions extends Omit<PredictOptions, 'imageId' | 'onProgress'> {
  /** Called once per task, in the order the tasks came, before the next task is run. */
  onImage: (outcome: ImageOutcome) => void | Promise<void>;
}

/** What `predictEach` learnt about the model. */
export interface PredictModelInfo {
  family: FamilyName;
  familyReason: string;
  input: ModelInputSpec;
  /** Summed session.run time, ms. */
  inferenceMs: number;
}

/**
 * The streaming core of `predict`: tasks come from `next` (undefined ends), outcomes go to `onImage`, and nothing
 * per image is kept. The next task is fetched and its image decoded (sharp, off the JS thread) while the current
 * one runs. `next` may be asynchronous (a worker thread asks its parent for work).
 */
export async function predictEach(
  model: string | Uint8Array,
  next: () => PredictTask | undefined | Promise<PredictTask | undefined>,
  options: PredictEachOptions,
): Promise<PredictModelInfo> {
  const { orientation, categories, onImage, strict, ...detectorOptions } = options;
  const detector = await Detector.create(model, detectorOptions);
  const categoryOf = categoryTable(categories, detector.model.numClasses);
  const info: PredictModelInfo = {
    family: detector.model.family,
    familyReason: detector.model.reason,
    input: detector.model.input,
    inferenceMs: 0,
  };
  type Pending = { task: PredictTask; image: Promise<ImageLoadResult> } | undefined;
  const fetch = async (): Promise<Pending> => {
    const task = await next();
    return task && { task, image: loadImage(task.path, orientation === undefined ? {} : { orientation }) };
  };
  try {
    let pending = fetch();
    for (let cur = await pending; cur !== undefined; cur = await pending) {
      const loaded = await cur.image;
      pending = fetch();
      const { index, path } = cur.task;
      if (!loaded.ok) {
        if (strict) throw new InputError(`cannot read ${path}: ${loaded.reason} (--strict)`);
        await onImage({ index, ok: false, path, reason: loaded.reason });
        continue;
      }
      const { detections, inferenceMs } = await detector.detect(loaded.image);
      info.inferenceMs += inferenceMs;
      await onImage({
        index,
        ok: true,
        path,
        width: loaded.image.width,
        height: loaded.image.height,
        reoriented: loaded.image.reoriented,
        detections: toCocoDetections(detections, categoryOf),
        ...(loaded.warning !== undefined ? { warning: loaded.warning } : {}),
      });
    }
    // A decode started for a task that never ran must not outlive the call as an unhandled rejection.
    await pending.then((p) => p?.image).catch(() => undefined);
  } finally {
    await detector.dispose();
  }
  return info;
}

export async function predict(
  model: string | Uint8Array,
  imagePaths: readonly string[],
  options: PredictOptions = {},
): Promise<PredictResult> {
  const start = performance.now();
  const { imageId, onProgress, ...rest } = options;
  const images: ImagePrediction[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const counts = { total: imagePaths.length, predicted: 0, skipped: 0, reoriented: 0, detections: 0 };
  let cursor = 0;
  const info = await predictEach(model, () => (cursor < imagePaths.length ? { index: cursor, path: imagePaths[cursor++]! } : undefined), {
    ...rest,
    onImage: (o) => {
      if (!o.ok) {
        skipped.push({ path: o.path, reason: o.reason });
        counts.skipped++;
      } else {
        const { index, ok: _ok, ...im } = o;
        const id = imageId?.(o.path, index);
        const entry: ImagePrediction =
          id === undefined ? im : { ...im, imageId: id, detections: im.detections.map((d) => ({ image_id: id, ...d })) };
        images.push(entry);
        counts.predicted++;
        counts.detections += im.detections.length;
        if (im.reoriented) counts.reoriented++;
      }
      onProgress?.({ done: o.index + 1, total: imagePaths.length, skipped: counts.skipped, path: o.path });
    },
  });
  return {
    family: info.family,
    familyReason: info.familyReason,
    input: info.input,
    images,
    skipped,
    counts,
    timing: { totalMs: performance.now() - start, inferenceMs: info.inferenceMs },
  };
}

/** All detections of a prediction as one COCO results array (entries without an image id are left out). */
export function cocoResults(result: PredictResult): CocoDetection[] {
  return result.images.flatMap((im) => im.detections.filter((d) => d.image_id !== undefined));
}
