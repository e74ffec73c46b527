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
  const images = (doc as { images?: Array<{ file_name?: unknown }> }).images;
  if (!Array.isArray(images)) throw new InputError(`${jsonPath} has no "images" list`);
  const dir = imageDir ?? dirname(jsonPath);
  return images.map((im, i) => {
    if (typeof im.file_name !== 'string') throw new InputError(`${jsonPath}: images[${i}] has no file_name`);
    return join(dir, im.file_name);
  });
}
