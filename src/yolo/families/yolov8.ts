import type { Dim } from '../../onnx/ir/graph.js';
import type { FloatTensor } from '../../runtime/host-tensor.js';
import { CandidateBuffer, pushAnchor, type Detection } from '../candidates.js';
import { selectDetections } from '../nms.js';
import { P3_P5, P3_P6, fail, gridCells, rank3, requireLayout } from './grid.js';
import type { FamilyAdapter, LayoutMatch, ModelInputSpec, PostprocessOptions } from './types.js';
import { ultralyticsLetterbox } from './ultralytics-input.js';

/**
 * Ultralytics YOLOv8 and YOLO11 (anchor-free, no objectness), also YOLOv5u/YOLOv9 exports with the same head.
 * Input: [1, 3, H, W] RGB /255, centred letterbox padded with 114.
 * Output: [1, 4 + C, N], channel-major: row 0–3 are cx, cy, w, h in input pixels for all N anchor points, rows
 * 4.. are class scores (sigmoided). N = Σ ceil(H/s)·ceil(W/s) over strides 8/16/32 (or 8–64 for P6).
 * Multi-label by default, as ultralytics validation runs NMS.
 */

function layout(dims: readonly Dim[], input: { width: number; height: number }): LayoutMatch {
  const r = rank3(dims);
  if ('reason' in r) return fail(r.reason);
  if (typeof r.a === 'number' && r.a < 5) return fail(`${r.a} channels, expected 4 + classes`);
  const options = [P3_P5, P3_P6].map((s) => gridCells(input.width, input.height, s));
  if (typeof r.b === 'number' && !options.includes(r.b)) {
    return fail(`${r.b} anchor points, but a ${input.width}x${input.height} input gives ${options.join(' or ')}`);
  }
  return { ok: true, anchors: typeof r.b === 'number' ? r.b : options[0]!, numClasses: typeof r.a === 'number' ? r.a - 4 : 80 };
}

function decode(output: FloatTensor, input: ModelInputSpec, o: PostprocessOptions): Detection[] {
  const { numClasses } = requireLayout(layout(output.dims, input), 'yolov8', output.dims);
  const n = output.dims[2]!;
  const data = output.data;
  const buf = new CandidateBuffer();
  for (let i = 0; i < n; i++) {
    pushAnchor(
      buf,
      data[i]!,
      data[n + i]!,
      data[2 * n + i]!,
      data[3 * n + i]!,
      1,
      { data, base: 4 * n + i, stride: n, numClasses },
      o.confThreshold,
      o.multiLabel,
    );
  }
  return selectDetections(buf, o);
}

export const yolov8: FamilyAdapter = Object.freeze<FamilyAdapter>({
  name: 'yolov8',
  summary: 'YOLOv8/YOLO11: [1, 4+C, N] cx, cy, w, h then class scores, no objectness',
  defaultMultiLabel: true,
  outputLayout: { anchorAxis: 2, box: { offset: 0, encoding: 'cxcywh' }, objectness: null, scores: [4, null] },
  letterboxOptions: ultralyticsLetterbox,
  layout,
  decode,
});
