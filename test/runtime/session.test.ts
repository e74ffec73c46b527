import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { saveModel, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { epAvailability } from '../../src/runtime/ep-availability.js';
import { hostTensor } from '../../src/runtime/host-tensor.js';
import { createSession, ortEnvironment } from '../../src/runtime/session.js';
import { fp16AddModel, matmulReluModel } from '../helpers/tiny-onnx.js';

test('a session from a file path runs a model built with GraphBuilder', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'yoloq-session-')), 'mm.onnx');
  saveModel(matmulReluModel(), path);
  const s = await createSession(path, { threads: 1, graphOptimizationLevel: 'basic' });
  try {
    assert.deepEqual(s.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 4] }]);
    assert.deepEqual(s.outputs, [{ name: 'y', dtype: 'float32', shape: [1, 4] }]);
    const out = await s.run({ x: hostTensor('float32', [1, 4], new Float32Array([1, 2, 3, -40])) });
    // x·W column j = Σ x_i (4i + j) = 4·Σ i·x_i + j·Σ x_i = 4·(2 + 6 − 120) + j·(−34) = −448 − 34j → relu → 0
    assert.deepEqual([...out.y!.data], [0, 0, 0, 0]);
    const pos = await s.run({ x: hostTensor('float32', [1, 4], new Float32Array([1, 2, 3, 4])) });
    assert.deepEqual([...pos.y!.data], [80, 90, 100, 110]);
    assert.deepEqual(pos.y!.dims, [1, 4]);
  } finally {
    await s.dispose();
  }
});

test('float16 tensors go in and come out as Uint16Array bit patterns', async () => {
  const s = await createSession(fp16AddModel());
  try {
    const out = await s.run({ x: hostTensor('float16', [2, 3], new Uint16Array([0x3c00, 0x4000, 0, 0xbc00, 0x3800, 0x4200])) });
    assert.equal(out.y!.dtype, 'float16');
    assert.ok(out.y!.data instanceof Uint16Array);
    assert.deepEqual([...out.y!.data], [0x4000, 0x4200, 0x3c00, 0x0000, 0x3e00, 0x4400]); // 2, 3, 1, 0, 1.5, 4
  } finally {
    await s.dispose();
  }
});

test('bad model bytes and bad feeds are InputErrors', async () => {
  await assert.rejects(
    createSession(new Uint8Array([1, 2, 3, 4])),
    (e) => e instanceof InputError && /ONNX Runtime cannot load/.test(e.message),
  );
  const s = await createSession(modelToBytes(matmulReluModel()));
  try {
    await assert.rejects(s.run({ x: hostTensor('float32', [1, 3], new Float32Array(3)) }), InputError);
  } finally {
    await s.dispose();
  }
});

test('asking for an EP whose libraries are missing is one InputError line naming the remedy', async (t) => {
  if (epAvailability('cuda', ortEnvironment()).available) {
    t.skip('the CUDA EP libraries are installed here, so there is nothing missing to report');
    return;
  }
  await assert.rejects(createSession(modelToBytes(matmulReluModel()), { ep: 'cuda' }), (e) => {
    assert.ok(e instanceof InputError);
    assert.ok(!e.message.includes('\n'));
    assert.match(e.message, /execution provider 'cuda' is not available/);
    return true;
  });
});
