import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { removeInitializerInputsPass } from '../../../src/onnx/passes/remove-initializer-inputs.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { corpusDir } from '../../helpers/paths.js';

const ir3 = (): Model => loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx'));

test('IR-3 models are left alone: their initializers must stay graph inputs', () => {
  const m = ir3();
  const r = removeInitializerInputsPass().run(m);
  assert.equal(r.modified, false);
  assert.equal(r.model, m);
  const noVersion = { ...m, irVersion: undefined };
  assert.equal(removeInitializerInputsPass().run(noVersion).model, noVersion);
});

test('IR ≥ 4: initializer-backed inputs are dropped (except those in keep) and ORT no longer lists them', async () => {
  const m: Model = { ...ir3(), irVersion: 7 };
  const r = removeInitializerInputsPass().run(m);
  assert.equal(r.modified, true);
  assert.deepEqual(
    r.model.graph!.inputs.map((v) => v.name),
    ['x'],
  );
  assert.deepEqual(
    m.graph!.inputs.map((v) => v.name),
    ['x', 'w', 'b'],
    'the input model is untouched',
  );
  assert.equal(r.model.graph!.initializers, m.graph!.initializers);
  const kept = removeInitializerInputsPass({ keep: ['b'] }).run(m);
  assert.deepEqual(
    kept.model.graph!.inputs.map((v) => v.name),
    ['x', 'b'],
  );
  assert.equal(removeInitializerInputsPass().run(r.model).modified, false);

  const session = await ort.InferenceSession.create(modelToBytes(r.model));
  assert.deepEqual(session.inputNames, ['x']);
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(3 * 64), [1, 3, 8, 8]) });
  assert.deepEqual(out.y!.dims, [1, 4, 8, 8]);
  await session.release();
});
