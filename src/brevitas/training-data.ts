import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cocoImagePaths } from '../data/coco-images.js';
import { readCocoGroundTruth } from '../data/coco-json.js';
import { listImages } from '../data/images.js';
import { labelStem, parseYoloLabels } from '../data/yolo-labels.js';
import { InputError } from '../errors.js';
import type { CocoAnnotation } from '../eval/coco/types.js';
import { drawSubset } from '../quant/calibration/samples.js';
import { cocoClassIndex } from '../yolo/coco-classes.js';
import type { ClassIndexOf } from './labels.js';

/**
 * Which images the Python stage trains and calibrates on, and their labels: images from a folder or a COCO
 * instances JSON (a seeded draw of `count`), labels from a COCO instances JSON (category ids → the 80 COCO classes)
 * or a folder of YOLO txt files (class indices as they are).
 */

export interface TrainingImages {
  paths: string[];
  /** Ground truth of one image, original pixels; undefined when no labels were given. */
  labelsFor?: (path: string, width: number, height: number) => CocoAnnotation[];
  classIndexOf?: ClassIndexOf;
}

export interface TrainingDataRequest {
  /** A folder of images, or a COCO instances JSON whose images lie in `imageDir` (default: its images/ folder). */
  images: string;
  imageDir?: string;
  count: number;
  seed: number;
  /** A COCO instances JSON, or a folder of YOLO txt labels (one <stem>.txt per image). */
  labels?: string;
}

function jsonImageDir(json: string, given?: string): string {
  return given ?? join(json, '..', 'images');
}

async function cocoLabels(json: string, paths: readonly string[]): Promise<Map<string, CocoAnnotation[]>> {
  const gt = await readCocoGroundTruth(json);
  const idByName = new Map(gt.images.map((im) => [basename(im.fileName), im.id]));
  const byImage = new Map<number, CocoAnnotation[]>();
  for (const a of gt.annotations) (byImage.get(a.imageId) ?? byImage.set(a.imageId, []).get(a.imageId)!).push(a);
  const out = new Map<string, CocoAnnotation[]>();
  let found = 0;
  for (const p of paths) {
    const id = idByName.get(basename(p));
    if (id !== undefined) found++;
    out.set(p, id === undefined ? [] : (byImage.get(id) ?? []));
  }
  if (found === 0) throw new InputError(`${json} lists none of the training images by file name`);
  return out;
}

/**
 * YOLO txt labels are normalized to the image size, which is only known after decoding: they are kept as text
 * here and turned into pixel boxes by `yoloLabelsFor` once the size is known.
 */
export function yoloLabelsFor(dir: string): (path: string, width: number, height: number) => CocoAnnotation[] {
  return (path, width, height) => {
    const stem = labelStem(path);
    let text: string;
    try {
      text = readFileSync(join(dir, `${stem}.txt`), 'utf8');
    } catch {
      return [];
    }
    const classes = Array.from({ length: 1000 }, (_, i) => ({ categoryId: i, name: String(i) }));
    return parseYoloLabels(text, { id: 0, fileName: basename(path), width, height }, classes, join(dir, `${stem}.txt`), 1);
  };
}

export async function trainingImages(req: TrainingDataRequest): Promise<TrainingImages> {
  const all = req.images.endsWith('.json') ? cocoImagePaths(req.images, jsonImageDir(req.images, req.imageDir)) : listImages(req.images);
  if (all.length === 0) throw new InputError(`no images found in ${req.images}`);
  const paths = drawSubset(all, req.count, req.seed);
  if (!req.labels) return { paths };
  if (req.labels.endsWith('.json')) {
    const byPath = await cocoLabels(req.labels, paths);
    return { paths, labelsFor: (p) => byPath.get(p) ?? [], classIndexOf: cocoClassIndex };
  }
  return { paths, labelsFor: yoloLabelsFor(req.labels), classIndexOf: (id) => id };
}
