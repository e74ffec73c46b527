import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../../src/check/check-model.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { floatPrecisionPass, scalesKeptFloat32, type PrecisionOptions } from '../../../src/onnx/passes/float-precision.js';
import { applyPass, runPasses } from '../../../src/onnx/passes/pass-manager.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { sharedDataDir } from '../../helpers/paths.js';

const changeFloatPrecision = (model: Model, options: PrecisionOptions): Model => applyPass(model, floatPrecisionPass(options));

async function run(model: Model, name: string, tensor: ort.Tensor): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(modelToBytes(model));
  const out = await s.run({ [name]: tensor });
  await s.release();
  return Object.values(out)[0]!;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

const toF32 = (t: ort.Tensor): Float32Array =>
  t.type === 'float16'
    ? Float32Array.from(t.data as Uint16Array, (h) => {
        const s = h & 0x8000 ? -1 : 1;
        const e = (h >> 10) & 31;
        const m = h & 1023;
        return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
      })
    : (t.data as Float32Array);

test('W4A16 GPU graph: the FP32 export converted to FP16 activations keeps its FP32 interface and outputs', async () => {
  const float = buildTinyDetector('float');
  const { weights, float: kept } = planWeightsRtn(findQuantTargets(float), SCHEMES.w4a16);
  const plan = { yoloqPlan: 1 as const, scheme: 'w4a16' as const, modelSha256: '', weights, activations: [], float: kept };
  const rnd = seededRandom(4);
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1),
    [1, 3, 32, 32],
  );
  for (const format of ['qcdq', 'int4'] as const) {
    const fp32 = exportModel(float, plan, { format });
    const fp16 = changeFloatPrecision(fp32, { from: DataType.FLOAT, to: DataType.FLOAT16, keepFloat32: scalesKeptFloat32(fp32) });
    assert.equal(checkModel(fp16).errors, 0, `${format}: ${JSON.stringify(checkModel(fp16).findings)}`);
    assert.equal(fp16.graph!.inputs[0]!.type!.elemType, DataType.FLOAT);
    assert.ok(
      fp16.graph!.initializers.some((t) => t.dtype === DataType.FLOAT16),
      'biases are FP16',
    );
    const want = toF32(await run(fp32, 'images', x));
    const got = await run(fp16, 'images', x);
    assert.equal(got.type, 'float32');
    assert.ok(relErr(toF32(got), want) < 5e-3, `${format}: relative error ${relErr(toF32(got), want)}`);
  }
});

test('a graph with nothing of the source type comes back as is, unmodified', () => {
  const float = buildTinyDetector('float');
  const r = runPasses(float, [floatPrecisionPass({ from: DataType.FLOAT16, to: DataType.FLOAT })]);
  assert.equal(r.model, float);
  assert.equal(r.modified, false);
  assert.equal(runPasses(float, [floatPrecisionPass({ from: DataType.FLOAT, to: DataType.FLOAT16 })]).modified, true);
});

const v5 = join(sharedDataDir, 'models', 'yolov5n_fp16.onnx');
test('shared yolov5n_fp16: the FP32 working graph keeps the FP16 interface and matches the FP16 model', {
  skip: existsSync(v5) ? false : `skipped: ${v5} is absent`,
}, async () => {
  const model = loadModel(v5);
  const work = changeFloatPrecision(model, { from: DataType.FLOAT16, to: DataType.FLOAT });
  assert.equal(checkModel(work).errors, 0);
  assert.ok(work.graph!.initializers.every((t) => t.dtype !== DataType.FLOAT16));
  assert.equal(work.graph!.inputs[0]!.type!.elemType, DataType.FLOAT16);
  const rnd = seededRandom(8);
  const half = new ort.Tensor(
    'float16',
    Uint16Array.from({ length: 3 * 640 * 640 }, () => 0x3800 + Math.floor(rnd() * 0x3ff)),
    [1, 3, 640, 640],
  );
  const a = await run(model, 'images', half);
  const b = await run(work, 'images', half);
  assert.equal(b.type, 'float16');
  assert.ok(relErr(toF32(b), toF32(a)) < 2e-3, `relative error ${relErr(toF32(b), toF32(a))}`);
});
