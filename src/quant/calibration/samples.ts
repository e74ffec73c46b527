import { InputError } from '../../errors.js';
import { loadImage, listImages } from '../../data/images.js';
import type { Model } from '../../onnx/ir/graph.js';
import type { HostTensor } from '../../runtime/host-tensor.js';
import { modelSignature, recognizeModel, type DetectOptions } from '../../yolo/detect.js';
import { ultralyticsLetterbox } from '../../yolo/families/ultralytics-input.js';
import { letterbox, type LetterboxOptions } from '../../yolo/preprocess.js';
import { seededRandom } from '../rounding.js';

/** Where calibration images come from and how many to use. */
export interface CalibrationSource {
  /** A folder of images (sorted by name), or explicit paths. */
  images: string | readonly string[];
  /** Use at most this many, drawn with `seed` when there are more (default 64). */
  count?: number;
  seed?: number;
  detect?: DetectOptions;
  /** An image that cannot be decoded is an InputError (`--strict`) instead of a skip. */
  strict?: boolean;
}

export interface CalibrationSet {
  inputName: string;
  /**
   * The chosen image paths, in the order they are fed. An image that does not decode stays listed (and is recorded
   * in `skipped`), and the first pass appends the next image of the seeded order in its place, so a draw is made
   * of images that decode: `paths.length - skipped.length` images are fed, `count` when the listing has enough.
   */
  paths: string[];
  /**
   * Yields one preprocessed batch-1 input per decodable image; undecodable ones are recorded once in `skipped`
   * however many passes are made. A pass that decodes none of the images throws an InputError.
   */
  feeds(): AsyncGenerator<Record<string, HostTensor>>;
  skipped: string[];
}

/**
 * The seeded order items are drawn in: a Fisher–Yates permutation of the indices (the identity when all `count`
 * are taken). A draw is its first `count` entries, sorted; a draw that meets an undecodable image takes the next.
 */
function drawOrder(n: number, count: number, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (n <= count) return idx;
  const rnd = seededRandom(seed);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

/** A seeded draw of `count` items, order preserved (so the same seed gives the same calibration set). */
export function drawSubset<T>(items: readonly T[], count: number, seed: number): T[] {
  return drawOrder(items.length, count, seed)
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
  /** Every image any draw could not decode so far ("path: reason"), once each: what a command names on the console. */
  readonly skipped: readonly string[];
  /** Images that decoded but made the decoder warn of corrupt data ("path: warning"), once each; they are used. */
  readonly damaged: readonly string[];
  /** One line for the user when the preprocessing is not the model family's own (an unrecognised output layout). */
  readonly note?: string;
}

/** The preprocessing in words: "320x320 letterbox (centred, padded with 114), RGB, /255". */
export function describeLetterbox(o: LetterboxOptions): string {
  const range = o.pixelRange === 'unit' ? '/255' : '0–255';
  return `${o.width}x${o.height} letterbox (${o.placement === 'centre' ? 'centred' : 'top-left'}, padded with ${o.padValue}), ${o.channelOrder.toUpperCase()}, ${range}`;
}

/**
 * Open the calibration stage for `model`: images preprocessed the way its YOLO family was trained (letterbox,
 * channel order, scaling, input dtype) — calibrating on differently preprocessed images would measure ranges the
 * model never sees. A model whose output fits no family (another detector's head: quantization decodes no boxes)
 * gets the default letterbox for its input shape — centred, padded with 114, RGB, /255 — and `note` says so.
 * Images are decoded lazily, one at a time, on every pass.
 */
export function openCalibration(model: Model, source: CalibrationSource): Calibration {
  const all = typeof source.images === 'string' ? listImages(source.images) : [...source.images];
  if (all.length === 0)
    throw new InputError(`calibration: no images found${typeof source.images === 'string' ? ` in ${source.images}` : ''}`);
  const detected = recognizeModel(modelSignature(model), source.detect);
  const options = detected.family ? detected.adapter.letterboxOptions(detected.input) : ultralyticsLetterbox(detected.input);
  const note = detected.family
    ? undefined
    : `calibration: the model's output fits no YOLO family yoloq knows, so images are preprocessed with the default ${describeLetterbox(options)} (pass --family if it is one)`;
  const anySkipped: string[] = [];
  const anyFailed = new Set<string>();
  const damaged = new Map<string, string>();
  const draw = ({ count, seed }: { count?: number; seed?: number }): CalibrationSet => {
    const n = count ?? source.count ?? 64;
    const order = drawOrder(all.length, n, seed ?? source.seed ?? 0);
    const paths = order
      .slice(0, n)
      .sort((a, b) => a - b)
      .map((i) => all[i]!);
    // Replacements for images that do not decode come from the rest of the seeded order, in that order.
    let nextReplacement = Math.min(n, order.length);
    const skipped: string[] = [];
    const failed = new Set<string>();
    const record = (p: string, reason: string) => {
      skipped.push(`${p}: ${reason}`);
      if (!anyFailed.has(p)) {
        anyFailed.add(p);
        anySkipped.push(`${p}: ${reason}`);
      }
    };
    return {
      inputName: detected.inputName,
      paths,
      skipped,
      async *feeds() {
        let decoded = 0;
        // `paths` grows during the first pass when an image needs a replacement; the loop sees the appended ones.
        for (const p of paths) {
          if (failed.has(p)) continue;
          const loaded = await loadImage(p);
          if (!loaded.ok) {
            if (source.strict) throw new InputError(`calibration: cannot read ${p}: ${loaded.reason} (--strict)`);
            // Plans make several passes (ranges, range search, correction); an image is one skip, not one per pass.
            failed.add(p);
            record(p, loaded.reason);
            if (nextReplacement < order.length) paths.push(all[order[nextReplacement++]!]!);
            continue;
          }
          if (loaded.warning !== undefined && !damaged.has(p)) damaged.set(p, `${p}: ${loaded.warning}`);
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
    skipped: anySkipped,
    get damaged() {
      return [...damaged.values()];
    },
    ...(note ? { note } : {}),
  };
}

/** One draw of calibration inputs for `model` (see openCalibration; benches and one-off callers). */
export function calibrationSet(model: Model, source: CalibrationSource): CalibrationSet {
  return openCalibration(model, source).set;
}
