import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkModel } from '../../src/check/check-model.js';
import { convertToInt4 } from '../../src/export/convert-to-int4.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { loadModel, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { createSession } from '../../src/runtime/session.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * A real Brevitas export (export_onnx_qcdq, opset 13) of the tiny detector after W4A8 surgery, calibration, bias
 * correction and one QAT step, made by python/tests/make_ts_fixture.py (versions in the .json beside it): yoloq
 * takes it over like its own QCDQ output.
 */
const fixture = join(repoRoot, 'test', 'brevitas', 'fixtures', 'tiny-w4a8.qcdq.onnx');
const made = JSON.parse(readFileSync(fixture.replace(/\.onnx$/, '.json'), 'utf8')) as {
  layers4bit: number;
  layers8bit: number;
  brevitas: string;
};

async function run(model: Uint8Array | string, seed: number): Promise<Float32Array> {
  const s = await createSession(model);
  const data = new Float32Array(3 * 64 * 64);
  let x = seed;
  for (let i = 0; i < data.length; i++) data[i] = ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 255;
  const out = await s.run({ images: { dtype: 'float32', dims: [1, 3, 64, 64], data } });
  await s.dispose();
  return out.output!.data as Float32Array;
}

test('yoloq check passes the Brevitas export', () => {
  const r = checkModel(loadModel(fixture));
  assert.equal(r.errors, 0, JSON.stringify(r.findings));
});

test('yoloq inspect reports its 4-bit per-channel weights and 8-bit stem and heads', () => {
  const r = inspectModel(loadModel(fixture));
  const bits = r.weights.map((w) => w.bits);
  assert.equal(bits.filter((b) => b === 4).length, made.layers4bit);
  assert.equal(bits.filter((b) => b === 8).length, made.layers8bit);
  assert.ok(r.weights.every((w) => w.format === 'qcdq' && w.granularity.kind === 'per-channel'));
  assert.ok(r.conv.percentAt4Bits > 50);
});

test('yoloq convert --to int4 accepts it: 4-bit weights become INT4, outputs unchanged', async () => {
  const src = loadModel(fixture);
  const { model, converted, kept } = convertToInt4(src);
  assert.equal(converted.length, made.layers4bit);
  assert.equal(kept.length, made.layers8bit);
  assert.ok(kept.every((k) => /8-bit/.test(k.reason)));
  assert.equal(checkModel(model).errors, 0);
  assert.ok(inspectModel(model).weights.filter((w) => w.storage === 'INT4').length === made.layers4bit);
  const a = await run(fixture, 7);
  const b = await run(modelToBytes(model), 7);
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  assert.ok(maxDiff < 1e-5, `INT4 twin differs by ${maxDiff}`);
});
