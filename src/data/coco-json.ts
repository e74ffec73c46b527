/**
 * COCO JSON in and out: instances files (ground truth) and results files (detections,
 * `[{image_id, category_id, bbox: [x, y, w, h], score}]`). Parsing checks every field the bbox evaluator reads and
 * throws one `InputError` naming the file, the entry and the field on the first problem.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { CocoAnnotation, CocoBox, CocoCategory, CocoDetection, CocoGroundTruth, CocoImage } from './coco-types.js';

type Obj = Record<string, unknown>;

/** One detection as a COCO results file stores it. */
export interface CocoResultEntry {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

function fail(source: string, msg: string): never {
  throw new InputError(`${source}: ${msg}`);
}

function asObject(v: unknown, source: string, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(source, `${where} is not a JSON object`);
  return v as Obj;
}

function asArray(o: Obj, key: string, source: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(source, `has no "${key}" array`);
  return v;
}

function intField(o: Obj, key: string, source: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v))
    fail(source, `${where} has ${key} ${JSON.stringify(v) ?? 'missing'}; expected an integer`);
  return v;
}

function numField(o: Obj, key: string, source: string, where: string, min = -Infinity): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    const want = min === -Infinity ? 'a finite number' : `a finite number ≥ ${min}`;
    fail(source, `${where} has ${key} ${JSON.stringify(v) ?? 'missing'}; expected ${want}`);
  }
  return v;
}

function boxField(o: Obj, source: string, where: string): CocoBox {
  const v = o.bbox;
  const ok = Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!ok) fail(source, `${where} has bbox ${JSON.stringify(v) ?? 'missing'}; expected [x, y, w, h] of 4 finite numbers`);
  const [x, y, w, h] = v as number[];
  if (w! < 0 || h! < 0) fail(source, `${where} has a negative bbox width or height: ${JSON.stringify(v)}`);
  return [x!, y!, w!, h!];
}

function crowdField(o: Obj, source: string, where: string): boolean {
  const v = o.iscrowd;
  if (v === undefined || v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  fail(source, `${where} has iscrowd ${JSON.stringify(v)}; expected 0 or 1`);
}

function uniqueIds<T extends { id: number }>(items: T[], source: string, kind: string): Set<number> {
  const seen = new Set<number>();
  for (const it of items) {
    if (seen.has(it.id)) fail(source, `${kind} id ${it.id} appears more than once`);
    seen.add(it.id);
  }
  return seen;
}

function parseImage(v: unknown, n: number, source: string): CocoImage {
  const where = `images[${n}]`;
  const o = asObject(v, source, where);
  const fileName = o.file_name === undefined ? '' : o.file_name;
  if (typeof fileName !== 'string') fail(source, `${where} has a file_name that is not a string`);
  return {
    id: intField(o, 'id', source, where),
    fileName,
    width: numField(o, 'width', source, where, 0),
    height: numField(o, 'height', source, where, 0),
  };
}

function parseCategory(v: unknown, n: number, source: string): CocoCategory {
  const where = `categories[${n}]`;
  const o = asObject(v, source, where);
  if (typeof o.name !== 'string') fail(source, `${where} has no name string`);
  const id = intField(o, 'id', source, where);
  return typeof o.supercategory === 'string' ? { id, name: o.name, supercategory: o.supercategory } : { id, name: o.name };
}

function parseAnnotation(v: unknown, n: number, source: string): CocoAnnotation {
  const o = asObject(v, source, `annotations[${n}]`);
  const where = typeof o.id === 'number' ? `annotations[${n}] (id ${o.id})` : `annotations[${n}]`;
  return {
    id: intField(o, 'id', source, where),
    imageId: intField(o, 'image_id', source, where),
    categoryId: intField(o, 'category_id', source, where),
    bbox: boxField(o, source, where),
    area: numField(o, 'area', source, where, 0),
    iscrowd: crowdField(o, source, where),
  };
}

/**
 * Ground truth from a parsed instances JSON. Required: `images[].id/width/height`, `categories[].id/name`,
 * `annotations[].id/image_id/category_id/bbox/area`; `iscrowd` defaults to 0. Ids must be unique integers and every
 * annotation must name a listed image and category. `source` names the input in error messages.
 */
export function parseCocoGroundTruth(data: unknown, source = 'COCO ground truth'): CocoGroundTruth {
  const root = asObject(data, source, 'the top level');
  const images = asArray(root, 'images', source).map((v, n) => parseImage(v, n, source));
  const categories = asArray(root, 'categories', source).map((v, n) => parseCategory(v, n, source));
  const annotations = asArray(root, 'annotations', source).map((v, n) => parseAnnotation(v, n, source));
  const imageIds = uniqueIds(images, source, 'image');
  const categoryIds = uniqueIds(categories, source, 'category');
  uniqueIds(annotations, source, 'annotation');
  for (const a of annotations) {
    if (!imageIds.has(a.imageId)) fail(source, `annotation ${a.id} has image_id ${a.imageId}, which is not in "images"`);
    if (!categoryIds.has(a.categoryId)) fail(source, `annotation ${a.id} has category_id ${a.categoryId}, which is not in "categories"`);
  }
  return { images, categories, annotations };
}

/** Detections from a parsed results JSON (an array of `{image_id, category_id, bbox, score}`; other keys ignored). */
export function parseCocoDetections(data: unknown, source = 'COCO detections'): CocoDetection[] {
  if (!Array.isArray(data)) fail(source, 'is not a JSON array of detections');
  return data.map((v, n) => {
    const where = `detection ${n}`;
    const o = asObject(v, source, where);
    return {
      imageId: intField(o, 'image_id', source, where),
      categoryId: intField(o, 'category_id', source, where),
      bbox: boxField(o, source, where),
      score: numField(o, 'score', source, where),
    };
  });
}

/** Detections in results-file form, ready for JSON.stringify. */
export function toCocoResults(dets: readonly CocoDetection[]): CocoResultEntry[] {
  return dets.map((d) => ({
    image_id: d.imageId,
    category_id: d.categoryId,
    bbox: [d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]],
    score: d.score,
  }));
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(e)})`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/** Read and parse an instances JSON file. */
export async function readCocoGroundTruth(path: string): Promise<CocoGroundTruth> {
  return parseCocoGroundTruth(await readJson(path), path);
}

/** Read and parse a results JSON file. */
export async function readCocoDetections(path: string): Promise<CocoDetection[]> {
  return parseCocoDetections(await readJson(path), path);
}

/** Write detections as a results JSON file (one array, no indentation). */
export async function writeCocoDetections(path: string, dets: readonly CocoDetection[]): Promise<void> {
  await writeFile(path, JSON.stringify(toCocoResults(dets)));
}
