import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';

/**
 * The image files a COCO instances JSON lists (its "images[].file_name"), resolved in `imageDir` (default: the
 * JSON's folder), in the JSON's order. Used to calibrate on a COCO subset without reading annotations.
 */
export function cocoImagePaths(jsonPath: string, imageDir?: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch {
    throw new InputError(`cannot read COCO JSON ${jsonPath}`);
  }
  // Any JSON value may arrive here (null, a list, a number): only an object with an "images" list of objects is one.
  const images = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { images?: unknown }).images : undefined;
  if (!Array.isArray(images)) throw new InputError(`${jsonPath} has no "images" list (not a COCO instances file)`);
  const dir = imageDir ?? dirname(jsonPath);
  return images.map((im: unknown, i) => {
    const name = im !== null && typeof im === 'object' ? (im as { file_name?: unknown }).file_name : undefined;
    if (typeof name !== 'string' || name === '') throw new InputError(`${jsonPath}: images[${i}] has no file_name`);
    return join(dir, name);
  });
}
