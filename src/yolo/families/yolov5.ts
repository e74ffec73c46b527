import type { Dim } from '../../onnx/ir/graph.js';
import type { FloatTensor } from '../../runtime/host-tensor.js';
import { CandidateBuffer, pushAnchor, type Detection } from '../candidates.js';
import { selectDetections } from '../nms.js';
import { P3_P5, P3_P6, fail, gridCells, rank3, requireLayout } from './grid.js';
import type { FamilyAdapter, LayoutMatch, ModelInputSpec, PostprocessOptions } from './types.js';
import { ultralyticsLetterbox } from './ultralytics-input.js';

/**
 * Ultralytics YOLOv5 (anchor-based, Detect layer decoded in the graph).
 * Input: [1, 3, H, W] RGB /255, centred letterbox padded with 114; FP16 when the exported model's input is FP16.
 * Output: [1, N, 5 + C] with N = 3 anchors × Σ ceil(H/s)·ceil(W/s) (strides 8/16/32, or 8–64 for P6 models);
 * per row cx, cy, w, h in input pixels, objectness, C class probabilities. Score = obj × cls.
 * Multi-label by default, as YOLOv5's val.py runs NMS.
 */

function layout(dims: readonly Dim[], input: { width: number; height: number }): LayoutMatch {
  const r = rank3(dims);
  if ('reason' in r) return fail(r.reason);
  if (typeof r.b === 'number' && r.b < 6) return fail(`${r.b} values per row, expected 5 + classes`);
  const options = [P3_P5, P3_P6].map((s) => 3 * gridCells(input.width, input.height, s));
  if (typeof r.a === 'number' && !options.includes(r.a)) {
    return fail(`${r.a} rows, but a ${input.width}x${input.height} input gives ${options.join(' or ')} (3 anchors per cell)`);
  }
  return { ok: true, anchors: typeof r.a === 'number' ? r.a : options[0]!, numClasses: typeof r.b === 'number' ? r.b - 5 : 80 };
}

function decode(output: FloatTensor, input: ModelInputSpec, o: PostprocessOptions): Detection[] {
  const { numClasses } = requireLayout(layout(output.dims, input), 'yolov5', output.dims);
  const rows = output.dims[1]!;
  const stride = numClasses + 5;
  const data = output.data;
  const buf = new CandidateBuffer();
  for (let i = 0; i < rows; i++) {
    const base = i * stride;
    const obj = data[base + 4]!;
    if (!(obj > o.confThreshold)) continue; // ultralytics' first filter; cls ≤ 1 so nothing else could pass
    pushAnchor(
      buf,
      data[base]!,
      data[base + 1]!,
      data[base + 2]!,
      data[base + 3]!,
      obj,
      { data, base: base + 5, stride: 1, numClasses },
      o.confThreshold,
      o.multiLabel,
    );
  }
  return selectDetections(buf, o);
}

export const yolov5: FamilyAdapter = Object.freeze<FamilyAdapter>({
  name: 'yolov5',
  summary: 'YOLOv5 decoded Detect: [1, N, 5+C] cx, cy, w, h, objectness, class probabilities',
  defaultMultiLabel: true,
  outputLayout: { anchorAxis: 1, box: { offset: 0, encoding: 'cxcywh' }, objectness: 4, scores: [5, null] },
  letterboxOptions: ultralyticsLetterbox,
  layout,
  decode,
});
