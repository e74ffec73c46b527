import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { searchActivationRanges } from '../../../src/quant/algorithms/range-search.js';
import { planActivations } from '../../../src/quant/calibration/activation-plan.js';
import { fullRangeValues } from '../../../src/quant/calibration/full-range.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';

const BINS = 16;
const SIDE = 32;

/**
 * A DFL-like layer: 16 bin logits per pixel → `probs` → Conv with weights 0…15 (the expected distance) → a 1×1 Conv.
 * The Conv after it keeps the projection a quantized layer (a projection feeding no compute layer is box decoding,
 * left float: test/quant/policy/targets.test.ts). With `softmax` false the probabilities are the graph input itself,
 * the same values without a Softmax producing them.
 */
function dflModel(softmax: boolean) {
  const b = new GraphBuilder('dfl');
  const x = b.input('x', DataType.FLOAT, [1, BINS, SIDE, SIDE]);
  if (softmax) b.node('Softmax', [x], ['probs'], { name: 'dfl_softmax', attrs: { axis: 1 } });
  const probs = softmax ? 'probs' : x;
  const w = b.constant(
    'bins',
    DataType.FLOAT,
    [1, BINS, 1, 1],
    Array.from({ length: BINS }, (_, i) => i),
  );
  b.node('Conv', [probs, w], ['dist'], { name: 'dfl_conv' });
  b.node('Conv', ['dist', b.constant('gain', DataType.FLOAT, [1, 1, 1, 1], [0.5])], ['y'], { name: 'after' });
  b.output('y', DataType.FLOAT, [1, 1, SIDE, SIDE]);
  return b.model(17);
}

/**
 * Logits (or their softmax): nearly flat on every pixel (background, small seeded noise) but one, whose distribution
 * peaks at bin 1 (a confident box side close to the anchor).
 */
function images(asProbs: boolean): Array<Record<string, HostTensor>> {
  const rnd = seededRandom(3);
  return [0, 1, 2, 3].map((k) => {
    const logits = Float32Array.from({ length: BINS * SIDE * SIDE }, () => rnd() - 0.5);
    const pixel = 37 * k + 11;
    logits[SIDE * SIDE + pixel] = 9;
    if (!asProbs) return { x: { dtype: 'float32', dims: [1, BINS, SIDE, SIDE], data: logits } };
    const probs = new Float32Array(logits.length);
    for (let p = 0; p < SIDE * SIDE; p++) {
      let z = 0;
      for (let c = 0; c < BINS; c++) z += Math.exp(logits[c * SIDE * SIDE + p]!);
      for (let c = 0; c < BINS; c++) probs[c * SIDE * SIDE + p] = Math.exp(logits[c * SIDE * SIDE + p]!) / z;
    }
    return { x: { dtype: 'float32', dims: [1, BINS, SIDE, SIDE], data: probs } };
  });
}

async function* feeds(list: Array<Record<string, HostTensor>>) {
  yield* list;
}

async function searched(softmax: boolean) {
  const model = dflModel(softmax);
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w8a8, {});
  const calib = images(!softmax);
  const base = await planActivations(model, weights, feeds(calib), { observer: 'minmax', mode: 'asymmetric', threads: 1 });
  const out = await searchActivationRanges(model, weights, base, feeds(calib), feeds(calib), { mode: 'asymmetric', threads: 1 });
  return out.find((a) => a.value === (softmax ? 'probs' : 'x'))!;
}

test('full-range values: the outputs of Softmax nodes only', () => {
  assert.deepEqual([...fullRangeValues(dflModel(true))], ['probs']);
  assert.deepEqual([...fullRangeValues(dflModel(false))], []);
});

test('range search clips peaked probabilities that no Softmax produced: the many flat pixels outweigh the few peaks', async () => {
  const a = await searched(false);
  assert.ok(a.range[1] < 0.5 * a.observed[1], `range ${a.range} of observed ${a.observed} (${a.observer})`);
});

test('range search keeps a Softmax output at its observed min/max: the peaks of confident boxes are not clipped', async () => {
  const a = await searched(true);
  assert.equal(a.observer, 'minmax');
  assert.ok(a.observed[1] > 0.95);
  assert.deepEqual(a.range, [0, a.observed[1]]);
});
