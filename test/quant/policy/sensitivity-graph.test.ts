import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainGraph } from '../../../src/onnx/ir/graph.js';
import { modelFromBytes } from '../../../src/onnx/serde/model-io.js';
import { sensitivityGraph } from '../../../src/quant/policy/sensitivity-budget.js';
import { measureSensitivity } from '../../../src/quant/policy/sensitivity.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { repoRoot } from '../../helpers/paths.js';

test('NMS-free YOLOv10 (embedded default): sensitivity is measured before the top-k and does not saturate', async () => {
  const work = modelFromBytes(readFileSync(join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx')));
  const candidates = planWeightsRtn(findQuantTargets(work), SCHEMES.w4a16).weights.filter((d) => d.bits <= 4 && d.opType === 'Conv');
  const cut = sensitivityGraph(work, candidates);
  assert.notEqual(cut, work);
  assert.ok(!mainGraph(cut).nodes.some((n) => n.opType === 'TopK'));
  const dims = mainGraph(work).inputs[0]!.type!.shape!.map((d) => Number(d));
  const rnd = seededRandom(3);
  const inputs = [
    {
      [mainGraph(work).inputs[0]!.name]: {
        dtype: 'float32' as const,
        dims,
        data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rnd()),
      },
    },
  ];
  const some = candidates.slice(0, 6);
  const onCut = await measureSensitivity(cut, some, inputs, { threads: 1 });
  const onFull = await measureSensitivity(work, some, inputs, { threads: 1 });
  // Reordered top-k rows make every layer look equally bad on the full graph; before the top-k they separate.
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  assert.ok(spread(onCut.map((l) => l.sqnrDb)) > 3, `cut: ${onCut.map((l) => l.sqnrDb.toFixed(1))}`);
  assert.ok(
    Math.min(...onCut.map((l) => l.sqnrDb)) > Math.min(...onFull.map((l) => l.sqnrDb)),
    `full: ${onFull.map((l) => l.sqnrDb.toFixed(1))}`,
  );
});
