import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { correctPlan } from '../../../src/quant/algorithms/correction.js';
import { simulatedModel } from '../../../src/export/simulated-model.js';
import { planActivations } from '../../../src/quant/calibration/activation-plan.js';
import { parsePlan, planToJson, type QuantPlan } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { measureSqnr } from '../../../src/quant/sqnr.js';
import { activationStep, referenceFakeQuant } from '../../reference-impl/index.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';
import { createSession } from '../../../src/runtime/session.js';

function inputs(n: number, seed: number): Array<Record<string, HostTensor>> {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3072 }, () => rnd() * 2 - 1) },
  }));
}

async function* feeds(list: Array<Record<string, HostTensor>>) {
  yield* list;
}

async function w4a8Plan(calib: Array<Record<string, HostTensor>>) {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a8, { keepFirstLast: false });
  const activations = await planActivations(model, weights, feeds(calib), { observer: 'minmax', mode: 'asymmetric', threads: 1 });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a8', modelSha256: '', weights, activations, float: [] };
  return { model, targets, plan };
}

async function run(bytes: Uint8Array, feed: Record<string, HostTensor>): Promise<Float32Array> {
  const s = await createSession(bytes, { graphOptimizationLevel: 'disabled', threads: 1 });
  const out = Object.values(await s.run(feed))[0]!.data as Float32Array;
  await s.dispose();
  return out;
}

test('simulated model computes what the exported QCDQ graph computes', async () => {
  const calib = inputs(4, 1);
  const { model, plan } = await w4a8Plan(calib);
  const sim = await run(modelToBytes(simulatedModel(model, plan).model), calib[0]!);
  const exported = await run(modelToBytes(exportModel(model, plan, { format: 'qcdq' })), calib[0]!);
  let worst = 0;
  for (let i = 0; i < sim.length; i++) worst = Math.max(worst, Math.abs(sim[i]! - exported[i]!));
  assert.ok(worst <= activationStep(model, plan), `max |sim − export| = ${worst}`);
});

test('error correction: corrected codes and biases, every format equals the TS reference, output nearer the float model, deterministic', async () => {
  const calib = inputs(16, 2);
  const { model, targets, plan } = await w4a8Plan(calib);
  const corrected = await correctPlan(model, plan, targets, () => feeds(calib), { simulate: simulatedModel, chunk: 2, threads: 1 });
  const convs = corrected.weights.filter((d) => d.opType === 'Conv');
  assert.ok(convs.length > 2);
  for (const d of convs) {
    assert.equal(d.bias?.length, d.shape[0]);
    assert.ok(d.algorithm.correction && d.algorithm.correction.ridges.length > 0, JSON.stringify(d.algorithm));
    assert.ok(Buffer.from(d.codes!, 'base64').every((b) => (b << 24) >> 24 >= -7 && (b << 24) >> 24 <= 7));
  }
  // The plan (with biases) survives JSON and re-applies.
  const reparsed = parsePlan(planToJson(corrected));
  const feed = inputs(1, 9)[0]!;
  const input = feed.images!;
  const want = Object.values(referenceFakeQuant(model, reparsed, { images: { dims: input.dims, data: input.data as Float32Array } }))[0]!
    .data as Float32Array;
  const step = activationStep(model, reparsed);
  for (const format of ['qcdq', 'qdq', 'int4'] as const) {
    const got = await run(modelToBytes(exportModel(model, reparsed, { format })), feed);
    let within = 0;
    for (let i = 0; i < got.length; i++) if (Math.abs(got[i]! - want[i]!) <= step) within++;
    assert.ok(within / got.length >= 0.99, `${format}: ${within}/${got.length} within one step`);
  }
  const fp = modelToBytes(model);
  const held = inputs(8, 3);
  const before = await measureSqnr(fp, modelToBytes(exportModel(model, plan, { format: 'qcdq' })), feeds(held), 1);
  const after = await measureSqnr(fp, modelToBytes(exportModel(model, corrected, { format: 'qcdq' })), feeds(held), 1);
  assert.ok(after.sqnrDb > before.sqnrDb, `corrected ${after.sqnrDb.toFixed(2)} dB vs ${before.sqnrDb.toFixed(2)} dB`);
  const again = await correctPlan(model, plan, targets, () => feeds(calib), { simulate: simulatedModel, chunk: 2, threads: 1 });
  assert.deepEqual(
    modelToBytes(exportModel(model, again, { format: 'int4' })),
    modelToBytes(exportModel(model, corrected, { format: 'int4' })),
  );
});

test('plan: a bias must be one number per output channel of a Conv', async () => {
  const { plan } = await w4a8Plan(inputs(2, 4));
  const bad = structuredClone(plan);
  bad.weights[0]!.bias = [1, 2];
  assert.throws(() => parsePlan(planToJson(bad)), /bias must be one number per output channel/);
});

test('error correction without activation quantization (W4A16): a stem reading the graph input itself is measured too', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, activations: [], float: [] };
  const calib = inputs(16, 6);
  const corrected = await correctPlan(model, plan, targets, () => feeds(calib), { simulate: simulatedModel, chunk: 4, threads: 1 });
  assert.ok(corrected.weights.every((d) => d.bias !== undefined));
  const fp = modelToBytes(model);
  const held = inputs(8, 7);
  const before = await measureSqnr(fp, modelToBytes(exportModel(model, plan, { format: 'qcdq' })), feeds(held), 1);
  const after = await measureSqnr(fp, modelToBytes(exportModel(model, corrected, { format: 'qcdq' })), feeds(held), 1);
  assert.ok(after.sqnrDb > before.sqnrDb, `corrected ${after.sqnrDb.toFixed(2)} dB vs ${before.sqnrDb.toFixed(2)} dB`);
});
