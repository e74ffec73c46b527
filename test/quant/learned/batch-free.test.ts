import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { mainGraph, type Model } from '../../../src/onnx/ir/graph.js';
import { makeTensor, toIntegers } from '../../../src/onnx/ir/tensor.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { batchFreeReshapes } from '../../../src/quant/learned/batch-free.js';

/**
 * A batch-1 graph in the shapes exporters write: an attention-like Reshape to a full batch-1 shape (a Constant node),
 * a head-like [1, C, -1] (an initializer), and two targets that must stay: one also read by an Add, one under
 * allowzero 1. Input x [N, 4, 2, 2] (N free).
 */
function model(): Model {
  const b = new GraphBuilder('batch_free');
  const x = b.input('x', DataType.FLOAT, ['N', 4, 2, 2]);
  const attnShape = b.node('Constant', [], 1, {
    name: 'attn_shape',
    attrs: { value: makeTensor('', DataType.INT64, [4], [1n, 2n, 2n, 4n]) },
  })[0]!;
  const attn = b.op('Reshape', [x, attnShape], { name: 'attn_reshape' });
  const headShape = b.constant('head_shape', DataType.INT64, [3], [1n, 4n, -1n]);
  const head = b.op('Reshape', [attn, headShape], { name: 'head_reshape' });
  const shared = b.constant('shared_shape', DataType.INT64, [2], [1n, 16n]);
  const flat = b.op('Reshape', [head, shared], { name: 'flat' });
  const cast = b.op('Cast', [shared], { name: 'cast', attrs: { to: DataType.FLOAT } });
  const kept = b.constant('kept_shape', DataType.INT64, [2], [1n, 16n]);
  const z = b.op('Reshape', [flat, kept], { name: 'kept_reshape', attrs: { allowzero: 1 } });
  b.node('Add', [z, b.op('ReduceSum', [cast], { name: 'sum', attrs: { keepdims: 0 } })], ['y'], { name: 'add' });
  b.output('y', DataType.FLOAT, ['N', 16]);
  return b.model(17);
}

function shapeOf(m: Model, name: string): number[] {
  const g = mainGraph(m);
  const init = g.initializers.find((t) => t.name === name);
  if (init) return Array.from(toIntegers(init), Number);
  const node = g.nodes.find((n) => n.outputs[0] === name)!;
  const v = node.attributes.find((a) => a.name === 'value')!.value;
  assert.equal(v.kind, 'tensor');
  return Array.from(toIntegers(v.value), Number);
}

test('a leading 1 of a Reshape-only shape constant becomes 0; shapes read elsewhere or under allowzero 1 stay', () => {
  const m = model();
  const { model: out, rewritten } = batchFreeReshapes(m);
  assert.equal(rewritten, 2);
  const attnShape = mainGraph(m).nodes.find((n) => n.name === 'attn_shape')!.outputs[0]!;
  assert.deepEqual(shapeOf(out, attnShape), [0, 2, 2, 4]);
  assert.deepEqual(shapeOf(out, 'head_shape'), [0, 4, -1]);
  assert.deepEqual(shapeOf(out, 'shared_shape'), [1, 16]);
  assert.deepEqual(shapeOf(out, 'kept_shape'), [1, 16]);
  // Nothing to rewrite: the same object back.
  assert.equal(batchFreeReshapes(out).rewritten, 0);
});

test('the rewritten graph gives the same output at batch 1, and the two-image run of its head is per image', async () => {
  const m = model();
  const free = batchFreeReshapes(m).model;
  const x1 = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i) * 3);
  const run = async (mm: Model, data: Float32Array, n: number, output: string) => {
    const s = await ort.InferenceSession.create(modelToBytes(mm), { graphOptimizationLevel: 'disabled' });
    const r = await s.run({ x: new ort.Tensor('float32', data, [n, 4, 2, 2]) }, [output]);
    await s.release();
    return r[output]!;
  };
  assert.deepEqual(
    Array.from((await run(free, x1, 1, 'y')).data as Float32Array),
    Array.from((await run(m, x1, 1, 'y')).data as Float32Array),
  );
  // Up to the head's Reshape, two images go through side by side: [2, 4, 4], each the image's own result.
  const headOut = mainGraph(m).nodes.find((n) => n.name === 'head_reshape')!.outputs[0]!;
  // The graph cut after the head's Reshape (ORT runs every node of a graph, needed or not).
  const probe = (mm: Model): Model => {
    const g = mainGraph(mm);
    const nodes = g.nodes.slice(0, g.nodes.findIndex((n) => n.name === 'head_reshape') + 1);
    const read = new Set(nodes.flatMap((n) => n.inputs));
    const initializers = g.initializers.filter((t) => read.has(t.name));
    return { ...mm, graph: { ...g, nodes, initializers, outputs: [{ name: headOut, type: { elemType: DataType.FLOAT } }] } };
  };
  const x2 = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i));
  const both = await run(probe(free), Float32Array.from([...x1, ...x2]), 2, headOut);
  assert.deepEqual(both.dims, [2, 4, 4]);
  const one = (await run(probe(m), x1, 1, headOut)).data as Float32Array;
  const two = (await run(probe(m), x2, 1, headOut)).data as Float32Array;
  assert.deepEqual(Array.from(both.data as Float32Array), [...one, ...two]);
  // The batch-1 original cannot take two images at its attention Reshape.
  await assert.rejects(run(probe(m), Float32Array.from([...x1, ...x2]), 2, headOut));
});
