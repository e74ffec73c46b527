import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { shareGroupScales, tensorrtPlacement } from '../../../src/quant/calibration/trt-placement.js';
import type { ActivationDecision } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

/**
 * stem Conv → a; MaxPool(a) → b; Concat(a, b) → c; Conv(c) → d; Add(d, a) → e; prediction Conv(e) → f;
 * Concat(f, f) → output (box decoding stand-in, after the prediction layer).
 */
function yoloLike() {
  const b = new GraphBuilder('yolo-like');
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  const w = (name: string, cout: number, cin: number) =>
    b.constant(name, DataType.FLOAT, [cout, cin, 1, 1], new Array(cout * cin).fill(0.1));
  b.node('Conv', [x, w('w1', 4, 3)], ['a'], { name: 'stem' });
  b.node('MaxPool', ['a'], ['b'], { name: 'pool', attrs: { kernel_shape: [1, 1] } });
  b.node('Concat', ['a', 'b'], ['c'], { name: 'cat', attrs: { axis: 1 } });
  b.node('Conv', ['c', w('w2', 4, 8)], ['d'], { name: 'mid' });
  b.node('Add', ['d', 'a'], ['e'], { name: 'residual' });
  b.node('Conv', ['e', w('w3', 2, 4)], ['f'], { name: 'pred' });
  b.node('Concat', ['f', 'f'], ['y'], { name: 'decode', attrs: { axis: 1 } });
  b.output('y', DataType.FLOAT, [1, 4, 8, 8]);
  return b.model(13);
}

test('TensorRT placement: one scale across MaxPool and Concat (joined through the value they share), residual Add operands, nothing after the prediction layer', () => {
  const model = yoloLike();
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, {});
  const placed = tensorrtPlacement(model, weights);
  const group = new Map(placed.map((p) => [p.value, p.group]));
  assert.deepEqual([...group.keys()].sort(), ['a', 'b', 'c', 'd']);
  assert.equal(group.get('a'), group.get('b'));
  assert.equal(group.get('b'), group.get('c'));
  assert.notEqual(group.get('d'), group.get('a'), 'the Add operand from the Conv path has its own scale');
  assert.ok(!group.has('f') && !group.has('y'), 'the decoding Concat after the prediction layer stays float');
});

test('a group takes its widest range; every member gets one scale and zero point and is seen by every reader', () => {
  const d = (value: string, lo: number, hi: number, group?: string): ActivationDecision => ({
    value,
    bits: 8,
    signed: false,
    scale: 1,
    zeroPoint: 0,
    observer: 'minmax',
    observed: [lo, hi],
    range: [lo, hi],
    ...(group ? { group } : {}),
  });
  const out = shareGroupScales([d('a', -1, 2, 'g'), d('b', 0, 6, 'g'), d('c', -3, 1)], 'symmetric');
  assert.equal(out[0]!.scale, out[1]!.scale);
  assert.equal(out[0]!.scale, Math.fround(6 / 127));
  assert.equal(out[0]!.readers, 'all');
  assert.deepEqual(out[2], d('c', -3, 1));
});

test('TensorRT leaves the prediction layers float instead of keeping them at 8 bits', () => {
  const model = yoloLike();
  const kept = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, {});
  const trt = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, { floatPredictionLayers: true });
  assert.ok(kept.weights.some((w) => w.node === 'pred' && w.bits === 8));
  assert.ok(!trt.weights.some((w) => w.node === 'pred'));
  assert.ok(trt.float.some((f) => f.node === 'pred' && /TensorRT/.test(f.reason)));
});
