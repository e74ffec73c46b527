import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, modelToBytes, saveModel, modelFromBytes } from '../../../src/onnx/serde/model-io.js';
import { ModelProtoSchema, equals, fromBinary } from '../../../src/onnx/serde/schemas.js';
import { corpusDir, sharedDataDir } from '../../helpers/paths.js';

function protosEqual(a: Uint8Array, b: Uint8Array): boolean {
  return equals(ModelProtoSchema, fromBinary(ModelProtoSchema, a), fromBinary(ModelProtoSchema, b));
}

const corpus = readdirSync(corpusDir).filter((f) => f.endsWith('.onnx'));

for (const file of corpus) {
  test(`corpus ${file}: written by onnx's C++ serializer, comes back byte for byte`, () => {
    const path = join(corpusDir, file);
    const out = modelToBytes(loadModel(path));
    assert.ok(Buffer.from(out).equals(readFileSync(path)));
  });
}

test('external data: save into a new folder rewrites the model and its side file identically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-ext-'));
  const model = loadModel(join(corpusDir, 'external.onnx'));
  assert.ok(model.graph!.initializers.every((t) => (t.external && t.data.byteLength > 0) || t.name === 'small'));
  saveModel(model, join(dir, 'external.onnx'));
  assert.ok(readFileSync(join(dir, 'external.onnx')).equals(readFileSync(join(corpusDir, 'external.onnx'))));
  assert.ok(readFileSync(join(dir, 'external.onnx.data')).equals(readFileSync(join(corpusDir, 'external.onnx.data'))));
  assert.deepEqual(readdirSync(dir).sort(), ['external.onnx', 'external.onnx.data']);
});

test('external data: an inline model can be split into model + data file and read back equal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-ext-'));
  const src = loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx'));
  const before = modelToBytes(src);
  saveModel(src, join(dir, 'm.onnx'), { externalData: { location: 'm.data', sizeThreshold: 16 } });
  assert.ok(existsSync(join(dir, 'm.data')));
  const back = loadModel(join(dir, 'm.onnx'));
  for (const t of back.graph!.initializers) {
    const orig = loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx')).graph!.initializers.find((x) => x.name === t.name)!;
    assert.ok(Buffer.from(t.data).equals(Buffer.from(orig.data)), t.name);
    assert.equal((t.external?.offset ?? -1) % 4096, 0);
  }
  assert.ok(before.byteLength > readFileSync(join(dir, 'm.onnx')).byteLength);
});

test('typed-field and raw_data encodings of the same values decode to the same bytes', () => {
  const model = loadModel(join(corpusDir, 'all_dtypes.onnx'));
  const byName = new Map(model.graph!.initializers.map((t) => [t.name, t]));
  let pairs = 0;
  for (const [name, typed] of byName) {
    if (!name.endsWith('_typed')) continue;
    const raw = byName.get(name.replace(/_typed$/, '_raw'));
    if (!raw) continue;
    assert.notEqual(typed.field, 'raw_data', name);
    assert.equal(raw.field, 'raw_data', name);
    assert.ok(Buffer.from(typed.data).equals(Buffer.from(raw.data)), `${name}: typed and raw bytes differ`);
    pairs++;
  }
  assert.ok(pairs >= 18, `only ${pairs} pairs`);
});

for (const file of ['yolox_nano.onnx', 'yolov5n_fp16.onnx']) {
  const path = join(sharedDataDir, 'models', file);
  test(`shared ${file} round-trips byte for byte`, { skip: existsSync(path) ? false : `skipped: ${path} is absent` }, () => {
    const bytes = readFileSync(path);
    const out = modelToBytes(modelFromBytes(bytes));
    assert.ok(Buffer.from(out).equals(bytes));
    assert.ok(protosEqual(out, bytes));
  });
}
