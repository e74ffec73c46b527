/**
 * Ground truth from YOLO txt labels: one `<stem>.txt` per image, one object per line as `class cx cy w h`, all box
 * values normalized to 0–1 by the image's width and height. Images without a label file have no objects (YOLO's
 * convention for background images). Boxes become COCO `[x, y, w, h]` pixels with area = w·h, no crowd flags, and
 * annotation ids 1, 2, … in image order (never 0: pycocotools treats a match to id 0 as no match).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, parse } from 'node:path';
import { InputError } from '../errors.js';
import type { CocoAnnotation, CocoCategory, CocoGroundTruth, CocoImage } from './coco-types.js';

/** What a YOLO class index stands for: position i of the list is class i. */
export interface YoloClass {
  readonly categoryId: number;
  readonly name: string;
}

/** Tolerance above 1 for normalized values (exporters round). */
const SLACK = 1e-3;

function categoriesOf(classes: readonly YoloClass[]): CocoCategory[] {
  const byId = new Map<number, string>();
  for (const c of classes) {
    if (!Number.isInteger(c.categoryId)) throw new InputError(`YOLO classes: category id ${c.categoryId} is not an integer`);
    const seen = byId.get(c.categoryId);
    if (seen !== undefined && seen !== c.name) {
      throw new InputError(`YOLO classes: category id ${c.categoryId} is given two names, "${seen}" and "${c.name}"`);
    }
    byId.set(c.categoryId, c.name);
  }
  return [...byId].map(([id, name]) => ({ id, name }));
}

function parseLine(line: string, where: string, image: CocoImage, classes: readonly YoloClass[]): Omit<CocoAnnotation, 'id'> {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 5) throw new InputError(`${where}: expected "class cx cy w h" (5 values), got ${parts.length}`);
  const [cls, cx, cy, w, h] = parts.map(Number) as [number, number, number, number, number];
  if (!Number.isInteger(cls) || cls < 0 || cls >= classes.length) {
    throw new InputError(`${where}: class ${parts[0]} is not an index into the ${classes.length} classes given`);
  }
  for (const v of [cx, cy, w, h]) {
    if (!Number.isFinite(v)) throw new InputError(`${where}: "${line.trim()}" has a value that is not a number`);
    if (v < -SLACK || v > 1 + SLACK) {
      throw new InputError(`${where}: value ${v} is outside 0–1; YOLO labels are normalized by image width and height`);
    }
  }
  const W = image.width;
  const H = image.height;
  const bw = w * W;
  const bh = h * H;
  return {
    imageId: image.id,
    categoryId: classes[cls]!.categoryId,
    bbox: [(cx - w / 2) * W, (cy - h / 2) * H, bw, bh],
    area: bw * bh,
    iscrowd: false,
  };
}

/**
 * Annotations of one image from its label file's text (blank lines skipped). `source` names the file in errors;
 * ids run from `firstId`.
 */
export function parseYoloLabels(
  text: string,
  image: CocoImage,
  classes: readonly YoloClass[],
  source: string,
  firstId: number,
): CocoAnnotation[] {
  const out: CocoAnnotation[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (line.trim() === '') return;
    out.push({ id: firstId + out.length, ...parseLine(line, `${source}:${n + 1}`, image, classes) });
  });
  return out;
}

/** The stem a label file must have for an image: its file name without folder and extension. */
export function labelStem(fileName: string): string {
  return parse(fileName).name;
}

/**
 * Ground truth from label texts keyed by stem (missing stem = no objects). `images` gives ids and pixel sizes and
 * fixes the image order; `classes[i]` maps class index i to a COCO category. Categories are those of `classes`.
 */
export function yoloLabelsToGroundTruth(
  labels: ReadonlyMap<string, string>,
  images: readonly CocoImage[],
  classes: readonly YoloClass[],
  sourceDir = 'labels',
): CocoGroundTruth {
  const categories = categoriesOf(classes);
  const stems = new Set<string>();
  const annotations: CocoAnnotation[] = [];
  for (const image of images) {
    const stem = labelStem(image.fileName);
    if (stems.has(stem)) throw new InputError(`YOLO labels: two images share the file stem "${stem}"`);
    stems.add(stem);
    if (!(image.width > 0 && image.height > 0)) throw new InputError(`YOLO labels: image ${image.id} needs a positive width and height`);
    const text = labels.get(stem);
    if (text !== undefined)
      annotations.push(...parseYoloLabels(text, image, classes, join(sourceDir, `${stem}.txt`), annotations.length + 1));
  }
  return { images: [...images], categories, annotations };
}

/** Read `<dir>/<stem>.txt` for each image (those that exist) and build the ground truth as above. */
export async function readYoloLabelDir(dir: string, images: readonly CocoImage[], classes: readonly YoloClass[]): Promise<CocoGroundTruth> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError(`${dir}: cannot list the label folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  const present = new Set(names.filter((n) => n.endsWith('.txt')).map((n) => n.slice(0, -4)));
  const labels = new Map<string, string>();
  for (const image of images) {
    const stem = labelStem(image.fileName);
    if (present.has(stem) && !labels.has(stem)) labels.set(stem, await readFile(join(dir, `${stem}.txt`), 'utf8'));
  }
  return yoloLabelsToGroundTruth(labels, images, classes, dir);
}
