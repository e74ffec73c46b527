import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { loadModel, loadModelBytes, modelFromBytes, saveModel } from '../../../src/onnx/serde/model-io.js';
import { createSession } from '../../../src/runtime/session.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-model-io-'));

function tensorBytes(path: string): Map<string, string> {
  return new Map(loadModel(path).graph!.initializers.map((t) => [t.name, Buffer.from(t.data).toString('hex')]));
}

test('a model whose inline tensors pass the limit is written with external data beside it (limit injected small)', async () => {
  const inline = join(dir, 'inline.onnx');
  const big = join(dir, 'big.onnx');
  saveModel(buildTinyDetector('float'), inline);
  saveModel(buildTinyDetector('float'), big, { inlineLimit: 2000 });
  assert.deepEqual(readdirSync(dir).sort(), ['big.onnx', 'big.onnx.data', 'inline.onnx']);
  assert.ok(statSync(big).size < statSync(inline).size / 2, 'the weights left the model file');
  assert.deepEqual(tensorBytes(big), tensorBytes(inline));
  // ONNX Runtime finds the side file next to the model.
  const s = await createSession(big, { threads: 1 });
  await s.dispose();
  // Under the limit nothing changes: the same bytes as before.
  saveModel(buildTinyDetector('float'), join(dir, 'under.onnx'), { inlineLimit: 1e9 });
  assert.ok(readFileSync(join(dir, 'under.onnx')).equals(readFileSync(inline)));
});

test('loadModelBytes: a plain model comes back byte for byte; an external-data one self-contained, read next to the model', () => {
  const inline = join(dir, 'inline.onnx');
  assert.ok(Buffer.from(loadModelBytes(inline)).equals(readFileSync(inline)));
  const cwd = process.cwd();
  try {
    process.chdir(tmpdir()); // never the working directory
    const bytes = loadModelBytes(join(dir, 'big.onnx'));
    const m = modelFromBytes(bytes);
    assert.ok(m.graph!.initializers.every((t) => !t.external && t.data.byteLength > 0));
    const want = tensorBytes(inline);
    for (const t of m.graph!.initializers) assert.equal(Buffer.from(t.data).toString('hex'), want.get(t.name), t.name);
    // Deterministic: the same self-contained bytes every time (a plan's modelSha256 names them).
    assert.ok(Buffer.from(loadModelBytes(join(dir, 'big.onnx'))).equals(Buffer.from(bytes)));
  } finally {
    process.chdir(cwd);
  }
});

test('a missing or short side file is one InputError naming it', () => {
  const m = join(dir, 'lost.onnx');
  saveModel(buildTinyDetector('float'), m, { inlineLimit: 2000 });
  writeFileSync(`${m}.data`, Buffer.alloc(10));
  assert.throws(
    () => loadModelBytes(m),
    (e: unknown) => e instanceof InputError && /lies past the end of lost\.onnx\.data/.test(e.message),
  );
  rmSync(`${m}.data`);
  assert.throws(
    () => loadModel(m),
    (e: unknown) => e instanceof InputError && e.message.includes(`${m}.data cannot be read`),
  );
});
