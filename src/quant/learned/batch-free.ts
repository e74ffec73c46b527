import { DataType } from '../../onnx/ir/dtypes.js';
import { mainGraph, type Model, type Node } from '../../onnx/ir/graph.js';
import { indexGraph } from '../../onnx/ir/graph-index.js';
import { makeTensor, toIntegers, type Tensor } from '../../onnx/ir/tensor.js';

/**
 * The learning job runs its graph on batches of images, but exporters write constant Reshape targets for batch 1
 * (YOLOv10's attention: [1, 1, 128, 64]; YOLOX's head: [1, 85, -1]). With a batch of B the first fails and the
 * second mixes the images of the batch. A leading 1 in such a target becomes 0 — ONNX Reshape's "copy this dim from
 * the input" (allowzero 0) — which is the same graph at batch 1 and carries the batch through at any other, since a
 * leading 1 in a batch-1 graph is the batch. A constant read by anything but such Reshapes is left alone.
 *
 * Only the job's float.onnx is rewritten (job.ts); plans, exports and the user's model never see it.
 */
export function batchFreeReshapes(model: Model): { model: Model; rewritten: number } {
  const g = mainGraph(model);
  const index = indexGraph(g);
  const reshapeReads = (name: string) =>
    (index.consumers.get(name) ?? []).every((i) => {
      const n = g.nodes[i]!;
      const allowZero = n.attributes.find((a) => a.name === 'allowzero');
      return (
        n.opType === 'Reshape' &&
        n.inputs[1] === name &&
        n.inputs[0] !== name &&
        !(allowZero?.value.kind === 'int' && allowZero.value.value === 1n)
      );
    }) &&
    !index.graphOutputs.has(name) &&
    (index.consumers.get(name)?.length ?? 0) > 0;
  // A leading 1 of an INT64 shape → 0; undefined when the tensor is no such shape.
  const rewrite = (t: Tensor, name: string): Tensor | undefined => {
    if (t.dtype !== DataType.INT64 || t.dims.length !== 1 || (t.dims[0] ?? 0) < 2) return undefined;
    const v = Array.from(toIntegers(t), Number);
    if (v[0] !== 1) return undefined;
    return makeTensor(name, DataType.INT64, [...t.dims], [0, ...v.slice(1)]);
  };
  let rewritten = 0;
  const initializers = g.initializers.map((t) => {
    const r = reshapeReads(t.name) ? rewrite(t, t.name) : undefined;
    if (r) rewritten++;
    return r ?? t;
  });
  const nodes = g.nodes.map((n): Node => {
    const attr = n.opType === 'Constant' ? n.attributes.find((a) => a.name === 'value') : undefined;
    if (attr?.value.kind !== 'tensor' || !reshapeReads(n.outputs[0]!)) return n;
    const r = rewrite(attr.value.value, attr.value.value.name);
    if (!r) return n;
    rewritten++;
    return { ...n, attributes: n.attributes.map((a) => (a === attr ? { ...a, value: { kind: 'tensor' as const, value: r } } : a)) };
  });
  return rewritten === 0 ? { model, rewritten } : { model: { ...model, graph: { ...g, nodes, initializers } }, rewritten };
}
