import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { foldWeightDequantizePass, dequantizeConstant } from '../../../src/onnx/passes/fold-weight-dequantize.js';
import { runPasses } from '../../../src/onnx/passes/pass-manager.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../../src/onnx/ir/tensor.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { runTiny, tinyInput } from '../../helpers/run-tiny.js';

const input = tinyInput(12);

/** A uint8 activation decision on `value` with a fixed range, enough to make a Conv's input quantized. */
const uint8Activation = (value: string) => ({
  value,
  bits: 8 as const,
  signed: false,
  scale: 0.02,
  zeroPoint: 60,
  observer: 'minmax' as const,
  observed: [-1, 4] as [number, number],
  range: [-1.2, 3.9] as [number, number],
});
const run = (model: Model): Promise<Float32Array> => runTiny(model, input);

test('dequantizeConstant: per-axis and blocked by hand', () => {
  const x = makeTensor('x', DataType.INT4, [2, 4], [1, -2, 3, -4, 5, -6, 7, -8]);
  assert.deepEqual(
    Array.from(dequantizeConstant(x, makeTensor('s', DataType.FLOAT, [2], [0.5, 2]), undefined, 0, 0)),
    [0.5, -1, 1.5, -2, 10, -12, 14, -16],
  );
  const blocked = dequantizeConstant(x, makeTensor('s', DataType.FLOAT, [2, 2], [1, 10, 100, 1000]), undefined, 1, 2);
  assert.deepEqual(Array.from(blocked), [1, -2, 30, -40, 500, -600, 7000, -8000]);
});

for (const scheme of ['w4a16', 'w4a8'] as const) {
  for (const cudaLayout of [false, true]) {
    test(`${scheme} INT4${cudaLayout ? ' (CUDA layout)' : ''}: weights prepared once give the same outputs`, async () => {
      const float = buildTinyDetector('float');
      const { weights, float: kept } = planWeightsRtn(findQuantTargets(float), SCHEMES[scheme], { keepFirstLast: false });
      const activations =
        scheme === 'w4a8'
          ? [...new Set(['images', ...float.graph!.nodes.filter((n) => n.opType === 'Mul').map((n) => n.outputs[0]!)])].map(uint8Activation)
          : [];
      const int4 = exportModel(
        float,
        { yoloqPlan: 1, scheme, modelSha256: '', weights, activations, float: kept },
        { format: cudaLayout ? 'int4-cuda' : 'int4' },
      );
      const { model, modified, ran } = runPasses(int4, [foldWeightDequantizePass()]);
      const { folded, toInt8 } = ran[0]!.counts!;
      assert.ok(modified);
      assert.ok(!model.graph!.initializers.some((t) => t.dtype === DataType.INT4));
      if (scheme === 'w4a16') assert.equal(folded, 4);
      else assert.equal(toInt8, 4);
      assert.deepEqual(await run(model), await run(int4));
    });
  }
}

test('a model without INT4 weights comes back as is, with zero counts', () => {
  const float = buildTinyDetector('float');
  const r = runPasses(float, [foldWeightDequantizePass()]);
  assert.equal(r.model, float);
  assert.equal(r.modified, false);
  assert.deepEqual(r.ran[0]!.counts, { folded: 0, toInt8: 0 });
});

test('8-bit weights: folded to float under a float input (W8A16 QDQ), left for the integer Conv under a quantized one (W8A8)', async () => {
  const float = buildTinyDetector('float');
  for (const scheme of ['w8a16', 'w8a8'] as const) {
    const { weights, float: kept } = planWeightsRtn(findQuantTargets(float), SCHEMES[scheme], { keepFirstLast: false });
    const activations =
      scheme === 'w8a8'
        ? [...new Set(float.graph!.nodes.filter((n) => n.opType === 'Conv').map((n) => n.inputs[0]!))].map(uint8Activation)
        : [];
    const qdq = exportModel(float, { yoloqPlan: 1, scheme, modelSha256: '', weights, activations, float: kept }, { format: 'qdq' });
    const { model, ran } = runPasses(qdq, [foldWeightDequantizePass()]);
    const { folded, toInt8 } = ran[0]!.counts!;
    const int8Weights = (m: Model) => m.graph!.initializers.filter((t) => t.dtype === DataType.INT8).length;
    if (scheme === 'w8a16') {
      assert.equal(folded, weights.length);
      assert.equal(int8Weights(model), 0);
      assert.deepEqual(await run(model), await run(qdq));
      // A dequantized weight that is also a graph output stays as it is: the output must still be computed.
      const dq = qdq.graph!.nodes.find((n) => n.opType === 'DequantizeLinear')!;
      const exposed: Model = {
        ...qdq,
        graph: { ...qdq.graph!, outputs: [...qdq.graph!.outputs, { name: dq.outputs[0]!, type: { elemType: DataType.FLOAT } }] },
      };
      const partly = runPasses(exposed, [foldWeightDequantizePass()]);
      assert.equal(partly.ran[0]!.counts!.folded, weights.length - 1);
      assert.ok(
        partly.model.graph!.nodes.includes(dq) ||
          partly.model.graph!.nodes.some((n) => n.outputs[0] === dq.outputs[0] && n.opType === 'DequantizeLinear'),
      );
    } else {
      assert.equal((folded ?? 0) + (toInt8 ?? 0), 0);
      assert.equal(model, qdq);
      assert.ok(int8Weights(qdq) >= weights.length);
    }
  }
});
