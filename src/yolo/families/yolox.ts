import type { Dim } from '../../onnx/ir/graph.js';
import type { FloatTensor } from '../../runtime/host-tensor.js';
import { CandidateBuffer, pushAnchor, type Detection } from '../candidates.js';
import { selectDetections } from '../nms.js';
import type { LetterboxOptions } from '../preprocess.js';
import { P3_P5, fail, gridCells, levelSize, rank3, requireLayout } from './grid.js';
import type { FamilyAdapter, LayoutMatch, ModelInputSpec, PostprocessOptions } from './types.js';

/**
 * Megvii YOLOX exported with raw head outputs (`decode_in_inference=False`).
 * Input: [1, 3, H, W], BGR, 0–255 (no /255, no mean/std), resized with truncation (`int(w·r)`, as YOLOX's
 * `preproc` does; `sizeRounding: 'round'` is the ultralytics way, which the shared reference numbers used) and placed
 * at the top-left of a canvas padded with 114.
 * Output: [1, N, 5 + C], N = Σ over strides 8/16/32 of ceil(H/s)·ceil(W/s), anchor points level by level, row by row.
 * Per anchor: x, y offsets and log w, h in grid units, then sigmoided objectness and C sigmoided class scores.
 * Decode: (cx, cy) = (p + grid) · stride, (w, h) = exp(p) · stride; score = obj × cls.
 * Multi-label by default, like the other families and the shared reference numbers (val100 mAP 0.2786 was measured
 * multi-label; YOLOX's own evaluator keeps only the best class per anchor, `multiLabel: false`, which scores about
 * 0.005 lower there).
 */

function layout(dims: readonly Dim[], input: { width: number; height: number }): LayoutMatch {
  const r = rank3(dims);
  if ('reason' in r) return fail(r.reason);
  const want = gridCells(input.width, input.height, P3_P5);
  if (typeof r.a === 'number' && r.a !== want) {
    return fail(`${r.a} anchors, but a ${input.width}x${input.height} input gives ${want} grid cells at strides 8/16/32`);
  }
  if (typeof r.b === 'number' && r.b < 6) return fail(`${r.b} values per anchor, expected 5 + classes`);
  return { ok: true, anchors: want, numClasses: typeof r.b === 'number' ? r.b - 5 : 80 };
}

function decode(output: FloatTensor, input: ModelInputSpec, o: PostprocessOptions): Detection[] {
  const { numClasses } = requireLayout(layout(output.dims, input), 'yolox', output.dims);
  const stride = numClasses + 5;
  const data = output.data;
  const buf = new CandidateBuffer();
  let i = 0;
  for (const s of P3_P5) {
    const gh = levelSize(input.height, s);
    const gw = levelSize(input.width, s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, i++) {
        const base = i * stride;
        const obj = data[base + 4]!;
        if (!(obj > o.confThreshold)) continue; // class scores are ≤ 1, so obj × cls cannot pass either
        const cx = (data[base]! + gx) * s;
        const cy = (data[base + 1]! + gy) * s;
        const w = Math.exp(data[base + 2]!) * s;
        const h = Math.exp(data[base + 3]!) * s;
        pushAnchor(buf, cx, cy, w, h, obj, { data, base: base + 5, stride: 1, numClasses }, o.confThreshold, o.multiLabel);
      }
    }
  }
  return selectDetections(buf, o);
}

export const yolox: FamilyAdapter = Object.freeze<FamilyAdapter>({
  name: 'yolox',
  summary: 'YOLOX raw head: [1, N, 5+C] grid offsets, log sizes, objectness, class scores; strides 8/16/32',
  defaultMultiLabel: true,
  outputLayout: { anchorAxis: 1, box: { offset: 0, encoding: 'yolox-grid' }, objectness: 4, scores: [5, null] },
  letterboxOptions: (input: ModelInputSpec): LetterboxOptions => ({
    width: input.width,
    height: input.height,
    placement: 'top-left',
    padValue: 114,
    channelOrder: 'bgr',
    pixelRange: 'byte',
    dtype: input.dtype,
    sizeRounding: 'floor',
  }),
  layout,
  decode,
});
