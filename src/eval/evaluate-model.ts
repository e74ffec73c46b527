import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { InputError, isInputError, oneLine } from '../errors.js';
import { sha256 } from '../util/sha256.js';
import { readCocoGroundTruth } from '../data/coco-json.js';
import { listImages } from '../data/images.js';
import { readYoloLabelDir, type YoloClass } from '../data/yolo-labels.js';
import { prepareModel } from '../runtime/prepare-model.js';
import type { EpName } from '../runtime/ep-table.js';
import type { PostprocessOptions } from '../yolo/families/index.js';
import type { FamilyName } from '../yolo/families/types.js';
import { COCO80_NAMES, COCO80_TO_91 } from '../yolo/coco-classes.js';
import type { PredictModelInfo, PredictProgress, PredictTask } from '../yolo/predict.js';
import { evaluateCoco, type CocoEvalResult } from './coco/index.js';
import type { CocoGroundTruth, CocoImage } from './coco/types.js';
import { DetectionStream, readStreamDetections, readStreamState, type StreamKey, type StreamState } from './detection-stream.js';
import { predictInParallel } from './predict-pool.js';
import { writeCocoResultsFile } from './results-file.js';

/**
 * `yoloq eval` as a library call: run a detector over an evaluation set, score it with the pycocotools-faithful
 * evaluator, and return the stats (the detections go to `detectionsPath`, a COCO results JSON). With `maxImages`,
 * the ground truth is cut to the same images, so unevaluated images never count as misses.
 *
 * Built for COCO-size sets: each image's detections are appended to a JSON-lines stream as it finishes
 * (detection-stream.ts) and nothing else per image is kept, so memory grows with the detections, not the images;
 * the evaluator reads its input back from the stream, in image order, as typed-array columns. An interrupted
 * evaluation continues from its stream (`resume`); `workers` runs several ORT sessions at once. The results file
 * and the stats are the same bytes and numbers whether the stream was resumed and whatever `workers` is.
 */

export interface EvalSetSpec {
  /** A COCO instances JSON, images in `images` (default: the JSON's folder)… */
  coco?: string;
  /** …or a YOLO-txt label folder for the images in `images` (class i → COCO category by the 80-class table). */
  labels?: string;
  images: string;
  maxImages?: number;
}

export interface EvaluateModelOptions {
  ep?: EpName;
  /** Intra-op threads per ORT session (0 or unset: ORT's choice with one worker, the cores shared out with several). */
  threads?: number;
  /** ORT sessions predicting at once, each in its own worker thread (default 1: in this thread). */
  workers?: number;
  family?: FamilyName;
  postprocess?: Partial<PostprocessOptions>;
  /** Load the file as is, without preparing INT4 weights (see runtime/prepare-model.ts). */
  raw?: boolean;
  /** An image that cannot be read is an InputError (`--strict`) instead of a skip. */
  strict?: boolean;
  /** The detection stream (detection-stream.ts); default a temporary file. Kept when the evaluation fails. */
  stream?: string;
  /**
   * Continue `stream` rather than start it over: 'require' refuses (InputError) a stream made for other inputs,
   * 'if-match' starts such a stream over. A missing stream starts over either way.
   */
  resume?: 'require' | 'if-match';
  /** Write every detection here as a COCO results JSON (atomically, image order) before scoring. */
  detectionsPath?: string;
  /** Keep `stream` after a successful evaluation (default: removed once the results are written). */
  keepStream?: boolean;
  /** Done of total images still to predict in this call; `resumed`: images a resumed stream already held. */
  onProgress?: (p: PredictProgress & { resumed: number }) => void;
  /** A line for the user (resuming, starting over). */
  onNote?: (text: string) => void;
}

export interface ModelEvaluation {
  result: CocoEvalResult;
  /** Detections scored (and written to `detectionsPath`). */
  detectionCount: number;
  images: number;
  /** Images taken from a resumed stream rather than predicted in this call. */
  resumed: number;
  skipped: Array<{ path: string; reason: string }>;
  /** Images used although the decoder warned of corrupt data (absent: none). */
  damaged?: Array<{ path: string; warning: string }>;
  /** Images predicted in this call per second of predicting (0 when every image came from the stream). */
  imagesPerSecond: number;
  family: FamilyName;
  loadNote: string;
}

/** The ground truth and image paths of an eval set; `unreadable`: images whose size could not be read (YOLO labels). */
async function groundTruthFor(
  set: EvalSetSpec,
  strict: boolean,
): Promise<{ gt: CocoGroundTruth; paths: string[]; unreadable: Array<{ path: string; reason: string }> }> {
  if (set.coco) {
    const gt = await readCocoGroundTruth(set.coco);
    const images = set.maxImages ? gt.images.slice(0, set.maxImages) : gt.images;
    const keep = new Set(images.map((im) => im.id));
    return {
      gt: { ...gt, images, annotations: gt.annotations.filter((a) => keep.has(a.imageId)) },
      paths: images.map((im) => join(set.images, im.fileName)),
      unreadable: [],
    };
  }
  if (!set.labels) throw new InputError('give the ground truth: --coco instances.json or --labels <YOLO label folder>');
  const files = listImages(set.images).slice(0, set.maxImages ?? Infinity);
  if (files.length === 0) throw new InputError(`no images in ${set.images}`);
  // YOLO labels are normalized: pixel sizes come from the images themselves (sharp reads only the header).
  const { default: sharp } = await import('sharp');
  const images: CocoImage[] = [];
  const unreadable: Array<{ path: string; reason: string }> = [];
  for (const [i, p] of files.entries()) {
    const meta = await sharp(p)
      .metadata()
      .catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }));
    if ('width' in meta && meta.width && meta.height)
      images.push({ id: i + 1, fileName: basename(p), width: meta.width, height: meta.height });
    else {
      const reason = 'error' in meta ? meta.error : 'no image size in the header';
      if (strict) throw new InputError(`cannot read ${p}: ${reason} (--strict)`);
      unreadable.push({ path: p, reason });
    }
  }
  const classes: YoloClass[] = COCO80_NAMES.map((name, i) => ({ name, categoryId: COCO80_TO_91[i]! }));
  return {
    gt: await readYoloLabelDir(set.labels, images, classes),
    paths: images.map((im) => join(set.images, im.fileName)),
    unreadable,
  };
}

let temporaryStreams = 0;

export async function evaluateModel(modelPath: string, set: EvalSetSpec, options: EvaluateModelOptions = {}): Promise<ModelEvaluation> {
  const { gt, paths, unreadable } = await groundTruthFor(set, options.strict ?? false);
  const prepared = prepareModel(modelPath, { raw: options.raw ?? false });
  const key = streamKey(modelPath, gt, paths, options);
  const temporary = options.stream === undefined;
  const streamPath = options.stream ?? join(tmpdir(), `yoloq-eval-${process.pid}-${++temporaryStreams}.jsonl`);
  const { stream, state: resumedState } = openStream(streamPath, key, paths.length, options);
  const resumed = resumedState?.doneCount ?? 0;
  const state = resumedState ?? { done: new Uint8Array(paths.length), doneCount: 0, skipped: [], damaged: [] };
  let ok = false;
  try {
    const run = await predictMissing(prepared.source, paths, stream, state, options);
    stream.close();
    const evaluated = state.doneCount - state.skipped.length;
    // An mAP over zero images would read as a (meaningless) number; say why instead.
    if (evaluated === 0) {
      const s0 = state.skipped[0];
      const first = s0 ? { path: paths[s0.index]!, reason: s0.reason } : unreadable[0];
      throw new InputError(
        `none of the ${paths.length} evaluation images could be read${first ? ` (first: ${first.path}: ${first.reason})` : ''}`,
      );
    }
    const skipped = [...state.skipped].sort((a, b) => a.index - b.index);
    const damaged = [...state.damaged].sort((a, b) => a.index - b.index);
    const result = scoreStream(streamPath, gt, new Set(skipped.map((x) => x.index)), options.detectionsPath);
    ok = true;
    return {
      result: result.result,
      detectionCount: result.detectionCount,
      images: evaluated,
      resumed,
      skipped: [...unreadable, ...skipped.map((x) => ({ path: paths[x.index]!, reason: x.reason }))],
      ...(damaged.length > 0 ? { damaged: damaged.map((d) => ({ path: paths[d.index]!, warning: d.warning })) } : {}),
      imagesPerSecond: run.predicted > 0 ? run.predicted / run.seconds : 0,
      family: run.info.family,
      loadNote: prepared.note,
    };
  } finally {
    stream.close();
    // A failed evaluation keeps its stream for --resume, unless it holds no detected image to resume from.
    const worthKeeping = ok ? options.keepStream : state.doneCount > state.skipped.length;
    if (temporary || !worthKeeping) rmSync(streamPath, { force: true });
  }
}

/** Predict the images `state` does not have yet, appending each to `stream` and recording it in `state`. */
async function predictMissing(
  source: string | Uint8Array,
  paths: readonly string[],
  stream: DetectionStream,
  state: StreamState,
  options: EvaluateModelOptions,
): Promise<{ info: PredictModelInfo; predicted: number; seconds: number }> {
  const todo: number[] = [];
  for (let i = 0; i < paths.length; i++) if (state.done[i] !== 1) todo.push(i);
  const resumed = state.doneCount;
  let cursor = 0;
  let predicted = 0;
  let skipped = 0;
  const next = (): PredictTask | undefined => {
    if (cursor >= todo.length) return undefined;
    const index = todo[cursor++]!;
    return { index, path: paths[index]! };
  };
  const t0 = performance.now();
  const info = await predictInParallel(source, next, {
    ...(options.ep ? { ep: options.ep } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.family ? { family: options.family } : {}),
    ...(options.postprocess ? { postprocess: options.postprocess } : {}),
    ...(options.strict ? { strict: true } : {}),
    workers: options.workers ?? 1,
    orientation: 'stored',
    onImage: (o) => {
      stream.append(o);
      state.done[o.index] = 1;
      state.doneCount++;
      predicted++;
      if (!o.ok) {
        skipped++;
        state.skipped.push({ index: o.index, reason: o.reason });
      } else if (o.warning !== undefined) state.damaged.push({ index: o.index, warning: o.warning });
      options.onProgress?.({ done: predicted, total: todo.length, skipped, path: o.path, resumed });
    },
  });
  return { info, predicted, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Score what the (closed) stream holds: its detections in image order, as columns, written to `detectionsPath`
 * when given; skipped images leave the ground truth rather than count as images with only misses.
 */
function scoreStream(
  streamPath: string,
  gt: CocoGroundTruth,
  skipped: ReadonlySet<number>,
  detectionsPath: string | undefined,
): { result: CocoEvalResult; detectionCount: number } {
  const dets = readStreamDetections(streamPath, gt.images.length, (i) => gt.images[i]!.id);
  if (detectionsPath) writeCocoResultsFile(detectionsPath, dets);
  const evaluatedIds = new Set(gt.images.filter((_, i) => !skipped.has(i)).map((im) => im.id));
  const gtEval = {
    ...gt,
    images: gt.images.filter((im) => evaluatedIds.has(im.id)),
    annotations: gt.annotations.filter((a) => evaluatedIds.has(a.imageId)),
  };
  return { result: evaluateCoco(gtEval, dets), detectionCount: dets.length };
}

/** What a resumed stream must have been made with: everything that changes a detection, not where it ran. */
function streamKey(modelPath: string, gt: CocoGroundTruth, paths: readonly string[], o: EvaluateModelOptions): StreamKey {
  const bytes = readFileSync(modelPath);
  return {
    model: { sha256: sha256(bytes), bytes: bytes.length },
    set: {
      images: paths.length,
      paths: sha256(Buffer.from(paths.map((p) => resolve(p)).join('\n'))),
      groundTruth: sha256(Buffer.from(JSON.stringify(gt))),
    },
    options: {
      family: o.family ?? null,
      ep: o.ep ?? 'cpu',
      threads: o.threads ?? 0,
      raw: o.raw ?? false,
      postprocess: o.postprocess ?? {},
    },
  };
}

function openStream(
  path: string,
  key: StreamKey,
  images: number,
  o: EvaluateModelOptions,
): { stream: DetectionStream; state: StreamState | undefined } {
  if (o.resume) {
    try {
      const found = readStreamState(path, key, images);
      if (found) {
        o.onNote?.(`resuming ${path}: ${found.state.doneCount} of ${images} images already done`);
        return { stream: DetectionStream.resume(path, found.bytes), state: found.state };
      }
      o.onNote?.(`nothing to resume in ${path}; starting the evaluation`);
    } catch (e) {
      if (o.resume === 'require' || !isInputError(e)) throw e;
      o.onNote?.(`starting ${path} over: ${oneLine(e)}`);
    }
  } else if (o.stream !== undefined && existsSync(o.stream)) {
    o.onNote?.(`starting ${path} over (--resume continues an interrupted evaluation)`);
  }
  return { stream: DetectionStream.create(path, key), state: undefined };
}
