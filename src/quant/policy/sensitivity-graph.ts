import { DataType } from '../../onnx/ir/dtypes.js';
import type { Model } from '../../onnx/ir/graph.js';
import { eliminateDeadNodesPass } from '../../onnx/passes/eliminate-dead-nodes.js';

/**
 * The graph per-layer sensitivity is measured on. For end-to-end (NMS-free) exports such as YOLOv10's, the output
 * rows are the top-k anchors in score order, so a tiny change reorders them and row-by-row output noise saturates
 * for every layer. There the graph is cut before the in-graph top-k: the new output is the per-anchor tensor the
 * selection reads (ultralytics: [1, anchors, 4 + classes], decoded boxes and class scores), found by walking back
 * from the first TopK's input through the ops that only reduce or split it. Graphs without TopK are returned as is.
 */

const SELECTION_OPS = new Set(['ReduceMax', 'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten', 'GatherElements']);

export function graphBeforeTopK(model: Model): Model {
  const g = model.graph;
  const topk = g?.nodes.find((n) => n.opType === 'TopK');
  if (!g || !topk) return model;
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  let value = topk.inputs[0] ?? '';
  let p = producer.get(value);
  while (p && SELECTION_OPS.has(p.opType) && p.inputs[0]) {
    value = p.inputs[0];
    p = producer.get(value);
  }
  if (!value || !p) return model;
  const cut: Model = { ...model, graph: { ...g, outputs: [{ name: value, type: { elemType: DataType.FLOAT } }] } };
  return eliminateDeadNodesPass().run(cut).model;
}
