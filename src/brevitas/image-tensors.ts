import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadImage } from '../data/images.js';
import { InputError } from '../errors.js';
import type { CocoAnnotation } from '../eval/coco/types.js';
import { letterbox, type LetterboxOptions } from '../yolo/preprocess.js';
import { NpyWriter } from './npy.js';
import { letterboxLabels, type ClassIndexOf } from './labels.js';

/**
 * The data folder the Python stage reads (python/yoloq_brevitas/data.py): the images letterboxed here, by the same
 * code `yoloq quantize`, `yoloq eval` and the detector use, so the PyTorch side never preprocesses on its own.
 *   images.npy  uint8 [N, 3, H, W], channel order and placement of the family, before range scaling
 *   meta.json   pixelScale (1/255 or 1), channelOrder, family, files
 *   labels.json when labels are given: per image [class, cx, cy, w, h] normalized to the input size
 */

export interface ImageTensorRequest {
  images: readonly string[];
  letterbox: LetterboxOptions;
  outDir: string;
  family: string;
  /** Ground-truth annotations of an image (original pixels, COCO [x, y, w, h]); undefined: no labels. */
  labelsFor?: (path: string, width: number, height: number) => readonly CocoAnnotation[];
  classIndexOf?: ClassIndexOf;
  onProgress?: (done: number, total: number) => void;
}

export interface ImageTensorResult {
  count: number;
  skipped: Array<{ path: string; reason: string }>;
  boxes: number;
}

/** Byte levels of a letterboxed float32 tensor ('byte' range) as uint8, same layout. */
function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]!;
  return out;
}

export async function writeImageTensors(req: ImageTensorRequest): Promise<ImageTensorResult> {
  const { width, height } = req.letterbox;
  const lb: LetterboxOptions = { ...req.letterbox, pixelRange: 'byte', dtype: 'float32' };
  rmSync(req.outDir, { recursive: true, force: true });
  mkdirSync(req.outDir, { recursive: true });
  const decoded: Array<{ path: string; data: Uint8Array; labels: number[][] }> = [];
  const skipped: ImageTensorResult['skipped'] = [];
  let boxes = 0;
  // Decode everything first so the .npy header knows N; at 640² one image is 1.2 MB of uint8.
  for (let i = 0; i < req.images.length; i++) {
    const path = req.images[i]!;
    const loaded = await loadImage(path, { orientation: 'stored' });
    if (!loaded.ok) {
      skipped.push({ path, reason: loaded.reason });
    } else {
      const { tensor, geometry } = letterbox(loaded.image, lb);
      const anns = req.labelsFor?.(path, loaded.image.width, loaded.image.height) ?? [];
      const labels = req.classIndexOf ? letterboxLabels(anns, geometry, req.classIndexOf) : [];
      boxes += labels.length;
      decoded.push({ path, data: toBytes(tensor.data as Float32Array), labels });
    }
    req.onProgress?.(i + 1, req.images.length);
  }
  if (decoded.length === 0)
    throw new InputError(
      `none of the ${req.images.length} images could be decoded${skipped[0] ? ` (first: ${skipped[0].path}: ${skipped[0].reason})` : ''}`,
    );
  const npy = new NpyWriter(join(req.outDir, 'images.npy'), 'uint8', [decoded.length, 3, height, width]);
  for (const d of decoded) npy.append(d.data);
  npy.finish();
  const meta = {
    version: 1,
    count: decoded.length,
    height,
    width,
    pixelScale: req.letterbox.pixelRange === 'unit' ? 1 / 255 : 1,
    channelOrder: req.letterbox.channelOrder,
    family: req.family,
    files: decoded.map((d) => basename(d.path)),
  };
  writeFileSync(join(req.outDir, 'meta.json'), JSON.stringify(meta, null, 1));
  if (req.labelsFor) writeFileSync(join(req.outDir, 'labels.json'), JSON.stringify({ labels: decoded.map((d) => d.labels) }));
  return { count: decoded.length, skipped, boxes };
}
