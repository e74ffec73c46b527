import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildTinyDetector, EXAMPLE_FORMATS, type ExampleFormat } from '../../src/examples/tiny-detector.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { checkModel } from '../../src/check/check-model.js';
import { seededRandom } from '../../src/quant/rounding.js';

const rnd = seededRandom(3);
const input = Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1);

async function run(format: ExampleFormat): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelToBytes(buildTinyDetector(format)), { graphOptimizationLevel: 'disabled' });
  const out = await session.run({ images: new ort.Tensor('float32', input, [1, 3, 32, 32]) });
  await session.release();
  return out.output!.data as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('every example format passes yoloq check and runs in ONNX Runtime with the declared output shape', async () => {
  for (const format of EXAMPLE_FORMATS) {
    const result = checkModel(buildTinyDetector(format));
    assert.equal(result.errors, 0, `${format}: ${JSON.stringify(result.findings)}`);
    const out = await run(format);
    assert.equal(out.length, 16 * 8 * 8, format);
    assert.ok(out.every(Number.isFinite), format);
  }
});

test('one set of 4-bit codes gives identical outputs as QCDQ, int8-carried QDQ, native INT4 and blocked INT4', async () => {
  const qcdq = await run('qcdq');
  const qcdqRuntime = await run('qcdq-runtime');
  assert.equal(maxAbsDiff(qcdq, await run('qdq4')), 0);
  assert.equal(maxAbsDiff(qcdq, await run('int4')), 0);
  assert.equal(maxAbsDiff(await run('int4'), await run('int4-blocked')), 0);
  // Quantizing the float weight at run time reproduces the stored codes.
  assert.equal(maxAbsDiff(qcdq, qcdqRuntime), 0);
  // And 4-bit weights really change the output compared with float.
  assert.ok(maxAbsDiff(qcdq, await run('float')) > 1e-3);
});
