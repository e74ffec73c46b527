import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../src/check/check-model.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { exportModel, type ExportOptions } from '../../src/export/export-model.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelFromBytes, modelToBytes } from '../../src/onnx/serde/model-io.js';
import type { QuantPlan } from '../../src/quant/plan.js';
import { planWeightsRtn } from '../../src/quant/policy/weight-policy.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { runTiny, tinyInput } from '../helpers/run-tiny.js';

const input = tinyInput(5);

const run = (model: Model): Promise<Float32Array> => runTiny(model, input);

function plan(granularity?: 'per-channel' | 'per-tensor' | { blockSize: number }, keepFirstLast = false): QuantPlan {
  const model = buildTinyDetector('float');
  const { weights, float } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, { granularity, keepFirstLast });
  return {
    yoloqPlan: 1, scheme: 'w4a8', modelSha256: '', weights, float,
    activations: [{ value: 'images', bits: 8, signed: true, scale: 1 / 127, zeroPoint: 0, observer: 'minmax', observed: [-1, 1], range: [-1, 1] }],
  };
}

const FORMATS: Array<[string, ExportOptions]> = [
  ['qcdq', { format: 'qcdq' }], ['qdq', { format: 'qdq' }], ['int4', { format: 'int4' }], ['int4 cuda layout', { format: 'int4', cudaLayout: true }],
];

test('one plan, every format: check passes, inspect sees 4-bit weights, ORT outputs are identical', async () => {
  const p = plan();
  const float = buildTinyDetector('float');
  const outputs: Float32Array[] = [];
  for (const [name, opts] of FORMATS) {
    const m = modelFromBytes(modelToBytes(exportModel(float, p, opts)));
    assert.equal(checkModel(m).errors, 0, `${name}: ${JSON.stringify(checkModel(m).findings)}`);
    const r = inspectModel(m);
    assert.equal(r.conv.percentAt4Bits, 100, name);
    if (name === 'int4 cuda layout') assert.ok(r.weights.every((w) => w.granularity.kind === 'blocked' && w.blockedPerChannel), name);
    outputs.push(await run(m));
  }
  for (let k = 1; k < outputs.length; k++) assert.deepEqual(outputs[k], outputs[0], FORMATS[k]![0]);
  // The exporters emit what the hand-built QCDQ fixture spells out (same codes and scales) apart from activations.
  assert.ok(outputs[0]!.some((v, i) => v !== 0 || i < 0));
});

test('the source model is not modified by an export', () => {
  const float = buildTinyDetector('float');
  const before = modelToBytes(float);
  exportModel(float, plan(), { format: 'int4', cudaLayout: true });
  assert.deepEqual(modelToBytes(float), before);
});

test('blocked scales export as INT4 and are refused by QCDQ with a clear error', async () => {
  const p = plan({ blockSize: 8 });
  assert.ok(p.weights.some((w) => w.granularity.kind === 'blocked'));
  const m = exportModel(buildTinyDetector('float'), p, { format: 'int4' });
  assert.equal(checkModel(m).errors, 0);
  assert.equal((await run(m)).length, 16 * 64);
  assert.throws(() => exportModel(buildTinyDetector('float'), p, { format: 'qcdq' }), /blocked scales need DequantizeLinear-21/);
});

test('default policy keeps the stem and prediction Convs at 8 bits', () => {
  const p = plan(undefined, true);
  const bits = Object.fromEntries(p.weights.map((w) => [w.node, w.bits]));
  assert.deepEqual(bits, { stem: 8, dw: 4, down: 4, head: 8 });
  const r = inspectModel(exportModel(buildTinyDetector('float'), p, { format: 'int4' }));
  assert.deepEqual(Object.fromEntries(r.weights.map((w) => [w.node, w.bits])), bits);
});

test('a plan for another model is refused', () => {
  const p = plan();
  p.weights[0]!.shape = [1, 2, 3, 4];
  assert.throws(() => exportModel(buildTinyDetector('float'), p, { format: 'qcdq' }), /plan does not fit the model/);
});
