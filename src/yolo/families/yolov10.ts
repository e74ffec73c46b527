import type { Dim } from '../../onnx/ir/graph.js';
import type { FloatTensor } from '../../runtime/host-tensor.js';
import { scoreOrder } from '../nms.js';
import type { Detection } from '../candidates.js';
import { fail, rank3, requireLayout } from './grid.js';
import type { FamilyAdapter, LayoutMatch, ModelInputSpec, PostprocessOptions } from './types.js';
import { ultralyticsLetterbox } from './ultralytics-input.js';

/**
 * YOLOv10 (NMS-free, one-to-one head) and other ultralytics end-to-end exports with the same output.
 * Input: [1, 3, H, W] RGB /255, centred letterbox padded with 114.
 * Output: [1, K, 6] (K = 300 top detections): x1, y1, x2, y2 in input pixels, score, class index (as a float).
 * No NMS: keep rows with score > conf, highest first, at most maxDetections.
 */

function layout(dims: readonly Dim[]): LayoutMatch {
  const r = rank3(dims);
  if ('reason' in r) return fail(r.reason);
  if (r.b !== 6) return fail(`${String(r.b)} values per row, expected 6 (x1, y1, x2, y2, score, class)`);
  return { ok: true, anchors: typeof r.a === 'number' ? r.a : 300, numClasses: 80 };
}

function decode(output: FloatTensor, _input: ModelInputSpec, o: PostprocessOptions): Detection[] {
  requireLayout(layout(output.dims), 'yolov10', output.dims);
  const k = output.dims[1]!;
  const d = output.data;
  const scores = new Float32Array(k);
  for (let i = 0; i < k; i++) scores[i] = d[i * 6 + 4]!;
  const out: Detection[] = [];
  for (const i of scoreOrder(scores, k)) {
    if (out.length >= o.maxDetections || !(scores[i]! > o.confThreshold)) break;
    const b = i * 6;
    out.push({ x1: d[b]!, y1: d[b + 1]!, x2: d[b + 2]!, y2: d[b + 3]!, score: scores[i]!, classIndex: Math.round(d[b + 5]!) });
  }
  return out;
}

export const yolov10: FamilyAdapter = Object.freeze<FamilyAdapter>({
  name: 'yolov10',
  summary: 'YOLOv10 end-to-end: [1, K, 6] x1, y1, x2, y2, score, class; no NMS',
  defaultMultiLabel: false,
  // The class column is an index, not a score: left out.
  outputLayout: { anchorAxis: 1, box: { offset: 0, encoding: 'xyxy' }, objectness: null, scores: [4, 5] },
  letterboxOptions: ultralyticsLetterbox,
  layout: (dims: readonly Dim[]) => layout(dims),
  decode,
});
