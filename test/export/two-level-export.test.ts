import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkModel } from '../../src/check/check-model.js';
import { InputError } from '../../src/errors.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { exportModel } from '../../src/export/export-model.js';
import { FORMAT_CAPABILITIES } from '../../src/export/formats.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { runPasses } from '../../src/onnx/passes/pass-manager.js';
import { foldWeightDequantizePass } from '../../src/onnx/passes/fold-weight-dequantize.js';
import { checkFormatRequest } from '../../src/quant/formats/capabilities.js';
import type { QuantPlan } from '../../src/quant/plan.js';
import { planWeightsRtn } from '../../src/quant/policy/weight-policy.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { readPlan } from '../../src/quant/read/read-plan.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { runTiny, tinyInput } from '../helpers/run-tiny.js';

const input = tinyInput(3);

function plan(blockScales: 'uint8' | 'float32'): QuantPlan {
  const model = buildTinyDetector('float');
  const granularity = { kind: 'blocked', blockSize: 8 } as const;
  const { weights, float } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, { granularity, keepFirstLast: false, blockScales });
  return { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, float, activations: [] };
}

test('int4-compact: uint8 block-scale codes → DequantizeLinear → the weight DequantizeLinear; same outputs as int4 from the same plan', async () => {
  const p = plan('uint8');
  const twoLevel = p.weights.filter((w) => w.blockScales);
  assert.ok(twoLevel.length > 0, 'rows of more than one block get two-level scales');
  const float = buildTinyDetector('float');
  const compact = exportModel(float, p, { format: 'int4-compact' });
  const single = exportModel(float, p, { format: 'int4' });
  assert.equal(checkModel(compact).errors, 0);
  const dq = compact.graph!.nodes.filter((n) => n.opType === 'DequantizeLinear');
  const scaleDq = dq.filter((n) => compact.graph!.initializers.find((t) => t.name === n.inputs[0])?.dtype === 2 /* UINT8 */);
  assert.equal(scaleDq.length, twoLevel.length);
  assert.deepEqual(Array.from(await runTiny(compact, input)), Array.from(await runTiny(single, input)));
  // Loaded by yoloq: both levels folded into float weights, same numbers.
  const folded = runPasses(compact, [foldWeightDequantizePass()]).model;
  assert.equal(folded.graph!.nodes.filter((n) => n.opType === 'DequantizeLinear').length, 0);
  assert.deepEqual(Array.from(await runTiny(folded, input)), Array.from(await runTiny(single, input)));
  // Smaller: 8-bit block scales instead of 32.
  assert.ok(inspectModel(compact).bitsPerWeight < inspectModel(single).bitsPerWeight);
});

test('int4-compact reads back into the same plan (codes, scales, block-scale codes, row scales)', () => {
  const p = plan('uint8');
  const read = readPlan(exportModel(buildTinyDetector('float'), p, { format: 'int4-compact' }));
  assert.deepEqual(read.kept, []);
  const byNode = new Map(read.plan.weights.map((w) => [w.node, w]));
  for (const w of p.weights) {
    const r = byNode.get(w.node)!;
    assert.deepEqual(r.scales, w.scales, w.node);
    assert.deepEqual(r.blockScales, w.blockScales, w.node);
  }
});

test('int4-compact refuses what it cannot store: per-channel requests, plans with float32 block scales', () => {
  assert.throws(
    () => checkFormatRequest('int4-compact', FORMAT_CAPABILITIES, { granularity: { kind: 'per-channel' } }),
    (e: unknown) => e instanceof InputError && /stores two-level block scales; give --granularity block:N/.test(e.message),
  );
  assert.throws(
    () => exportModel(buildTinyDetector('float'), plan('float32'), { format: 'int4-compact' }),
    (e: unknown) => e instanceof InputError && /has float32 block scales: --format int4-compact stores two-level ones/.test(e.message),
  );
});

test('inspect: bits per weight, all in, by hand for one two-level layer', () => {
  const p = plan('uint8');
  const m = exportModel(buildTinyDetector('float'), p, { format: 'int4-compact' });
  const r = inspectModel(m);
  for (const w of p.weights.filter((x) => x.blockScales)) {
    const row = r.weights.find((x) => x.node === w.node)!;
    const n = w.shape.reduce((a, b) => a * b, 1);
    // INT4 codes + uint8 block-scale codes + float32 row scales.
    const expected = (4 * n + 8 * w.scales.length + 32 * w.shape[0]!) / n;
    assert.ok(Math.abs(row.bitsPerWeight - expected) < 1e-9, `${w.node}: ${row.bitsPerWeight} vs ${expected}`);
  }
});
