import { mainGraph, type Model } from '../../onnx/ir/graph.js';

/**
 * Values whose calibrated range range search must not clip: the outputs of a Softmax. A Softmax output is a
 * distribution whose few large entries are the signal. In a DFL box head (YOLOv8/v10: Softmax over 16 distance
 * bins, then a Conv with weights 0…15 taking the expectation) most anchors are background with flat distributions,
 * so the consuming Conv's summed error, which range search minimizes, prefers a percentile range that clips the
 * peak of every confident, well-localized box (on YOLOv10-N, [0, 0.97] clipped to [0, 0.76]: a peak bin of 0.95 counts
 * as 0.76 and the expected distance shrinks by up to 0.19 × 15 bins). The range is bounded by [0, 1] anyway, so
 * min/max costs at most a 1/255 step; nothing heavy-tailed is there to clip.
 */
export function fullRangeValues(model: Model): Set<string> {
  const out = new Set<string>();
  for (const n of mainGraph(model).nodes) if (FULL_RANGE_PRODUCERS.has(n.opType) && n.outputs[0]) out.add(n.outputs[0]);
  return out;
}

/** Ops whose output range search keeps at its observed min/max. */
export const FULL_RANGE_PRODUCERS: ReadonlySet<string> = new Set(['Softmax']);
