import type { Model } from '../../onnx/ir/graph.js';
import { modelSignature, recognizeModel } from '../../yolo/detect.js';

/**
 * How a detector's raw output splits into fields, so output noise can be pooled per kind of field: box terms,
 * objectness and class scores. Pooling per single column (each class on its own) lets the classes absent from a
 * handful of images — whose few, tiny scores give a near-zero signal — dominate the measure: it read 4.7 dB of
 * output SQNR for a YOLOX-nano W4A16 model 2 mAP points below FP32.
 */
export interface OutputFields {
  /** The output these fields describe (other outputs are pooled per column of their last axis). */
  output: string;
  /** Axis of the output that indexes the fields (the last for [1, anchors, fields], 1 for YOLOv8's [1, fields, anchors]). */
  axis: number;
  /** Group of field f: 0 box, 1 objectness (when present), then class scores. */
  groupOf(field: number): number;
  /**
   * Fields 0–3 are cx, cy, w, h in pixels: box noise is then taken as IoU sees it — per anchor, relative to the
   * float box's size (w² + h²), weighted by the float model's confidence (objectness × best class score, with the
   * objectness at field 4 when `objectness`, classes from `firstClass`). Pooled like the other groups, pixel
   * coordinates would be compared with their distance from the image corner, and every background anchor's box
   * would count as much as a detected object's. Absent (YOLOX's grid-relative raw boxes): pooled.
   */
  pixelBoxes?: { objectness: boolean; firstClass: number };
}

/**
 * How a model's output noise is pooled: per field group of a YOLO output (OutputFields), or 'per-tensor' — every
 * output tensor as one group, Σ(ref − q)² / Σ ref² averaged over the outputs — for an output layout no family
 * describes (another detector's head: quantization needs no box decoding, so it measures the raw outputs as they are).
 */
export type OutputMeasure = OutputFields | 'per-tensor';

const boxObjClasses = (output: string, axis: number): OutputFields => ({ output, axis, groupOf: (f) => (f < 4 ? 0 : f === 4 ? 1 : 2) });
const boxClasses = (output: string, axis: number): OutputFields => ({ output, axis, groupOf: (f) => (f < 4 ? 0 : 1) });

/**
 * Fields of `measured`'s output. `cutBeforeTopK`: the graph was cut before an end-to-end model's top-k selection,
 * so its output is ultralytics' per-anchor [1, anchors, 4 + classes]. Otherwise the family is detected from the
 * output shape and metadata; 'per-tensor' when the output fits no family (see OutputMeasure); undefined when the
 * model is not a detector yoloq can read at all (no image input, say) or its rows have no per-field meaning: every
 * column is then its own group.
 */
export function outputFields(measured: Model, cutBeforeTopK: boolean): OutputMeasure | undefined {
  const outputs = measured.graph?.outputs ?? [];
  if (cutBeforeTopK) return outputs.length === 1 ? boxClasses(outputs[0]!.name, 2) : undefined;
  let found: ReturnType<typeof recognizeModel>;
  try {
    found = recognizeModel(modelSignature(measured));
  } catch {
    return undefined;
  }
  if (found.family === undefined) return 'per-tensor';
  const out = found.outputName;
  switch (found.family) {
    case 'yolox':
      return boxObjClasses(out, 2);
    case 'yolov5':
      return { ...boxObjClasses(out, 2), pixelBoxes: { objectness: true, firstClass: 5 } };
    case 'yolov8':
      return { ...boxClasses(out, 1), pixelBoxes: { objectness: false, firstClass: 4 } };
    default:
      return undefined; // yolov10's [1, 300, 6] rows are already selected detections: no per-field meaning to pool
  }
}

/** The measure in one line, for the user: said when it is the family-agnostic one (undefined otherwise). */
export function outputMeasureNote(measure: OutputMeasure | undefined, outputs: number): string | undefined {
  if (measure !== 'per-tensor') return undefined;
  return `sensitivity: the model's output fits no YOLO family yoloq knows, so a layer's noise is the relative noise Σ(ref − q)²/Σ ref² of every output tensor, averaged over the ${outputs} output${outputs === 1 ? '' : 's'}`;
}
