import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../src/check/check-model.js';
import { buildTinyDetector, type ExampleFormat } from '../../src/examples/tiny-detector.js';
import { convertToInt4 } from '../../src/export/convert-to-int4.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { runTiny, tinyInput } from '../helpers/run-tiny.js';

const input = tinyInput(6);

const run = (model: Model): Promise<Float32Array> => runTiny(model, input);

for (const format of ['qcdq', 'qcdq-runtime', 'qdq4'] as ExampleFormat[]) {
  for (const cudaLayout of [false, true]) {
    test(`convert ${format} → INT4${cudaLayout ? ' (CUDA layout)' : ''}: same outputs, 4-bit INT4 weights, no Clip left`, async () => {
      const src = buildTinyDetector(format);
      const { model, converted, kept } = convertToInt4(src, { cudaLayout });
      assert.equal(converted.length, 4);
      assert.deepEqual(kept, []);
      assert.equal(checkModel(model).errors, 0, JSON.stringify(checkModel(model).findings));
      const r = inspectModel(model);
      assert.ok(r.weights.every((w) => w.format === 'int4' && w.bits === 4 && w.storage === 'INT4'));
      if (cudaLayout) assert.ok(r.weights.every((w) => w.granularity.kind === 'blocked' && w.blockedPerChannel));
      assert.equal(model.graph!.nodes.filter((n) => n.opType === 'Clip').length, 0);
      assert.deepEqual(await run(model), await run(src));
    });
  }
}

test('8-bit weights stay as they are, and a graph with nothing 4-bit is an error', () => {
  assert.throws(() => convertToInt4(buildTinyDetector('w8-qdq')), /nothing to convert/);
  assert.throws(() => convertToInt4(buildTinyDetector('float')), /nothing to convert/);
});
