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
