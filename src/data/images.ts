import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import sharp from 'sharp';
import { InputError, oneLine } from '../errors.js';

/**
 * Image loading with sharp (libvips; libjpeg-turbo for JPEG): every image becomes 8-bit RGB, HWC, row-major.
 * Alpha is dropped (as OpenCV's IMREAD_COLOR and PIL's convert('RGB') do), greyscale is replicated to three
 * channels, CMYK and 16-bit images are converted to 8-bit sRGB.
 *
 * EXIF orientation. The reference tools disagree with the annotations:
 *  - OpenCV's `imread` applies the EXIF orientation tag by default (unless IMREAD_IGNORE_ORIENTATION), and so
 *    does ultralytics (cv2.imread for files, PIL `exif_transpose` for PIL input);
 *  - COCO annotations and the `width`/`height` in COCO JSON are in the *stored* pixel orientation, and pycocotools
 *    never looks at pixels.
 * We default to 'exif' (what a viewer shows, and what ultralytics/OpenCV predict on) and offer 'stored' for
 * evaluating against annotations made on the stored pixels. Each loaded image reports its orientation tag and
 * whether it was applied, so callers can count images where the two choices differ. No image in the shared
 * COCO sets (val100, train209, person300) or in images/ carries an orientation other than 1, so both choices give
 * identical results there.
 *
 * Damaged files never throw: `loadImage` returns `{ ok: false, reason }` so that a batch can skip and count them.
 * Truncated files count as damaged (sharp `failOn: 'error'`, like PIL's default) rather than being decoded with
 * grey rows as OpenCV does: a half image would quietly lower the measured accuracy.
 *
 * Corrupted bytes inside an otherwise complete file are another matter: libjpeg decodes most of them without
 * complaint (garbled blocks, no error, no warning — the decoder cannot tell), and reports some as warnings
 * ("Corrupt JPEG data: …"). An image whose decoder warned is still used (as PIL and OpenCV would), and `warning`
 * carries the decoder's words so that callers count and name it; undetected corruption cannot be reported.
 */

export type Orientation = 'exif' | 'stored';

/** An 8-bit RGB image: `data` is [height, width, 3] row-major (HWC), channel order R, G, B. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** EXIF orientation tag (1–8) when the file had one. */
  exifOrientation?: number;
  /** True when the pixels were rotated/flipped to honour a tag other than 1. */
  reoriented: boolean;
}

/** A decoded image (`warning`: the decoder warned of corrupt data it decoded past), or why it could not be decoded. */
export type ImageLoadResult =
  | { ok: true; source: string; image: RgbImage; warning?: string }
  | { ok: false; source: string; reason: string };

export interface ImageLoadOptions {
  /** Default 'exif'. */
  orientation?: Orientation;
}

/** Decode a file path or encoded bytes. Never throws for bad image data; see ImageLoadResult. */
export async function loadImage(input: string | Uint8Array, options: ImageLoadOptions = {}): Promise<ImageLoadResult> {
  const source = typeof input === 'string' ? input : '<buffer>';
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (e) {
    return { ok: false, source, reason: `cannot read file: ${oneLine(e)}` };
  }
  if (bytes.byteLength === 0) return { ok: false, source, reason: 'empty file' };
  try {
    // Strict first (a decoder warning is an error); only a file that warns is decoded a second time, leniently.
    let warning: string | undefined;
    let decoded: { image: RgbImage } | { reason: string };
    try {
      decoded = await decode(bytes, 'warning', options);
    } catch (e) {
      warning = oneLine(e);
      decoded = await decode(bytes, 'error', options);
    }
    if ('reason' in decoded) return { ok: false, source, reason: decoded.reason };
    return { ok: true, source, image: decoded.image, ...(warning !== undefined ? { warning } : {}) };
  } catch (e) {
    return { ok: false, source, reason: oneLine(e) };
  }
}

async function decode(
  bytes: Uint8Array,
  failOn: 'warning' | 'error',
  options: ImageLoadOptions,
): Promise<{ image: RgbImage } | { reason: string }> {
  const meta = await sharp(bytes, { failOn }).metadata();
  const tag = meta.orientation;
  let pipeline = sharp(bytes, { failOn });
  const reorient = options.orientation !== 'stored' && tag !== undefined && tag !== 1;
  if (reorient) pipeline = pipeline.autoOrient();
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    return { reason: `decoded to ${info.channels} channels, expected 3` };
  }
  const image: RgbImage = {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    reoriented: reorient,
  };
  if (tag !== undefined) image.exifOrientation = tag;
  return { image };
}

/** File extensions `listImages` picks up (lower-case, with the dot). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif']);

export interface ListImagesOptions {
  /** Descend into sub-folders; default false. */
  recursive?: boolean;
  extensions?: ReadonlySet<string>;
}

/** Compare by UTF-16 code units: the same order on every machine and locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Image files in `dir` (by extension, case-insensitive), as full paths sorted by their path relative to `dir`
 * in code-unit order, independent of locale and file-system order. A missing folder is an InputError.
 */
function isFileThroughLink(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function listImages(dir: string, options: ListImagesOptions = {}): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new InputError(`image folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new InputError(`${dir} is not a folder`);
  const exts = options.extensions ?? IMAGE_EXTENSIONS;
  const entries = readdirSync(dir, { recursive: options.recursive ?? false, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    if (!exts.has(extname(e.name).toLowerCase())) continue;
    const path = join(e.parentPath ?? dir, e.name);
    // A folder of symlinks to images (a subset made with ln -s) is a folder of images; a dangling link is left out.
    if (e.isFile() || (e.isSymbolicLink() && isFileThroughLink(path))) files.push(path);
  }
  return files.sort((a, b) => byCodeUnits(relative(dir, a), relative(dir, b)));
}
