import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkModel } from '../../src/check/check-model.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { calibrationSet } from '../../src/quant/calibration/samples.js';
import { applyPlan, makePlan } from '../../src/workflow/quantize.js';
import { SCHEMES, type SchemeName } from '../../src/quant/scheme.js';
import { createSession } from '../../src/runtime/session.js';
import type { HostTensor } from '../../src/runtime/host-tensor.js';
import { sharedDataDir } from '../helpers/paths.js';

/**
 * Every scheme × format on both shared models: `check` accepts it, ORT CPU runs it on a real image, inspect sees
 * ≥ 90% of Conv weight parameters at the scheme's bits. 8 calibration images here to keep CI short; the 64-image
 * numbers in docs/quantization.md come from bench/quantize-matrix.ts.
 */

const train = join(sharedDataDir, 'coco', 'train209', 'images');
const VARIANTS = [{ format: 'qcdq' }, { format: 'qdq' }, { format: 'int4' }, { format: 'int4-cuda' }] as const;

for (const file of ['yolox_nano.onnx', 'yolov5n_fp16.onnx']) {
  const path = join(sharedDataDir, 'models', file);
  test(`${file}: every scheme × format checks, runs in ORT and keeps ≥ 90% of Conv params at the scheme's bits`, {
    skip: existsSync(path) && existsSync(train) ? false : `skipped: ${sharedDataDir} is absent`,
  }, async () => {
    const bytes = readFileSync(path);
    for (const scheme of Object.keys(SCHEMES) as SchemeName[]) {
      const { plan, work } = await makePlan(bytes, { scheme, calibration: { images: train, count: 8 } });
      let feed: Record<string, HostTensor> | undefined;
      for await (const f of calibrationSet(work, { images: train, count: 1, seed: 5 }).feeds()) feed = f;
      const twins = SCHEMES[scheme].activations === 'float' ? (['fp16', 'fp32'] as const) : ([undefined] as const);
      for (const v of VARIANTS) {
        for (const actDtype of twins) {
          const label = `${scheme} ${v.format}${actDtype ? ` ${actDtype}` : ''}`;
          const model = applyPlan(work, plan, { ...v, ...(actDtype ? { actDtype } : {}) });
          const check = checkModel(model);
          assert.equal(check.errors, 0, `${label}: ${JSON.stringify(check.findings.slice(0, 3))}`);
          const r = inspectModel(model);
          const bits = SCHEMES[scheme].weightBits;
          const atBits = (r.conv.paramsByBits[String(bits)] ?? 0) / r.conv.weightParams;
          assert.ok(atBits >= 0.9, `${label}: ${(100 * atBits).toFixed(1)}% at ${bits} bits`);
          const session = await createSession(modelToBytes(model), { threads: 1 });
          const out = await session.run(feed!);
          await session.dispose();
          assert.ok(
            Object.values(out).every((t) => t.data.length > 0),
            label,
          );
        }
      }
    }
  });
}
