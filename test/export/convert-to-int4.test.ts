import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../src/check/check-model.js';
import { buildTinyDetector, type ExampleFormat } from '../../src/examples/tiny-detector.js';
import { convertToInt4 } from '../../src/export/convert-to-int4.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { sha256 } from '../../src/util/sha256.js';
import { tinyInput } from '../helpers/run-tiny.js';
import { runWithWeights, sameBits } from '../quant/read/helpers.js';

const feeds = { images: new ort.Tensor('float32', tinyInput(6), [1, 3, 32, 32]) };
const layers = ['stem', 'dw', 'down', 'head'].map((n) => [n, 1] as [string, number]);

for (const format of ['qcdq', 'qcdq-runtime', 'qdq4', 'int4', 'int4-blocked'] as ExampleFormat[]) {
  for (const cudaLayout of [false, true]) {
    test(`convert ${format} → INT4${cudaLayout ? ' (CUDA layout)' : ''}: weights bit-identical, same outputs, no Clip left`, async () => {
      const src = buildTinyDetector(format);
      const { model, converted, kept, plan, float } = convertToInt4(src, { cudaLayout });
      assert.equal(converted.length, 4);
      assert.deepEqual(kept, []);
      assert.equal(checkModel(model).errors, 0, JSON.stringify(checkModel(model).findings));
      const r = inspectModel(model);
      assert.ok(r.weights.every((w) => w.format === 'int4' && w.bits === 4 && w.storage === 'INT4'));
      if (cudaLayout) assert.ok(r.weights.every((w) => w.granularity.kind === 'blocked' && w.blockedPerChannel));
      assert.equal(model.graph!.nodes.filter((n) => n.opType === 'Clip').length, 0);
      assert.equal(plan.modelSha256, sha256(modelToBytes(float)));
      assert.equal(plan.activations.length, 4);
      const a = await runWithWeights(src, feeds, layers);
      const b = await runWithWeights(model, feeds, layers);
      for (const [n] of layers) assert.ok(sameBits(a.weights.get(n)!, b.weights.get(n)!), `${n}: dequantized weights`);
      assert.ok(sameBits(a.outputs[0]!, b.outputs[0]!), 'outputs');
    });
  }
}

test('a graph with no weight at 4 bits or fewer (8-bit QDQ, float) is an error', () => {
  assert.throws(() => convertToInt4(buildTinyDetector('w8-qdq')), /nothing to convert/);
  assert.throws(() => convertToInt4(buildTinyDetector('float')), /nothing to convert/);
});
