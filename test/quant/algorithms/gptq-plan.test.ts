import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { planWeightsGptq } from '../../../src/quant/algorithms/gptq-plan.js';
import { searchActivationRanges } from '../../../src/quant/algorithms/range-search.js';
import { planActivations } from '../../../src/quant/calibration/activation-plan.js';
import { checkModel } from '../../../src/check/check-model.js';
import { convertToInt4 } from '../../../src/export/convert-to-int4.js';
import { inspectModel } from '../../../src/inspect/inspect-model.js';
import { parsePlan, planToJson, type QuantPlan, type WeightDecision } from '../../../src/quant/plan.js';
import { referenceFakeQuant } from '../../reference-impl/index.js';
import { createSession } from '../../../src/runtime/session.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { measureSqnr } from '../../../src/quant/sqnr.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';

function inputs(n: number, seed: number): Array<Record<string, HostTensor>> {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3072 }, () => rnd() * 2 - 1) },
  }));
}

async function* feeds(list: Array<Record<string, HostTensor>>) {
  yield* list;
}

async function run(bytes: Uint8Array, feed: Record<string, HostTensor>): Promise<Float32Array> {
  const s = await createSession(bytes, { graphOptimizationLevel: 'disabled', threads: 1 });
  const out = Object.values(await s.run(feed))[0]!.data as Float32Array;
  await s.dispose();
  return out;
}

function plan(weights: WeightDecision[]): QuantPlan {
  return { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, activations: [], float: [] };
}

test('GPTQ plan: codes recorded, every format exports, output SQNR beats RTN, byte-identical on a rerun', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false });
  const calib = inputs(8, 1);
  const gptq = await planWeightsGptq(model, targets, weights, feeds(calib), { threads: 1 });
  assert.ok(gptq.every((d) => d.algorithm.name === 'gptq' && typeof d.codes === 'string'));
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
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false, granularity: { kind: 'blocked', blockSize: 32 } });
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

test('asymmetric GPTQ plan: zero points recorded; QCDQ, QDQ, INT4 and the CUDA layout all compute the TS reference; survives JSON and convert', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: true });
  const asym = await planWeightsGptq(model, targets, weights, feeds(inputs(8, 5)), { threads: 1, asymmetric: true });
  const four = asym.filter((d) => d.bits === 4);
  assert.ok(
    four.length > 0 &&
      four.every(
        (d) => d.narrow === false && d.zeroPoints?.length === d.scales.length && d.algorithm.name === 'gptq' && d.algorithm.asymmetric,
      ),
  );
  assert.ok(
    four.some((d) => d.zeroPoints!.some((z) => z !== 0)),
    'some rows off-centre',
  );
  assert.ok(
    asym.filter((d) => d.bits === 8).every((d) => d.zeroPoints === undefined && d.narrow),
    '8-bit layers stay symmetric',
  );
  const p = parsePlan(planToJson(plan(asym)));
  assert.deepEqual(p.weights, asym);
  const feed = inputs(1, 6)[0]!;
  const x = feed.images!;
  const want = Object.values(referenceFakeQuant(model, p, { images: { dims: x.dims, data: x.data as Float32Array } }))[0]!
    .data as Float32Array;
  const tol = 1e-5 * want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const close = (got: Float32Array, what: string) => {
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    assert.ok(worst <= tol, `${what}: max |ORT − reference| = ${worst} > ${tol}`);
  };
  const exports = {
    qcdq: exportModel(model, p, { format: 'qcdq' }),
    qdq: exportModel(model, p, { format: 'qdq' }),
    int4: exportModel(model, p, { format: 'int4' }),
    'int4 cuda': exportModel(model, p, { format: 'int4-cuda' }),
  };
  for (const [name, m] of Object.entries(exports)) {
    assert.equal(checkModel(m).errors, 0, `${name}: ${JSON.stringify(checkModel(m).findings)}`);
    close(await run(modelToBytes(m), feed), name);
  }
  const rows = inspectModel(exports.qcdq).weights;
  assert.equal(rows.filter((r) => r.asymmetric).length, four.filter((d) => d.zeroPoints!.some((z) => z !== 0)).length);
  assert.ok(rows.filter((r) => r.asymmetric).every((r) => r.bits === 4));
  const converted = convertToInt4(exports.qcdq, { cudaLayout: true });
  assert.equal(converted.converted.length, four.length);
  assert.ok(
    inspectModel(converted.model)
      .weights.filter((r) => r.bits === 4)
      .every((r) => r.storage === 'INT4' && r.blockedPerChannel),
  );
  close(await run(modelToBytes(converted.model), feed), 'qcdq → int4 (CUDA layout)');
});

test('plan validation: zero points need codes, narrow false, one per scale, in range', () => {
  const base: WeightDecision = {
    node: 'c',
    opType: 'Conv',
    input: 1,
    tensor: 'w',
    shape: [2, 1, 1, 1],
    bits: 4,
    narrow: false,
    granularity: { kind: 'per-channel', axis: 0 },
    scales: [0.1, 0.2],
    zeroPoints: [-8, 7],
    codes: Buffer.from([0, 1]).toString('base64'),
    algorithm: { name: 'gptq', damp: 0.01, actOrder: true, clipSearch: true, asymmetric: true },
    reason: 'test',
  };
  const parse = (d: Partial<WeightDecision>) => parsePlan(planToJson(plan([{ ...base, ...d } as WeightDecision])));
  assert.deepEqual(parse({}).weights[0]!.zeroPoints, [-8, 7]);
  assert.throws(() => parse({ zeroPoints: [0] }), /one zero point per scale/);
  assert.throws(() => parse({ zeroPoints: [0, 8] }), /integers in \[-8, 7\]/);
  assert.throws(() => parse({ narrow: true }), /"narrow": false and explicit "codes"/);
  assert.throws(() => parse({ codes: undefined }), /"narrow": false and explicit "codes"/);
});
