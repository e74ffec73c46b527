import { readFileSync } from 'node:fs';
import type { RgbImage } from '../data/images.js';
import { InputError } from '../errors.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import { toFloatTensor } from '../runtime/host-tensor.js';
import { createSession, type ModelSession, type SessionOptions } from '../runtime/session.js';
import type { Detection } from './candidates.js';
import { detectFamily, modelSignature, type DetectedModel, type DetectOptions } from './detect.js';
import { DEFAULT_POSTPROCESS, type PostprocessOptions } from './families/index.js';
import { letterbox, type LetterboxGeometry, type LetterboxOptions } from './preprocess.js';

/**
 * A loaded YOLO model ready to detect: family detected (or given), preprocessing chosen from the family and the
 * model's input (size, FP16 or FP32), an ORT session, and postprocessing options. `detect` maps boxes back to the
 * original image (unclipped, as the reference mAP numbers were measured).
 */

export interface DetectorOptions extends DetectOptions, Omit<SessionOptions, 'profiling'> {
  /** Postprocessing overrides; defaults: conf 0.001, IoU 0.65, max 300, max 30000 candidates, class-aware, multi-label per family. */
  postprocess?: Partial<PostprocessOptions>;
  /** Preprocessing overrides (e.g. a different pad value); size and dtype come from the model. */
  letterbox?: Partial<Omit<LetterboxOptions, 'width' | 'height' | 'dtype'>>;
}

export interface ImageDetections {
  /** Boxes in original image pixels, corner form, highest score first. */
  detections: Detection[];
  geometry: LetterboxGeometry;
  /** Time spent in session.run, ms. */
  inferenceMs: number;
}

export class Detector {
  private constructor(
    readonly model: DetectedModel,
    readonly letterboxOptions: LetterboxOptions,
    readonly postprocess: PostprocessOptions,
    private readonly session: ModelSession,
  ) {}

  /** Load a model from a path or bytes. InputError when the file, EP or family is unusable. */
  static async create(model: string | Uint8Array, options: DetectorOptions = {}): Promise<Detector> {
    const { family, inputSize, postprocess, letterbox: lb, ...sessionOptions } = options;
    let bytes: Uint8Array;
    if (typeof model === 'string') {
      try {
        bytes = readFileSync(model);
      } catch {
        throw new InputError(`cannot read model file ${model}`);
      }
    } else {
      bytes = model;
    }
    const detectOptions: DetectOptions = {};
    if (family !== undefined) detectOptions.family = family;
    if (inputSize !== undefined) detectOptions.inputSize = inputSize;
    const detected = detectFamily(modelSignature(modelFromBytes(bytes, typeof model === 'string' ? model : 'model')), detectOptions);
    const post: PostprocessOptions = { ...DEFAULT_POSTPROCESS, multiLabel: detected.adapter.defaultMultiLabel, ...postprocess };
    const lbOptions: LetterboxOptions = { ...detected.adapter.letterboxOptions(detected.input), ...lb };
    const session = await createSession(model, sessionOptions);
    return new Detector(detected, lbOptions, post, session);
  }

  /** Detect objects in one RGB image; boxes in the image's pixel coordinates. */
  async detect(image: RgbImage): Promise<ImageDetections> {
    const { tensor, geometry } = letterbox(image, this.letterboxOptions);
    const t0 = performance.now();
    const outputs = await this.session.run({ [this.model.inputName]: tensor }, [this.model.outputName]);
    const inferenceMs = performance.now() - t0;
    const raw = outputs[this.model.outputName];
    if (!raw) throw new Error(`ORT returned no ${this.model.outputName}`);
    const inputDets = this.model.adapter.decode(toFloatTensor(raw), this.model.input, this.postprocess);
    const { padX, padY, scale } = geometry;
    const detections = inputDets.map((d) => ({
      ...d,
      x1: (d.x1 - padX) / scale,
      y1: (d.y1 - padY) / scale,
      x2: (d.x2 - padX) / scale,
      y2: (d.y2 - padY) / scale,
    }));
    return { detections, geometry, inferenceMs };
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
