import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../../src/onnx/ir/tensor.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { runPasses } from '../../../src/onnx/passes/pass-manager.js';
import { constantAxes, shrinkBroadcastConstantsPass } from '../../../src/onnx/passes/shrink-broadcast-constants.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { checkModel } from '../../../src/check/check-model.js';
import { sharedDataDir } from '../../helpers/paths.js';

function shrinkBroadcastConstants(m: Model, minBytes?: number): { model: Model; modified: boolean; shrunk: number } {
  const r = runPasses(m, [shrinkBroadcastConstantsPass(minBytes === undefined ? {} : { minBytes })]);
  return { model: r.model, modified: r.modified, shrunk: r.ran[0]!.counts!.shrunk! };
}

test('constantAxes finds the axes a tensor repeats along (hand-checked)', () => {
  // [2,3,2]: value depends only on axis 2 → constant along 0 and 1.
  const t = makeTensor('t', DataType.FLOAT, [2, 3, 2], [1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  assert.deepEqual(constantAxes(t), [0, 1]);
  const u = makeTensor('u', DataType.FLOAT, [2, 2], [1, 2, 3, 4]);
  assert.deepEqual(constantAxes(u), []);
});

test('a broadcast table becomes a small constant + Expand with identical outputs', async () => {
  const b = new GraphBuilder('grid');
  const x = b.input('x', DataType.FLOAT, [1, 3, 40, 40, 2]);
  const anchors = Float32Array.from({ length: 3 * 40 * 40 * 2 }, (_, i) => [10, 13, 16, 30, 33, 23][Math.floor(i / 3200) * 2 + (i % 2)]!);
  const a = b.constant('anchor_grid', DataType.FLOAT, [1, 3, 40, 40, 2], anchors);
  b.node('Mul', [x, a], ['y']);
  b.output('y', DataType.FLOAT, [1, 3, 40, 40, 2]);
  const m = b.model(13);
  const { model, shrunk } = shrinkBroadcastConstants(m);
  assert.equal(shrunk, 1);
  assert.equal(checkModel(model).errors, 0);
  assert.ok(modelToBytes(model).byteLength < modelToBytes(m).byteLength / 100);
  const feed = {
    x: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 9600 }, (_, i) => i / 9600),
      [1, 3, 40, 40, 2],
    ),
  };
  const run = async (mm: typeof m) => {
    const s = await ort.InferenceSession.create(modelToBytes(mm));
    const o = await s.run(feed);
    await s.release();
    return o.y!.data;
  };
  assert.deepEqual(await run(model), await run(m));
  const small = shrinkBroadcastConstants(m, 1 << 20);
  assert.deepEqual([small.model === m, small.modified, small.shrunk], [true, false, 0], 'below minBytes nothing changes');
});

const v5 = join(sharedDataDir, 'models', 'yolov5n_fp16.onnx');
test('shared yolov5n_fp16: anchor grids shrink and outputs stay identical', {
  skip: existsSync(v5) ? false : `skipped: ${v5} is absent`,
}, async () => {
  const m = loadModel(v5);
  const { model, shrunk } = shrinkBroadcastConstants(m);
  assert.ok(shrunk >= 3, `shrunk ${shrunk}`);
  const feed = { images: new ort.Tensor('float16', new Uint16Array(3 * 640 * 640).fill(0x3800), [1, 3, 640, 640]) };
  const run = async (mm: typeof m) => {
    const s = await ort.InferenceSession.create(modelToBytes(mm));
    const o = await s.run(feed);
    await s.release();
    return Object.values(o)[0]!.data;
  };
  assert.deepEqual(await run(model), await run(m));
  assert.ok(modelToBytes(model).byteLength < modelToBytes(m).byteLength - 100_000);
});
