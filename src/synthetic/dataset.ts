import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../quant/rounding.js';
import { DEFAULT_SCENE, renderScene, type SceneOptions } from './scene.js';
import { SHAPE_CLASSES } from './shapes.js';

/**
 * The synthetic detection set on disk, in the two layouts its consumers read:
 *
 *   <root>/images/<split>/<split>-000000.jpg   the images (JPEG quality 92, sharp/libjpeg-turbo)
 *   <root>/labels/<split>/<split>-000000.txt   YOLO labels: `class cx cy w h`, normalized (ultralytics reads these)
 *   <root>/annotations/instances_<split>.json  COCO instances (yoloq eval reads these); category id = class + 1
 *
 * Image i of a split is a pure function of (seed, split, i) — not of how many images are made — so a split of
 * 100 is the first 100 of a split of 1,000, and the files are byte-identical on every machine with the same sharp.
 */

/** Bump when the pixels or boxes a (seed, split, index) gives change; part of every cache key. */
export const GENERATOR_VERSION = 1;

export interface SplitRequest {
  root: string;
  split: string;
  count: number;
  seed: number;
  scene?: SceneOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface SplitFiles {
  /** The images folder of the split. */
  images: string;
  /** The COCO instances JSON of the split. */
  instances: string;
  labels: string;
  count: number;
  objects: number;
}

/** FNV-1a, 32 bits: a stable seed for each (seed, split, index). */
export function imageSeed(seed: number, split: string, index: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${GENERATOR_VERSION}:${seed}:${split}:${index}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function categories(): Array<{ id: number; name: string; supercategory: string }> {
  return SHAPE_CLASSES.map((name, i) => ({ id: i + 1, name, supercategory: 'shape' }));
}

/** Round to 1/100 px so the JSON is short and the same on every machine. */
const r2 = (v: number): number => Math.round(v * 100) / 100;

export async function writeSplit(req: SplitRequest): Promise<SplitFiles> {
  const imagesDir = join(req.root, 'images', req.split);
  const labelsDir = join(req.root, 'labels', req.split);
  mkdirSync(imagesDir, { recursive: true });
  mkdirSync(labelsDir, { recursive: true });
  const images: object[] = [];
  const annotations: object[] = [];
  for (let i = 0; i < req.count; i++) {
    const scene = renderScene(seededRandom(imageSeed(req.seed, req.split, i)), req.scene ?? DEFAULT_SCENE);
    const stem = `${req.split}-${String(i).padStart(6, '0')}`;
    const fileName = `${stem}.jpg`;
    await sharp(scene.rgb, { raw: { width: scene.width, height: scene.height, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(join(imagesDir, fileName));
    images.push({ id: i + 1, file_name: fileName, width: scene.width, height: scene.height });
    const lines: string[] = [];
    for (const o of scene.objects) {
      const { x1, y1, x2, y2 } = o.box;
      annotations.push({
        id: annotations.length + 1,
        image_id: i + 1,
        category_id: o.classIndex + 1,
        bbox: [r2(x1), r2(y1), r2(x2 - x1), r2(y2 - y1)],
        area: r2(o.area),
        iscrowd: 0,
      });
      const f = (v: number): string => v.toFixed(6);
      lines.push(
        `${o.classIndex} ${f((x1 + x2) / 2 / scene.width)} ${f((y1 + y2) / 2 / scene.height)} ${f((x2 - x1) / scene.width)} ${f((y2 - y1) / scene.height)}`,
      );
    }
    writeFileSync(join(labelsDir, `${stem}.txt`), lines.join('\n') + (lines.length ? '\n' : ''));
    req.onProgress?.(i + 1, req.count);
  }
  const instances = join(req.root, 'annotations', `instances_${req.split}.json`);
  mkdirSync(dirname(instances), { recursive: true });
  const info = { description: `yoloq synthetic shapes, split ${req.split}, seed ${req.seed}, generator v${GENERATOR_VERSION}` };
  writeFileSync(instances, JSON.stringify({ info, images, annotations, categories: categories() }));
  return { images: imagesDir, instances, labels: labelsDir, count: req.count, objects: annotations.length };
}

/** ultralytics' dataset YAML for a root holding a `train` and a `val` split. */
export function ultralyticsDataYaml(root: string, train: string, val: string): string {
  return [
    `path: ${JSON.stringify(root)}`,
    `train: images/${train}`,
    `val: images/${val}`,
    'names:',
    ...SHAPE_CLASSES.map((n, i) => `  ${i}: ${n}`),
    '',
  ].join('\n');
}

/**
 * A split made once into a cache folder and reused: `<cacheDir>/synthetic-v<N>/<split>-seed<S>-n<count>/`. The
 * split is written to a temporary folder and renamed into place when complete, so an interrupted run never leaves
 * a half-made set behind for the next one to trust.
 */
export async function cachedSplit(
  cacheDir: string,
  split: string,
  count: number,
  seed: number,
  onProgress?: (done: number, total: number) => void,
): Promise<SplitFiles> {
  const dir = join(cacheDir, `synthetic-v${GENERATOR_VERSION}`, `${split}-seed${seed}-n${count}`);
  const marker = join(dir, 'complete.json');
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8')) as SplitFiles;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    const files = await writeSplit({ root: tmp, split, count, seed, ...(onProgress ? { onProgress } : {}) });
    const final: SplitFiles = {
      ...files,
      images: join(dir, 'images', split),
      instances: join(dir, 'annotations', `instances_${split}.json`),
      labels: join(dir, 'labels', split),
    };
    writeFileSync(join(tmp, 'complete.json'), JSON.stringify(final, null, 1));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(tmp, dir);
    return final;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
