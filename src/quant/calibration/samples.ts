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
  return idx
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/**
 * The calibration stage of one command: the image listing and the model's family (which supplies the
 * preprocessing) are resolved once; every pass of every algorithm draws its feeds from here.
 */
export interface Calibration {
  readonly source: CalibrationSource;
  readonly inputName: string;
  /** The command's draw: `source.count` images (default 64) with `source.seed` (default 0). */
  readonly set: CalibrationSet;
  /**
   * Another draw from the same listing (e.g. 8 images for sensitivity, a different seed for SQNR); the same
   * count and seed give the same images as `set` would. Each draw records its own skipped images.
   */
  draw(options: { count?: number; seed?: number }): CalibrationSet;
  /** How the source is named in plans and summaries: the folder, or "N files". */
  readonly label: string;
}

/**
 * Open the calibration stage for `model`: images preprocessed the way its YOLO family was trained (letterbox,
 * channel order, scaling, input dtype) — calibrating on differently preprocessed images would measure ranges the
 * model never sees. Images are decoded lazily, one at a time, on every pass.
 */
export function openCalibration(model: Model, source: CalibrationSource): Calibration {
  const all = typeof source.images === 'string' ? listImages(source.images) : [...source.images];
  if (all.length === 0)
    throw new InputError(`calibration: no images found${typeof source.images === 'string' ? ` in ${source.images}` : ''}`);
  const detected = detectFamily(modelSignature(model), source.detect);
  const options = detected.adapter.letterboxOptions(detected.input);
  const draw = ({ count, seed }: { count?: number; seed?: number }): CalibrationSet => {
    const paths = drawSubset(all, count ?? source.count ?? 64, seed ?? source.seed ?? 0);
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
  };
  const set = draw({});
  return {
    source,
    inputName: detected.inputName,
    set,
    draw,
    label: typeof source.images === 'string' ? source.images : `${set.paths.length} files`,
  };
}

/** One draw of calibration inputs for `model` (see openCalibration; benches and one-off callers). */
export function calibrationSet(model: Model, source: CalibrationSource): CalibrationSet {
  return openCalibration(model, source).set;
}
