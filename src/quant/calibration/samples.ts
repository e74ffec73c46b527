import { InputError } from '../../errors.js';
import { loadImage, listImages } from '../../data/images.js';
import type { Model } from '../../onnx/ir/graph.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import { detectFamily, modelSignature, type DetectOptions } from '../../yolo/detect.js';
import { letterbox } from '../../yolo/preprocess.js';
import { seededRandom } from '../rounding.js';

/** Where calibration images come from and how many to use. */
export interface CalibrationSource {
  /** A folder of images (sorted by name), or explicit paths. */
  images: string | readonly string[];
  /** Use at most this many, drawn with `seed` when there are more (default 64). */
  count?: number;
  seed?: number;
  detect?: DetectOptions;
}

export interface CalibrationSet {
  inputName: string;
  /** The chosen image paths, in the order they are fed. */
  paths: string[];
  /**
   * Yields one preprocessed batch-1 input per decodable image; undecodable ones are recorded once in `skipped`
   * however many passes are made. A pass that decodes none of the images throws an InputError.
   */
  feeds(): AsyncGenerator<Record<string, HostTensor>>;
  skipped: string[];
}

/** A seeded draw of `count` items, order preserved (so the same seed gives the same calibration set). */
export function drawSubset<T>(items: readonly T[], count: number, seed: number): T[] {
  if (items.length <= count) return [...items];
  const rnd = seededRandom(seed);
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, count).sort((a, b) => a - b).map((i) => items[i]!);
}

/**
 * Calibration inputs for `model`, preprocessed the way its YOLO family was trained (letterbox, channel order,
 * scaling, input dtype) — calibrating on differently preprocessed images would measure ranges the model never sees.
 */
export function calibrationSet(model: Model, source: CalibrationSource): CalibrationSet {
  const all = typeof source.images === 'string' ? listImages(source.images) : [...source.images];
  if (all.length === 0) throw new InputError(`calibration: no images found${typeof source.images === 'string' ? ` in ${source.images}` : ''}`);
  const paths = drawSubset(all, source.count ?? 64, source.seed ?? 0);
  const detected = detectFamily(modelSignature(model), source.detect);
  const options = detected.adapter.letterboxOptions(detected.input);
  const skipped: string[] = [];
  const failed = new Set<string>();
  return {
    inputName: detected.inputName,
    paths,
    skipped,
    async *feeds() {
      let decoded = 0;
      for (const p of paths) {
        const loaded = await loadImage(p);
        if (!loaded.ok) {
          // Plans make several passes (ranges, range search, correction); an image is one skip, not one per pass.
          if (!failed.has(p)) {
            failed.add(p);
            skipped.push(`${p}: ${loaded.reason}`);
          }
          continue;
        }
        decoded++;
        yield { [detected.inputName]: letterbox(loaded.image, options).tensor };
      }
      if (decoded === 0) throw new InputError(`calibration: none of the ${paths.length} images could be decoded (first: ${skipped[0]})`);
    },
  };
}
