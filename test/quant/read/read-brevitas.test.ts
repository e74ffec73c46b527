import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../../src/check/check-model.js';
import { exportModel } from '../../../src/export/export-model.js';
import type { FormatName } from '../../../src/export/formats.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { readPlan } from '../../../src/quant/read/read-plan.js';
import { sha256 } from '../../../src/util/sha256.js';
import { seededRandom } from '../../../src/util/seeded-random.js';
import { repoRoot } from '../../helpers/paths.js';
import { canonicalPlan, runWithWeights, sameBits } from './helpers.js';

/**
 * A real Brevitas export_onnx_qcdq file (python/tests/make_ts_fixture.py; versions in the .json beside it): int8
 * codes → Clip → DequantizeLinear weights, one QuantizeLinear → DequantizeLinear pair per consuming layer (two
 * layers read one value through two pairs with the same scale). It reads into a plan whose exports compute what
 * the Brevitas graph computes.
 */
const fixture = join(repoRoot, 'test', 'brevitas', 'fixtures', 'tiny-w4a8.qcdq.onnx');
const made = JSON.parse(readFileSync(fixture.replace(/\.onnx$/, '.json'), 'utf8')) as { layers4bit: number; layers8bit: number };
const source = loadModel(fixture);
const read = readPlan(source);
const convs = source.graph!.nodes.filter((n) => n.opType === 'Conv').map((n) => [n.name!, 1] as [string, number]);
const rnd = seededRandom(11);
const feeds = {
  images: new ort.Tensor(
    'float32',
    Float32Array.from({ length: 3 * 64 * 64 }, () => rnd() * 255),
    [1, 3, 64, 64],
  ),
};

test('Brevitas QCDQ reads into a w4a8 plan with nothing kept', () => {
  assert.deepEqual(read.kept, []);
  assert.equal(read.plan.scheme, 'w4a8');
  assert.equal(read.plan.weights.filter((w) => w.bits === 4 && w.narrow).length, made.layers4bit);
  assert.equal(read.plan.weights.filter((w) => w.bits === 8 && w.narrow).length, made.layers8bit);
  assert.ok(read.plan.weights.every((w) => w.granularity.kind === 'per-channel' && w.codes && !w.zeroPoints));
  const pairs = source.graph!.nodes.filter((n) => n.opType === 'QuantizeLinear').length;
  const values = new Set(source.graph!.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.inputs[0]));
  assert.ok(values.size < pairs, 'the fixture has a value with two pairs');
  assert.equal(read.plan.activations.length, values.size);
  assert.ok(read.plan.activations.every((a) => !a.signed && a.readers === undefined));
  assert.ok(!read.float.graph!.nodes.some((n) => ['QuantizeLinear', 'DequantizeLinear', 'Clip'].includes(n.opType)));
  assert.equal(read.plan.modelSha256, sha256(modelToBytes(read.float)));
  assert.equal(checkModel(read.float).errors, 0);
});

for (const format of ['qcdq', 'qdq', 'int4', 'int4-cuda'] as FormatName[]) {
  test(`its plan exported as ${format} computes what Brevitas' graph computes, weights bit for bit`, async () => {
    const out = exportModel(read.float, read.plan, { format });
    assert.equal(checkModel(out).errors, 0);
    const a = await runWithWeights(source, feeds, convs);
    const b = await runWithWeights(out, feeds, convs);
    for (const [node] of convs) assert.ok(sameBits(a.weights.get(node)!, b.weights.get(node)!), node);
    assert.ok(sameBits(a.outputs[0]!, b.outputs[0]!), 'outputs');
    // And it reads back into the same plan.
    const again = readPlan(out);
    assert.deepEqual(canonicalPlan(again.plan, again.float), canonicalPlan(read.plan, read.float));
  });
}
