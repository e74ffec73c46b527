import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { activationReaders, modulePath, planBlocks } from '../../../src/quant/learned/blocks.js';
import type { QuantPlan } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

function rtnPlan(model: ReturnType<typeof buildTinyDetector>): QuantPlan {
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, { keepFirstLast: false });
  return { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, activations: [], float: [] };
}

test('module paths of YOLOv5/v8/v10 and YOLOX node names; none for flat names', () => {
  assert.equal(modulePath('/model.4/cv1/conv/Conv'), '/model.4');
  assert.equal(modulePath('/backbone/backbone/dark2/dark2.0/conv/Conv'), '/backbone/backbone/dark2');
  assert.equal(modulePath('/head/stems.0/conv/Conv'), '/head/stems.0');
  assert.equal(modulePath('Conv_41'), undefined);
  assert.equal(modulePath('Conv#3'), undefined);
});

test('flat names: N quantized Convs per block, spans cover the graph from the first Conv, outputs read outside', () => {
  const model = buildTinyDetector('float');
  const plan = rtnPlan(model);
  const blocks = planBlocks(model, plan, { fallbackSize: 2 });
  const weights = plan.weights.map((w) => w.node);
  assert.deepEqual(
    blocks.map((b) => b.weights),
    [weights.slice(0, 2), weights.slice(2, 4)],
  );
  assert.equal(blocks[0]!.nodes[0], weights[0]);
  assert.equal(blocks[1]!.nodes[0], weights[2]);
  const all = blocks.flatMap((b) => b.nodes);
  assert.equal(new Set(all).size, all.length, 'a node in two blocks');
  assert.deepEqual(blocks[1]!.outputs, ['output']);
  // The first block's output is what the third Conv (the second block) reads.
  const third = model.graph!.nodes.find((n) => n.name === weights[2])!;
  assert.deepEqual(blocks[0]!.outputs, [third.inputs[0]]);
});

test('module paths group consecutive Convs of one module into one block', () => {
  const b = new GraphBuilder('paths');
  const x = b.input('images', DataType.FLOAT, [1, 2, 4, 4]);
  const conv = (name: string, input: string) => {
    const w = b.constant(`${name}.w`, DataType.FLOAT, [2, 2, 1, 1], [1, 0.5, -0.25, 2]);
    return b.op('Relu', [b.op('Conv', [input, w], { name })], { name: `${name}/Relu` });
  };
  const y = conv('/model.1/cv2/conv/Conv', conv('/model.1/cv1/conv/Conv', conv('/model.0/conv/Conv', x)));
  b.node('Identity', [y], ['output'], { name: '/model.2/Identity' });
  b.output('output', DataType.FLOAT, [1, 2, 4, 4]);
  const model = b.model(17);
  const plan = rtnPlan(model);
  const blocks = planBlocks(model, plan);
  assert.deepEqual(
    blocks.map((k) => [k.name, k.weights.length]),
    [
      ['/model.0', 1],
      ['/model.1', 2],
    ],
  );
  assert.deepEqual(blocks[1]!.outputs, ['output']);
});

test('an in-graph selection (YOLOv10 end-to-end TopK) belongs to no block: the last block is scored on what it reads', () => {
  const b = new GraphBuilder('topk');
  const x = b.input('images', DataType.FLOAT, [1, 2, 4, 4]);
  const w = b.constant('/model.0/conv.w', DataType.FLOAT, [2, 2, 1, 1], [1, 0.5, -0.25, 2]);
  const conv = b.op('Conv', [x, w], { name: '/model.0/conv/Conv' });
  const flat = b.op('Reshape', [conv, b.constant('/model.1/shape', DataType.INT64, [2], [1, 32])], { name: '/model.1/Reshape' });
  // k = min(3, elements): shape arithmetic the selection reads, which is no block output.
  const size = b.op('Size', [flat], { name: '/model.1/Size' });
  const k = b.op(
    'Min',
    [
      b.op('Reshape', [size, b.constant('/model.1/one', DataType.INT64, [1], [1])], { name: '/model.1/k1' }),
      b.constant('/model.1/three', DataType.INT64, [1], [3]),
    ],
    { name: '/model.1/Min' },
  );
  const [values, indices] = b.node('TopK', [flat, k], 2, { name: '/model.1/TopK' });
  const picked = b.op('GatherElements', [flat, indices!], { name: '/model.1/GatherElements', attrs: { axis: 1 } });
  b.node('Add', [picked, values!], ['output'], { name: '/model.1/Add' });
  b.output('output', DataType.FLOAT, [1, 3]);
  const model = b.model(17);
  const blocks = planBlocks(model, rtnPlan(model));
  assert.equal(blocks.length, 1);
  assert.deepEqual(blocks[0]!.nodes, ['/model.0/conv/Conv', '/model.1/Reshape', '/model.1/Size', '/model.1/k1', '/model.1/Min']);
  // What TopK and GatherElements read: every anchor, densely.
  assert.deepEqual(blocks[0]!.outputs, [flat]);
});

test('activation readers follow the exporters: quantized readers only, or every reader for readers "all"', () => {
  const model = buildTinyDetector('float');
  const plan = rtnPlan(model);
  const first = plan.weights[0]!;
  const input = model.graph!.nodes.find((n) => n.name === first.node)!.inputs[0]!;
  const act = {
    value: input,
    bits: 8 as const,
    signed: false,
    scale: 0.1,
    zeroPoint: 0,
    observer: 'minmax' as const,
    observed: [0, 1] as [number, number],
    range: [0, 1] as [number, number],
  };
  assert.deepEqual(activationReaders(model, { ...plan, activations: [act] }), [{ value: input, readers: [first.node] }]);
  assert.deepEqual(activationReaders(model, { ...plan, weights: [], activations: [act] }), []);
  assert.deepEqual(activationReaders(model, { ...plan, weights: [], activations: [{ ...act, readers: 'all' }] }), [
    { value: input, readers: [first.node] },
  ]);
});
