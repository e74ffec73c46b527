import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkModel } from '../../src/check/check-model.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { exportModel, type ExportOptions } from '../../src/export/export-model.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { indexGraph, producerOf } from '../../src/onnx/ir/graph-index.js';
import { toFloat32, toIntegers } from '../../src/onnx/ir/tensor.js';
import { modelFromBytes, modelToBytes } from '../../src/onnx/serde/model-io.js';
import type { GranularityRequest, QuantPlan } from '../../src/quant/plan.js';
import { planWeightsRtn } from '../../src/quant/policy/weight-policy.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { runTiny, tinyInput } from '../helpers/run-tiny.js';

const input = tinyInput(5);

const run = (model: Model): Promise<Float32Array> => runTiny(model, input);

function plan(granularity?: GranularityRequest, keepFirstLast = false): QuantPlan {
  const model = buildTinyDetector('float');
  const { weights, float } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a8, { granularity, keepFirstLast });
  return {
    yoloqPlan: 1,
    scheme: 'w4a8',
    modelSha256: '',
    weights,
    float,
    activations: [
      { value: 'images', bits: 8, signed: true, scale: 1 / 127, zeroPoint: 0, observer: 'minmax', observed: [-1, 1], range: [-1, 1] },
    ],
  };
}

/**
 * Conv name → the integer codes and scales its weight is stored as, flattened in storage order: followed back from
 * the Conv through Reshape → DequantizeLinear → Clip to the initializers (per-axis and blocked layouts alike).
 */
function weightCodes(model: Model): Record<string, { codes: number[]; scales: number[] }> {
  const g = model.graph!;
  const index = indexGraph(g);
  const out: Record<string, { codes: number[]; scales: number[] }> = {};
  for (const conv of g.nodes.filter((n) => n.opType === 'Conv')) {
    let dq = producerOf(g, index, conv.inputs[1]!);
    if (dq?.opType === 'Reshape') dq = producerOf(g, index, dq.inputs[0]!);
    assert.equal(dq?.opType, 'DequantizeLinear', `${conv.name}: weight DequantizeLinear`);
    const clip = producerOf(g, index, dq!.inputs[0]!);
    const codes = index.initializers.get(clip?.opType === 'Clip' ? clip.inputs[0]! : dq!.inputs[0]!);
    const scales = index.initializers.get(dq!.inputs[1]!);
    assert.ok(codes && scales, `${conv.name}: constant codes and scales`);
    out[conv.name!] = { codes: Array.from(toIntegers(codes), Number), scales: Array.from(toFloat32(scales)) };
  }
  return out;
}

const FORMATS: Array<[string, ExportOptions]> = [
  ['qcdq', { format: 'qcdq' }],
  ['qdq', { format: 'qdq' }],
  ['int4', { format: 'int4' }],
  ['int4 cuda layout', { format: 'int4-cuda' }],
];

test('one plan, every format: check passes, inspect sees 4-bit weights, codes match the fixture, ORT outputs are identical', async () => {
  const p = plan();
  const float = buildTinyDetector('float');
  // The hand-built QCDQ fixture spells out per-channel max-abs 4-bit codes and scales (its activations differ).
  const fixture = weightCodes(buildTinyDetector('qcdq'));
  const outputs: Float32Array[] = [];
  for (const [name, opts] of FORMATS) {
    const m = modelFromBytes(modelToBytes(exportModel(float, p, opts)));
    assert.deepEqual(weightCodes(m), fixture, `${name}: the exporter emits the fixture's codes and scales`);
    assert.equal(checkModel(m).errors, 0, `${name}: ${JSON.stringify(checkModel(m).findings)}`);
    const r = inspectModel(m);
    assert.equal(r.conv.percentAt4Bits, 100, name);
    if (name === 'int4 cuda layout')
      assert.ok(
        r.weights.every((w) => w.granularity.kind === 'blocked' && w.blockedPerChannel),
        name,
      );
    outputs.push(await run(m));
  }
  for (let k = 1; k < outputs.length; k++) assert.deepEqual(outputs[k], outputs[0], FORMATS[k]![0]);
  assert.ok(
    outputs[0]!.some((v) => v !== 0),
    'the quantized detector computes something',
  );
});

test('the source model is not modified by an export', () => {
  const float = buildTinyDetector('float');
  const before = modelToBytes(float);
  exportModel(float, plan(), { format: 'int4-cuda' });
  assert.deepEqual(modelToBytes(float), before);
});

test('blocked scales export as INT4 and are refused by QCDQ with a clear error', async () => {
  const p = plan({ kind: 'blocked', blockSize: 8 });
  assert.ok(p.weights.some((w) => w.granularity.kind === 'blocked'));
  const m = exportModel(buildTinyDetector('float'), p, { format: 'int4' });
  assert.equal(checkModel(m).errors, 0);
  assert.equal((await run(m)).length, 16 * 64);
  assert.throws(
    () => exportModel(buildTinyDetector('float'), p, { format: 'qcdq' }),
    /has blocked scales \(block:8\): --format qcdq cannot carry them.*use --format int4 or int4-cuda/,
  );
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
