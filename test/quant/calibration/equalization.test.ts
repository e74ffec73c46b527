import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { exportModel } from '../../../src/export/export-model.js';
import { mainGraph } from '../../../src/onnx/ir/graph.js';
import { modelFromBytes, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { exposeValues } from '../../../src/quant/calibration/collect.js';
import { applyEqualization, planEqualization } from '../../../src/quant/calibration/equalization.js';
import { parsePlan, planToJson } from '../../../src/quant/plan.js';
import { makePlan, planWorkingGraph } from '../../../src/workflow/quantize.js';
import { calibrationSet } from '../../../src/quant/calibration/samples.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';
import { createSession } from '../../../src/runtime/session.js';
import { sharedDataDir } from '../../helpers/paths.js';

function inputs(n: number, seed: number): Array<Record<string, HostTensor>> {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => ({
    images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3072 }, () => rnd() * 4 - 1) },
  }));
}

async function* feeds(list: Array<Record<string, HostTensor>>) {
  yield* list;
}

async function outputs(model: Parameters<typeof modelToBytes>[0], feed: Record<string, HostTensor>, names?: string[]) {
  const s = await createSession(modelToBytes(names ? exposeValues(model, names) : model), { threads: 1 });
  const r = await s.run(feed, names);
  await s.dispose();
  return r;
}

/** Per-channel (max − min) of a [1, C, H, W] value over the given feeds. */
async function channelRanges(
  model: Parameters<typeof modelToBytes>[0],
  value: string,
  list: Array<Record<string, HostTensor>>,
): Promise<number[]> {
  let lo: number[] = [];
  let hi: number[] = [];
  for (const feed of list) {
    const t = (await outputs(model, feed, [value]))[value]!;
    const c = t.dims[1]!;
    const hw = t.data.length / c;
    if (lo.length === 0) {
      lo = new Array(c).fill(Infinity);
      hi = new Array(c).fill(-Infinity);
    }
    for (let k = 0; k < t.data.length; k++) {
      const ch = Math.floor(k / hw);
      lo[ch] = Math.min(lo[ch]!, Number(t.data[k]));
      hi[ch] = Math.max(hi[ch]!, Number(t.data[k]));
    }
  }
  return hi.map((h, i) => h - lo[i]!);
}

test('depthwise range equalization: float outputs unchanged, channel ranges equal to the median, filters only rescaled', async () => {
  const model = buildTinyDetector('float');
  const calib = inputs(6, 1);
  const decisions = await planEqualization(model, feeds(calib), { threads: 1, minRatio: 1 });
  assert.equal(decisions.length, 1);
  const d = decisions[0]!;
  assert.equal(d.scales.length, 8);
  const eq = applyEqualization(model, decisions);
  // Same function: outputs equal to float rounding.
  for (const feed of inputs(2, 2)) {
    const a = Object.values(await outputs(model, feed))[0]!.data as Float32Array;
    const b = Object.values(await outputs(eq, feed))[0]!.data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.max(1, Math.abs(a[i]!)), `${a[i]} vs ${b[i]}`);
  }
  // The depthwise Conv now reads the equalized value, whose channels all span the median range on the calibration set.
  const g = mainGraph(eq);
  const conv = g.nodes.find((n) => n.name === d.node)!;
  assert.notEqual(conv.inputs[0], d.value);
  const before = await channelRanges(model, d.value, calib);
  const after = await channelRanges(eq, conv.inputs[0]!, calib);
  const median = [...before].sort((x, y) => x - y)[before.length >> 1]!;
  assert.ok(Math.max(...before) / median > 1.2, 'fixture has uneven channels');
  for (const r of after) assert.ok(Math.abs(r - median) <= 1e-4 * median, `${r} vs ${median}`);
  assert.equal(g.nodes.filter((n) => n.opType === 'Mul' && n.inputs[0] === d.value).length, 1);
});

test('equalization decisions that do not fit the model are refused', () => {
  const model = buildTinyDetector('float');
  assert.throws(
    () => applyEqualization(model, [{ node: 'stem', value: 'images', scales: [1, 1, 1, 1] }]),
    /not a Conv of 4 input channels reading images/,
  );
  assert.throws(
    () => applyEqualization(model, [{ node: 'stem', value: 'other', scales: [1, 1, 1] }]),
    /not a Conv of 3 input channels reading other/,
  );
});

test('with alpha, every Conv input is equalized (filters scaled along their input channels): float outputs unchanged', async () => {
  const model = buildTinyDetector('float');
  const calib = inputs(6, 3);
  const depthwiseOnly = await planEqualization(model, feeds(calib), { threads: 1, minRatio: 1 });
  const all = await planEqualization(model, feeds(calib), { threads: 1, minRatio: 1, alpha: 0.5 });
  assert.ok(all.length > depthwiseOnly.length, `${all.length} vs ${depthwiseOnly.length} Convs equalized`);
  // Depthwise inputs keep alpha = 1 (their codes do not change); the others get (range / median)^0.5.
  for (const d of depthwiseOnly) assert.deepEqual(all.find((x) => x.node === d.node)?.scales, d.scales);
  assert.ok(
    all.every((d) => !d.value.startsWith('images')),
    'the graph input is left alone',
  );
  const eq = applyEqualization(model, all);
  for (const feed of inputs(2, 4)) {
    const a = Object.values(await outputs(model, feed))[0]!.data as Float32Array;
    const b = Object.values(await outputs(eq, feed))[0]!.data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-4 * Math.max(1, Math.abs(a[i]!)), `${a[i]} vs ${b[i]}`);
  }
});

const yolox = join(sharedDataDir, 'models', 'yolox_nano.onnx');
const train = join(sharedDataDir, 'coco', 'train209', 'images');

test('yolox_nano W4A8 with equalization: plan records it, a saved plan re-applies byte for byte', {
  skip: existsSync(yolox) && existsSync(train) ? false : `skipped: ${sharedDataDir} is absent`,
}, async () => {
  const bytes = readFileSync(yolox);
  const { plan, work } = await makePlan(bytes, { scheme: 'w4a8', calibration: { images: train, count: 4 }, equalize: true });
  assert.ok((plan.equalization?.length ?? 0) >= 10, `${plan.equalization?.length} depthwise inputs equalized`);
  const direct = modelToBytes(exportModel(work, plan, { format: 'qcdq' }));
  const reloaded = parsePlan(planToJson(plan));
  const applied = modelToBytes(exportModel(planWorkingGraph(modelFromBytes(bytes), reloaded), reloaded, { format: 'qcdq' }));
  assert.deepEqual(applied, direct);
  let feed: Record<string, HostTensor> | undefined;
  for await (const f of calibrationSet(work, { images: train, count: 1, seed: 5 }).feeds()) feed = f;
  const fp = Object.values(await outputs(modelFromBytes(bytes), feed!))[0]!.data as Float32Array;
  const eqFloat = Object.values(await outputs(planWorkingGraph(modelFromBytes(bytes), reloaded), feed!))[0]!.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < fp.length; i++) worst = Math.max(worst, Math.abs(fp[i]! - eqFloat[i]!) / Math.max(1, Math.abs(fp[i]!)));
  assert.ok(worst < 1e-3, `equalized float graph differs from the model by ${worst}`);
});
