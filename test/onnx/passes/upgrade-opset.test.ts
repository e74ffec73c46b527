import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../../src/check/check-model.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { defaultOpset, type Model } from '../../../src/onnx/ir/graph.js';
import { floatAttr } from '../../../src/onnx/ir/attributes.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { applyPass, runPasses } from '../../../src/onnx/passes/pass-manager.js';
import { upgradeOpsetPass } from '../../../src/onnx/passes/upgrade-opset.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { sharedDataDir } from '../../helpers/paths.js';

const upgradeOpset = (model: Model, opset: number): Model => applyPass(model, upgradeOpsetPass({ opset }));

async function run(model: Model, feeds: Record<string, ort.Tensor>): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(modelToBytes(model), { graphOptimizationLevel: 'disabled' });
  const out = await s.run(feeds);
  await s.release();
  return Object.values(out).map((t) => t.data as Float32Array);
}

/** Opset-9 graph using every signature that changed later: Split/Unsqueeze/Squeeze attrs, ReduceMean/ReduceSum axes, Clip attrs, Slice attrs, Softmax. */
function oldGraph(): Model {
  const b = new GraphBuilder('old');
  const x = b.input('x', DataType.FLOAT, [1, 4, 6]);
  const [a, c] = b.node('Split', [x], 2, { attrs: { axis: 1, split: [1, 3] } });
  const u = b.op('Unsqueeze', [a!], { attrs: { axes: [0] } });
  const sq = b.op('Squeeze', [u], { attrs: { axes: [0] } });
  const rm = b.op('ReduceMean', [c!], { attrs: { axes: [1], keepdims: 1 } });
  const rs = b.op('ReduceSum', [sq], { attrs: { axes: [1], keepdims: 1 } });
  const cl = b.node('Clip', [b.op('Add', [rm, rs])], 1, { floatAttrs: { min: -0.5, max: 0.5 } })[0]!;
  const sl = b.op('Slice', [cl], { attrs: { starts: [1], ends: [5], axes: [2] } });
  b.node('Softmax', [sl], ['y'], { attrs: { axis: 2 } });
  b.output('y', DataType.FLOAT, [1, 1, 4]);
  const m = b.model(9);
  m.irVersion = 4;
  return m;
}

test('upgrading opset 9 → 13 and → 21 rewrites changed signatures and keeps outputs identical in ORT', async () => {
  const rnd = seededRandom(2);
  const feeds = {
    x: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 24 }, () => rnd() * 2 - 1),
      [1, 4, 6],
    ),
  };
  const model = oldGraph();
  const before = modelToBytes(model);
  const want = await run(model, feeds);
  for (const target of [13, 21]) {
    const up = upgradeOpset(model, target);
    assert.equal(defaultOpset(up), target);
    assert.equal(checkModel(up).errors, 0, JSON.stringify(checkModel(up).findings));
    assert.deepEqual(await run(up, feeds), want, `opset ${target}`);
  }
  assert.deepEqual(modelToBytes(model), before, 'the source model is unchanged');
});

test('a model already at the target opset comes back as is, unmodified', () => {
  const model = oldGraph();
  const r = runPasses(model, [upgradeOpsetPass({ opset: 9 }), upgradeOpsetPass({ opset: 7 })]);
  assert.equal(r.model, model);
  assert.equal(r.modified, false);
  assert.deepEqual(
    r.ran.map((p) => p.name),
    ['upgrade-opset', 'upgrade-opset'],
  );
});

test('Softmax off the last axis and ops with unknown schema changes are refused', () => {
  const b = new GraphBuilder('sm');
  const x = b.input('x', DataType.FLOAT, [2, 3, 4]);
  b.node('Softmax', [x], ['y'], { attrs: { axis: 1 } });
  b.output('y', DataType.FLOAT, [2, 3, 4]);
  assert.throws(() => upgradeOpset(b.model(11), 13), /Softmax-family|semantics differ/);
  const c = new GraphBuilder('up');
  const xi = c.input('x', DataType.FLOAT, [1, 1, 2, 2]);
  c.node('Upsample', [xi, c.constant('scales', DataType.FLOAT, [4], [1, 1, 2, 2])], ['y'], { attrs: { mode: 'nearest' } });
  c.output('y', DataType.FLOAT, [1, 1, 4, 4]);
  assert.throws(() => upgradeOpset(c.model(9), 13), /cannot upgrade .*Upsample/);
  void floatAttr;
});

const yolox = join(sharedDataDir, 'models', 'yolox_nano.onnx');
test('shared yolox_nano (opset 11) upgrades to 13 and 21 with identical ORT outputs', {
  skip: existsSync(yolox) ? false : `skipped: ${yolox} is absent`,
}, async () => {
  const model = loadModel(yolox);
  const rnd = seededRandom(9);
  const feeds = {
    images: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 3 * 416 * 416 }, () => rnd() * 255),
      [1, 3, 416, 416],
    ),
  };
  const want = await run(model, feeds);
  for (const target of [13, 21]) assert.deepEqual(await run(upgradeOpset(model, target), feeds), want, `opset ${target}`);
});
