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

function plan(blockScales: 'uint8' | 'e4m3' | 'float32'): QuantPlan {
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

for (const [format, codes] of [
  ['int4-compact', 'uint8'],
  ['int4-compact-fp8', 'e4m3'],
] as const) {
  test(`${format} reads back into the same plan (codes, scales, ${codes} block-scale codes, second-level scales)`, () => {
    const p = plan(codes);
    const read = readPlan(exportModel(buildTinyDetector('float'), p, { format }));
    assert.deepEqual(read.kept, []);
    const byNode = new Map(read.plan.weights.map((w) => [w.node, w]));
    for (const w of p.weights) {
      const r = byNode.get(w.node)!;
      assert.deepEqual(r.scales, w.scales, w.node);
      assert.deepEqual(r.blockScales, w.blockScales, w.node);
    }
  });
}

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

test('int4-compact-fp8: E4M3 block-scale codes → DequantizeLinear against one tensor scale; same outputs as int4 from the same plan', async () => {
  const p = plan('e4m3');
  const twoLevel = p.weights.filter((w) => w.blockScales);
  // One scale serves the whole tensor, so every blocked 4-bit weight takes codes, rows of one block included.
  assert.equal(twoLevel.length, p.weights.filter((w) => w.granularity.kind === 'blocked' && w.bits <= 4).length);
  for (const w of twoLevel) {
    assert.equal(w.blockScales!.codeType, 'e4m3');
    assert.equal(w.blockScales!.rowScales.length, 1);
  }
  const float = buildTinyDetector('float');
  const fp8 = exportModel(float, p, { format: 'int4-compact-fp8' });
  const single = exportModel(float, p, { format: 'int4' });
  assert.equal(checkModel(fp8).errors, 0);
  const codes = fp8.graph!.initializers.filter((t) => t.dtype === 17 /* FLOAT8E4M3FN */);
  assert.equal(codes.length, twoLevel.length);
  const scaleDq = fp8.graph!.nodes.filter((n) => n.opType === 'DequantizeLinear' && codes.some((t) => t.name === n.inputs[0]));
  for (const n of scaleDq) assert.deepEqual(fp8.graph!.initializers.find((t) => t.name === n.inputs[1])!.dims, [], 'one scale per tensor');
  // ORT's CPU EP dequantizes the FP8 codes exactly as the plan rebuilds them.
  assert.deepEqual(Array.from(await runTiny(fp8, input)), Array.from(await runTiny(single, input)));
  const folded = runPasses(fp8, [foldWeightDequantizePass()]).model;
  assert.equal(folded.graph!.nodes.filter((n) => n.opType === 'DequantizeLinear').length, 0);
  assert.deepEqual(Array.from(await runTiny(folded, input)), Array.from(await runTiny(single, input)));
  // Fewer bits than uint8 codes with a float32 scale per row.
  assert.ok(inspectModel(fp8).bitsPerWeight < inspectModel(exportModel(float, plan('uint8'), { format: 'int4-compact' })).bitsPerWeight);
});

test('a two-level format refuses a plan with the other code type, naming the format that stores it', () => {
  const float = buildTinyDetector('float');
  assert.throws(
    () => exportModel(float, plan('uint8'), { format: 'int4-compact-fp8' }),
    (e: unknown) =>
      e instanceof InputError &&
      /has uint8 block-scale codes: --format int4-compact-fp8 stores e4m3 ones.*--format int4-compact or/.test(e.message),
  );
  assert.throws(
    () => exportModel(float, plan('e4m3'), { format: 'int4-compact' }),
    (e: unknown) =>
      e instanceof InputError &&
      /has e4m3 block-scale codes: --format int4-compact stores uint8 ones.*--format int4-compact-fp8/.test(e.message),
  );
});

test('inspect: bits per weight, all in, by hand for an e4m3 two-level layer', () => {
  const p = plan('e4m3');
  const r = inspectModel(exportModel(buildTinyDetector('float'), p, { format: 'int4-compact-fp8' }));
  for (const w of p.weights.filter((x) => x.blockScales)) {
    const row = r.weights.find((x) => x.node === w.node)!;
    const n = w.shape.reduce((a, b) => a * b, 1);
    // INT4 codes + one E4M3 code per block + one float32 scale for the tensor.
    const expected = (4 * n + 8 * w.scales.length + 32) / n;
    assert.ok(Math.abs(row.bitsPerWeight - expected) < 1e-9, `${w.node}: ${row.bitsPerWeight} vs ${expected}`);
  }
});
