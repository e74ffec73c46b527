import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportModel } from '../../src/export/export-model.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { makePlan } from '../../src/workflow/quantize.js';
import { calibrationSet } from '../../src/quant/calibration/samples.js';
import { activationStep, referenceFakeQuant } from '../reference-impl/index.js';
import { createSession } from '../../src/runtime/session.js';
import type { HostTensor } from '../../src/runtime/host-tensor.js';
import { sharedDataDir } from '../helpers/paths.js';

/**
 * The oracle check on a real detector: yolox_nano W4A8 (calibrated on 4 train209 images) exported as qcdq, qdq and
 * int4; ORT's raw output must equal the TS fake-quant reference computed from the plan alone within one activation
 * quantization step (see the note on rounding flips below), and the three formats must give identical outputs.
 */
const model = join(sharedDataDir, 'models', 'yolox_nano.onnx');
const train = join(sharedDataDir, 'coco', 'train209', 'images');

test('yolox_nano W4A8: ORT output of every format equals the TS fake-quant reference within one activation step', {
  skip: existsSync(model) && existsSync(train) ? false : `skipped: ${sharedDataDir} is absent`,
}, async () => {
  const { plan, work } = await makePlan(readFileSync(model), { scheme: 'w4a8', calibration: { images: train, count: 4 } });
  let feed: Record<string, HostTensor> | undefined;
  for await (const f of calibrationSet(work, { images: train, count: 1, seed: 3 }).feeds()) feed = f;
  const input = feed!.images!;
  const ref = referenceFakeQuant(work, plan, { images: { dims: input.dims, data: input.data as Float32Array } });
  const want = Object.values(ref)[0]!.data as Float32Array;
  const step = activationStep(work, plan);
  const outs: Float32Array[] = [];
  for (const format of ['qcdq', 'qdq', 'int4'] as const) {
    const s = await createSession(modelToBytes(exportModel(work, plan, { format })), { graphOptimizationLevel: 'disabled', threads: 1 });
    const got = (await s.run(feed!)).output!.data as Float32Array;
    await s.dispose();
    let worst = 0;
    let exact = 0;
    let within = 0;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i]! - want[i]!);
      worst = Math.max(worst, d);
      if (d <= 1e-4 * Math.max(1, Math.abs(want[i]!))) exact++;
      if (d <= step) within++;
    }
    // A value that lands within float rounding of a quantization boundary can round the other way in ORT (float32
    // accumulation order) than in the reference; that flip moves later values by about one step. So: nearly all
    // outputs within one step, and most equal to float rounding.
    assert.ok(
      within / got.length >= 0.99,
      `${format}: ${((100 * within) / got.length).toFixed(2)}% within one step ${step} (worst ${worst})`,
    );
    assert.ok(exact / got.length >= 0.5, `${format}: ${((100 * exact) / got.length).toFixed(1)}% equal to float rounding`);
    outs.push(got);
  }
  // One plan, three formats: identical outputs.
  assert.deepEqual(outs[1], outs[0]);
  assert.deepEqual(outs[2], outs[0]);
});
