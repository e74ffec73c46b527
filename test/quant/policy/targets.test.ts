import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

/**
 * An ultralytics-style head on one 4×4 map: stem Conv → box Conv (16 bins × 4 sides) → Reshape → Transpose →
 * Softmax → DFL Conv (a fixed 0…15 projection) → Reshape → output; a class Conv beside it. With `after`, a Conv
 * reads the DFL projection's output, so that Conv is no longer box decoding.
 */
function dflHead(after = false) {
  const b = new GraphBuilder('dfl-head');
  const x = b.input('x', DataType.FLOAT, [1, 3, 4, 4]);
  const w = (name: string, cout: number, cin: number, fill: (i: number) => number) =>
    b.constant(
      name,
      DataType.FLOAT,
      [cout, cin, 1, 1],
      Array.from({ length: cout * cin }, (_, i) => fill(i)),
    );
  b.node('Conv', [x, w('w_stem', 8, 3, (i) => 0.01 * (i % 7))], ['s'], { name: 'stem' });
  b.node('Conv', ['s', w('w_box', 64, 8, (i) => 0.02 * ((i % 5) - 2))], ['box'], { name: 'box' });
  b.node('Conv', ['s', w('w_cls', 2, 8, (i) => 0.03 * (i % 3))], ['cls'], { name: 'cls' });
  const shape = b.constant('shape', DataType.INT64, [4], [1, 4, 16, 16]);
  b.node('Reshape', ['box', shape], ['r'], { name: 'reshape' });
  b.node('Transpose', ['r'], ['t'], { name: 'transpose', attrs: { perm: [0, 2, 1, 3] } });
  b.node('Softmax', ['t'], ['p'], { name: 'softmax', attrs: { axis: 1 } });
  b.node('Conv', ['p', w('w_dfl', 1, 16, (i) => i)], ['d'], { name: 'dfl' });
  if (after) {
    b.node('Conv', ['d', w('w_more', 1, 1, () => 0.5)], ['y'], { name: 'more' });
    b.output('y', DataType.FLOAT, [1, 1, 4, 16]);
  } else b.output('d', DataType.FLOAT, [1, 1, 4, 16]);
  b.output('cls', DataType.FLOAT, [1, 2, 4, 4]);
  return b.model(13);
}

test("ultralytics' DFL projection is box decoding: left float, and the box Conv in front of it is a prediction layer", () => {
  const targets = findQuantTargets(dflHead());
  const by = new Map(targets.map((t) => [t.node, t]));
  assert.equal(by.get('dfl')!.boxDecoding, true);
  assert.equal(by.get('box')!.last, true, 'nothing but box decoding lies between the box Conv and the output');
  assert.equal(by.get('box')!.boxDecoding, false);
  assert.equal(by.get('stem')!.last, false);
  const plan = planWeightsRtn(targets, SCHEMES.w4a8, {});
  assert.deepEqual(plan.float, [{ node: 'dfl', reason: 'box decoding (DFL projection) left float' }]);
  assert.ok(!plan.weights.some((w) => w.node === 'dfl'));
  assert.equal(plan.weights.find((w) => w.node === 'box')!.bits, 8, 'a prediction layer keeps 8 bits');
  const trt = planWeightsRtn(targets, SCHEMES.w4a8, { floatPredictionLayers: true });
  assert.deepEqual(
    trt.float.map((f) => f.node),
    ['dfl', 'box', 'cls'],
    'TensorRT placement leaves the box and class prediction layers float as well',
  );
});

test('a Conv reading a Softmax that feeds another compute layer is a layer like any other', () => {
  const by = new Map(findQuantTargets(dflHead(true)).map((t) => [t.node, t]));
  assert.equal(by.get('dfl')!.boxDecoding, false);
  assert.equal(by.get('dfl')!.last, false);
  assert.equal(by.get('box')!.last, false);
  assert.equal(by.get('more')!.last, true);
});
