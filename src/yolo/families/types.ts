import type { Dim } from '../../onnx/ir/graph.js';
import type { FloatTensor } from '../../runtime/host-tensor.js';
import type { Detection } from '../candidates.js';
import type { InputDType, LetterboxOptions } from '../preprocess.js';

/** The output formats yoloq understands. YOLO11 shares YOLOv8's head and output, so it is 'yolov8'. */
export type FamilyName = 'yolox' | 'yolov5' | 'yolov8' | 'yolov10';

/** The model input the adapter preprocesses for: NCHW [1, 3, height, width] of `dtype`. */
export interface ModelInputSpec {
  width: number;
  height: number;
  dtype: InputDType;
}

export interface PostprocessOptions {
  /** Keep candidates whose score is > this. Default 0.001 (COCO evaluation). */
  confThreshold: number;
  /** NMS IoU threshold (suppress when IoU > this). Default 0.65. */
  iouThreshold: number;
  /** At most this many detections per image. Default 300. */
  maxDetections: number;
  /** Consider at most this many top-scoring candidates in NMS (ultralytics' max_nms). Default 30000. */
  maxCandidates: number;
  /** One candidate per (anchor, class) passing the threshold (ultralytics val) or only the best class per anchor (YOLOX). */
  multiLabel: boolean;
  /** Class-aware NMS; default true. */
  classAware: boolean;
}

export const DEFAULT_POSTPROCESS: Readonly<Omit<PostprocessOptions, 'multiLabel'>> = Object.freeze({
  confThreshold: 0.001,
  iouThreshold: 0.65,
  maxDetections: 300,
  maxCandidates: 30000,
  classAware: true,
});

/** What an output shape says about a family: anchors and classes, or why it is not this family's output. */
export type LayoutMatch = { ok: true; anchors: number; numClasses: number } | { ok: false; reason: string };

/**
 * Where a family's raw output keeps boxes and scores, so an error can be weighed by what it does to detections
 * (learned rounding's output-weighted loss, python/yoloq_brevitas/learned/output_metric.py).
 */
export interface OutputLayout {
  /** 1: [1, anchors, values]; 2: [1, values, anchors]. */
  anchorAxis: 1 | 2;
  /** Four box values from `offset`: cx, cy, w, h in pixels; x1, y1, x2, y2 in pixels; or YOLOX's grid offsets and log sizes. */
  box: { offset: number; encoding: 'cxcywh' | 'xyxy' | 'yolox-grid' };
  /** The objectness value, or null when the class scores are the whole score. */
  objectness: number | null;
  /** Class (or final) scores: values [from, to), to null for "to the end". */
  scores: [number, number | null];
}

export interface FamilyAdapter {
  readonly name: FamilyName;
  /** One line describing the output format. */
  readonly summary: string;
  /** Whether decode adds every class above threshold per anchor by default (the family's reference evaluator). */
  readonly defaultMultiLabel: boolean;
  /** Where the raw output keeps boxes and scores. */
  readonly outputLayout: OutputLayout;
  /** Preprocessing the family was trained with, for a model input of this size and dtype. */
  letterboxOptions(input: ModelInputSpec): LetterboxOptions;
  /** Check the (single) output's dims against this family for an input of `width`×`height`. Symbolic dims pass. */
  layout(dims: readonly Dim[], input: { width: number; height: number }): LayoutMatch;
  /**
   * Decode the raw output (batch 1) into detections in model-input pixels, corner form, after NMS where the
   * family needs it, highest score first. Throws RangeError when the dims do not fit the family.
   */
  decode(output: FloatTensor, input: ModelInputSpec, options: PostprocessOptions): Detection[];
}
