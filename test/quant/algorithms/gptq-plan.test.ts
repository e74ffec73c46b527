import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { planWeightsGptq } from '../../../src/quant/algorithms/gptq-plan.js';
import { searchActivationRanges } from '../../../src/quant/algorithms/range-search.js';
import { planActivations } from '../../../src/quant/calibration/activation-plan.js';
import type { QuantPlan, WeightDecision } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { measureSqnr } from '../../../src/quant/sqnr.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';

function inputs(n: number, seed: number): Array<Record<string, HostTensor>> {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => ({ images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3072 }, () => rnd() * 2 - 1) } }));
}

async function* feeds(list: Array<Record<string, HostTensor>>) { yield* list; }

function plan(weights: WeightDecision[]): QuantPlan {
  return { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, activations: [], float: [] };
}

test('GPTQ plan: codes recorded, every format exports, output SQNR beats RTN, byte-identical on a rerun', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false });
  const calib = inputs(8, 1);
  const gptq = await planWeightsGptq(model, targets, weights, feeds(calib), { threads: 1 });
  assert.ok(gptq.every((d) => d.algorithm.startsWith('gptq') && typeof d.codes === 'string'));
  const again = await planWeightsGptq(model, targets, weights, feeds(calib), { threads: 1 });
  const a = modelToBytes(exportModel(model, plan(gptq), { format: 'int4' }));
  const b = modelToBytes(exportModel(model, plan(again), { format: 'int4' }));
  assert.deepEqual(a, b);
  const fp = modelToBytes(model);
  const held = inputs(4, 2);
  const sRtn = await measureSqnr(fp, modelToBytes(exportModel(model, plan(weights), { format: 'qcdq' })), feeds(held), 1);
  const sGptq = await measureSqnr(fp, modelToBytes(exportModel(model, plan(gptq), { format: 'qcdq' })), feeds(held), 1);
  assert.ok(sGptq.sqnrDb > sRtn.sqnrDb, `gptq ${sGptq.sqnrDb} dB vs rtn ${sRtn.sqnrDb} dB`);
});

test('GPTQ plan with blocked scales keeps the blocked layout and the scale count', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false, granularity: { blockSize: 32 } });
  const gptq = await planWeightsGptq(model, targets, weights, feeds(inputs(4, 3)), { threads: 1 });
  for (const [i, d] of gptq.entries()) {
    assert.deepEqual(d.granularity, weights[i]!.granularity);
    assert.equal(d.scales.length, weights[i]!.scales.length);
  }
});

test('range search picks, per activation, a candidate no worse downstream than min/max', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a8, {});
  const calib = inputs(4, 4);
  const base = await planActivations(model, weights, feeds(calib), { observer: 'minmax', mode: 'asymmetric', threads: 1 });
  const searched = await searchActivationRanges(model, weights, base, feeds(calib), feeds(calib), { mode: 'asymmetric', threads: 1 });
  assert.equal(searched.length, base.length);
  for (const [i, a] of searched.entries()) {
    assert.equal(a.value, base[i]!.value);
    assert.ok(a.range[1] <= base[i]!.range[1] + 1e-6 && a.range[0] >= base[i]!.range[0] - 1e-6);
  }
});
