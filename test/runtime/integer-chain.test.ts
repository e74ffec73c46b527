import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportModel } from '../../src/export/export-model.js';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { planActivations, type ActivationPlacement } from '../../src/quant/calibration/activation-plan.js';
import type { QuantPlan } from '../../src/quant/plan.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { hostTensor } from '../../src/runtime/host-tensor.js';
import { optimizedGraph } from '../../src/runtime/optimized-graph.js';
import { prepareForOrtCpu } from '../../src/runtime/prepare-model.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { sha256 } from '../../src/util/sha256.js';

/**
 * A YOLO-shaped graph with every op kind a YOLO neck has: Conv → SiLU (Sigmoid × Mul), MaxPool, Concat, a residual
 * Add, a nearest Resize, a strided Conv, and a prediction Conv whose output is decoded (a Sigmoid) in float.
 */
function yoloNeck(): Model {
  const rnd = seededRandom(11);
  const b = new GraphBuilder('yolo-neck');
  const x = b.input('x', DataType.FLOAT, [1, 3, 32, 32]);
  let n = 0;
  const conv = (input: string, cin: number, cout: number, k: number, stride: number, silu = true) => {
    const name = `conv${n++}`;
    const w = b.constant(
      `${name}.w`,
      DataType.FLOAT,
      [cout, cin, k, k],
      Array.from({ length: cout * cin * k * k }, () => rnd() - 0.5),
    );
    const p = (k - 1) >> 1;
    const y = b.op('Conv', [input, w], { name, attrs: { kernel_shape: [k, k], strides: [stride, stride], pads: [p, p, p, p] } });
    return silu ? b.op('Mul', [y, b.op('Sigmoid', [y], { name: `${name}.sig` })], { name: `${name}.silu` }) : y;
  };
  const a = conv(x, 3, 8, 3, 2);
  const c1 = conv(a, 8, 8, 1, 1);
  const m = b.op('MaxPool', [c1], { name: 'pool', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } });
  const cat = b.op('Concat', [a, m], { name: 'cat', attrs: { axis: 1 } });
  const d = conv(cat, 16, 8, 1, 1);
  const e = b.op('Add', [d, c1], { name: 'residual' });
  const scales = b.constant('up.scales', DataType.FLOAT, [4], [1, 1, 2, 2]);
  const u = b.op('Resize', [e, '', scales], { name: 'up', attrs: { mode: 'nearest' } });
  const f = conv(u, 8, 8, 3, 2);
  const g = b.op('Concat', [f, e], { name: 'cat2', attrs: { axis: 1 } });
  const pred = conv(g, 16, 6, 1, 1, false);
  b.node('Sigmoid', [pred], ['y'], { name: 'decode' });
  b.output('y', DataType.FLOAT, [1, 6, 16, 16]);
  return b.model(13);
}

async function* feeds(count: number) {
  const rnd = seededRandom(5);
  for (let i = 0; i < count; i++)
    yield {
      x: hostTensor(
        'float32',
        [1, 3, 32, 32],
        Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1),
      ),
    };
}

async function w4a8(model: Model, placement: ActivationPlacement): Promise<Model> {
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, {});
  const activations = await planActivations(model, weights, feeds(4), { observer: 'minmax', mode: 'asymmetric', placement });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a8', modelSha256: sha256(modelToBytes(model)), weights, activations, float: [] };
  return prepareForOrtCpu(exportModel(model, plan, { format: 'qdq' })).model;
}

test("ort-integer placement: after ORT's optimizer only the box decoding computes in float; every Conv, SiLU, Concat, Add is an integer kernel", async () => {
  const model = yoloNeck();
  const g = await optimizedGraph(modelToBytes(await w4a8(model, 'ort-integer')));
  assert.deepEqual(g.floatOps, { Sigmoid: 1 }, `float ops left: ${JSON.stringify(g.floatOps)}; all ops: ${JSON.stringify(g.ops)}`);
  assert.equal(g.ops.QLinearConv, 5);
  assert.equal(g.ops.QLinearSigmoid, 4);
  assert.equal(g.ops.QLinearMul, 4);
  assert.equal(g.ops.QLinearConcat, 2);
  assert.equal(g.ops.QLinearAdd, 1);
  assert.equal(g.ops.QuantizeLinear, 1, 'one QuantizeLinear: the model input');
});

test('the default placement leaves the SiLU, MaxPool, Concat, Add and Resize float between the integer Convs', async () => {
  const g = await optimizedGraph(modelToBytes(await w4a8(yoloNeck(), 'default')));
  assert.ok(g.floatNodes > 10, JSON.stringify(g.floatOps));
});
