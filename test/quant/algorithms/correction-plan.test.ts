import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { correctPlan } from '../../../src/quant/algorithms/correction.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { toFloat32 } from '../../../src/onnx/ir/tensor.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { collectCorrectionStats, simCut } from '../../../src/quant/algorithms/correction-stats.js';
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

test('error correction: a bias fed through Identity nodes (deduplicated initializers) is corrected like any other', async () => {
  const model = buildTinyDetector('float');
  const g = model.graph!;
  const convs = g.nodes.filter((n) => n.opType === 'Conv' && n.inputs[2]);
  assert.ok(convs.length >= 2);
  // Two Convs read their bias through a chain of two Identity nodes, as PyTorch's exporter writes shared constants.
  const routed = convs.slice(0, 2).map((n, i) => {
    const bias = n.inputs[2]!;
    const mid = `${bias}_id_a${i}`;
    const out = `${bias}_id_b${i}`;
    n.inputs[2] = out;
    return [
      { name: `Identity_a${i}`, opType: 'Identity', inputs: [bias], outputs: [mid], attributes: [] },
      { name: `Identity_b${i}`, opType: 'Identity', inputs: [mid], outputs: [out], attributes: [] },
    ];
  });
  g.nodes.unshift(...routed.flat());
  const targets = findQuantTargets(model);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: '', weights, activations: [], float: [] };
  const corrected = await correctPlan(model, plan, targets, () => feeds(inputs(8, 13)), { simulate: simulatedModel, chunk: 4, threads: 1 });
  for (const n of convs.slice(0, 2)) {
    const d = corrected.weights.find((w) => w.node === n.name);
    assert.ok(d?.bias && d.algorithm.correction, `${n.name} was not corrected`);
  }
  // The exported graph reads each corrected bias from an initializer holding exactly the plan's values, and runs.
  const exported = exportModel(model, corrected, { format: 'qdq' });
  const eg = exported.graph!;
  for (const n of convs.slice(0, 2)) {
    const node = eg.nodes.find((x) => x.name === n.name)!;
    const init = eg.initializers.find((t) => t.name === node.inputs[2]);
    assert.ok(init, `${n.name} bias ${node.inputs[2]} is not an initializer`);
    const d = corrected.weights.find((w) => w.node === n.name)!;
    assert.deepEqual(Array.from(toFloat32(init)), d.bias!.map(Math.fround));
  }
  const out = await run(modelToBytes(exported), inputs(1, 14)[0]!);
  assert.ok(out.length > 0 && out.every(Number.isFinite));
});

test('error correction: one shared float pass gives byte for byte the plan the per-chunk float model gives', async () => {
  const calib = inputs(6, 11);
  const { model, targets, plan } = await w4a8Plan(calib);
  const w4a16: QuantPlan = {
    ...plan,
    scheme: 'w4a16',
    weights: planWeightsRtn(targets, SCHEMES.w4a16, { keepFirstLast: false }).weights,
    activations: [],
  };
  for (const p of [plan, w4a16]) {
    for (const chunk of [1, 3]) {
      const options = { simulate: simulatedModel, chunk, threads: 1 };
      const shared = await correctPlan(model, p, targets, () => feeds(calib), options);
      const separate = await correctPlan(model, p, targets, () => feeds(calib), { ...options, shareFloat: false });
      assert.notEqual(planToJson(shared), planToJson(p), 'correction changed nothing: the comparison would be empty');
      assert.equal(planToJson(shared), planToJson(separate), `${p.scheme}, chunk ${chunk}`);
    }
  }
});

test('error correction: the shared path decodes the calibration images once, not once per chunk', async () => {
  const calib = inputs(4, 12);
  const { model, targets, plan } = await w4a8Plan(calib);
  let passes = 0;
  const counted = () => {
    passes++;
    return feeds(calib);
  };
  await correctPlan(model, plan, targets, counted, { simulate: simulatedModel, chunk: 1, threads: 1 });
  assert.equal(passes, 1);
  passes = 0;
  await correctPlan(model, plan, targets, counted, { simulate: simulatedModel, chunk: 1, threads: 1, shareFloat: false });
  assert.ok(passes > 2, `${passes} passes with one chunk per layer`);
});

test('error correction: past its disk budget the float cache is dropped and the per-chunk path gives the same plan', async () => {
  const calib = inputs(4, 13);
  const { model, targets, plan } = await w4a8Plan(calib);
  let passes = 0;
  const counted = () => {
    passes++;
    return feeds(calib);
  };
  const options = { simulate: simulatedModel, chunk: 1, threads: 1 };
  const shared = await correctPlan(model, plan, targets, counted, options);
  assert.equal(passes, 1);
  passes = 0;
  const overBudget = await correctPlan(model, plan, targets, counted, { ...options, cacheBytes: 1 });
  // One abandoned float pass (it stops at the first image), then every chunk from the images.
  assert.ok(passes > 2, `${passes} passes`);
  assert.equal(planToJson(overBudget), planToJson(shared));
});

test('error correction: a pass runs only what the chunk before it changed, and hands on what later passes read', async () => {
  const calib = inputs(2, 13);
  const { model, targets, plan } = await w4a8Plan(calib);
  const layers = targets.filter((t) => t.opType === 'Conv').sort((a, b) => a.nodeIndex - b.nodeIndex);
  const names = layers.map((t) => t.node);
  assert.deepEqual(names, ['stem', 'dw', 'down', 'head']);
  const sim = simulatedModel(model, plan, new Set(names));
  const g = sim.model.graph!;
  const producer = (v: string) => g.nodes.findIndex((n) => n.outputs.includes(v));
  // First pass: every node runs; the image's fake-quantized copy is all the stem (changing later) reads from the rest.
  const first = simCut(model, sim, [], layers, new Map());
  assert.equal(first.keep.size, g.nodes.length);
  assert.deepEqual(first.exports, ['images_dq']);
  // After stem and dw: the pass starts at the stem (its weights changed) and reads the image's copy from the cache;
  // dw's fake-quantized output is final once dw is corrected, and down (still to change) reads it.
  const cached = new Map([['images_dq', 1]]);
  const second = simCut(model, sim, layers.slice(0, 2), layers.slice(2), cached);
  assert.ok(!second.keep.has(producer('images_dq')) && !second.keep.has(producer('images_q')));
  assert.ok(second.keep.has(producer('stem_out')) && second.keep.has(producer('output')));
  assert.deepEqual(second.exports, ['dw.silu_out_dq']);
  // Nothing already cached is handed on again.
  assert.deepEqual(simCut(model, sim, layers.slice(0, 2), layers.slice(2), new Map([...cached, ['dw.silu_out_dq', 1]])).exports, []);
});

/**
 * Two branches off one stem, joined by a Concat: a, then b1 → b1b → b1c on one side and b2 on the other, then c
 * on both. With chunks of 2 ([a, b1], [b1b, b1c], [b2, c]) the last pass follows a chunk (b1b, b1c) that is no
 * ancestor of b2, whose output c reads through the Concat: the pass must run b2 too, though nothing upstream of it
 * changed.
 */
function branchy(): Model {
  const rnd = seededRandom(21);
  const b = new GraphBuilder('branchy');
  const conv = (name: string, x: string, cin: number, cout: number, k: number): string => {
    const w = b.constant(
      `${name}.weight`,
      DataType.FLOAT,
      [cout, cin, k, k],
      Float32Array.from({ length: cout * cin * k * k }, () => rnd() - 0.5),
    );
    const bias = b.constant(
      `${name}.bias`,
      DataType.FLOAT,
      [cout],
      Float32Array.from({ length: cout }, () => (rnd() - 0.5) * 0.1),
    );
    const p = (k - 1) >> 1;
    const y = b.op('Conv', [x, w, bias], { name, attrs: { kernel_shape: [k, k], pads: [p, p, p, p] } });
    return b.op('Mul', [y, b.op('Sigmoid', [y], { name: `${name}.sigmoid` })], { name: `${name}.silu` });
  };
  const a = conv('a', b.input('images', DataType.FLOAT, [1, 3, 32, 32]), 3, 8, 3);
  const b1 = conv('b1c', conv('b1b', conv('b1', a, 8, 8, 3), 8, 8, 3), 8, 4, 1);
  const b2 = conv('b2', a, 8, 4, 1);
  const c = conv('c', b.op('Concat', [b1, b2], { name: 'join', attrs: { axis: 1 } }), 8, 6, 3);
  b.graph.nodes.at(-1)!.outputs[0] = 'output';
  void c;
  b.output('output', DataType.FLOAT, [1, 6, 32, 32]);
  return b.model(13);
}

test('error correction: shared passes on branches joined by a Concat give the per-chunk plan, byte for byte', async () => {
  const model = branchy();
  const targets = findQuantTargets(model);
  const calib = inputs(4, 22);
  const { weights } = planWeightsRtn(targets, SCHEMES.w4a8, { keepFirstLast: false });
  const activations = await planActivations(model, weights, feeds(calib), { observer: 'minmax', mode: 'asymmetric', threads: 1 });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a8', modelSha256: '', weights, activations, float: [] };
  const order = targets.filter((t) => t.opType === 'Conv').sort((a, b) => a.nodeIndex - b.nodeIndex);
  assert.deepEqual(
    order.map((t) => t.node),
    ['a', 'b1', 'b1b', 'b1c', 'b2', 'c'],
  );
  for (const chunk of [1, 2, 4]) {
    const options = { simulate: simulatedModel, chunk, threads: 1 };
    const shared = await correctPlan(model, plan, targets, () => feeds(calib), options);
    const separate = await correctPlan(model, plan, targets, () => feeds(calib), { ...options, shareFloat: false });
    assert.equal(planToJson(shared), planToJson(separate), `chunk ${chunk}`);
  }
});

test('error correction statistics: even and odd images go to the two folds, with or without a progress callback', async () => {
  const calib = inputs(5, 14);
  const { model, targets, plan } = await w4a8Plan(calib);
  const sim = simulatedModel(model, plan, new Set(targets.map((t) => t.node)));
  for (const onProgress of [undefined, () => {}]) {
    const stats = await collectCorrectionStats(model, sim, targets, feeds(calib), { threads: 1, ...(onProgress ? { onProgress } : {}) });
    assert.ok(stats.size > 0);
    for (const st of stats.values()) {
      const per = st.folds[0].count / 3;
      assert.ok(per > 0, st.node);
      assert.equal(st.folds[1].count, per * 2, `${st.node}: 3 even images, 2 odd`);
    }
  }
  // With the folds filled, cross-validation chooses a ridge per group; without it every group keeps ∞ (recorded as null).
  const off = await correctPlan(model, plan, targets, () => feeds(calib), { simulate: simulatedModel, chunk: 8, threads: 1 });
  for (const d of off.weights) for (const r of d.algorithm.correction?.ridges ?? []) assert.equal(r.ridge, null);
  const on = await correctPlan(model, plan, targets, () => feeds(calib), {
    simulate: simulatedModel,
    chunk: 8,
    threads: 1,
    crossValidate: true,
  });
  const chosen = on.weights.flatMap((d) => d.algorithm.correction?.ridges ?? []);
  assert.ok(chosen.length > 0);
});
