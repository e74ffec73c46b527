import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetPlanRequest } from '../../src/pipeline/build-variant.js';
import { RECIPES, recipePlanRequest } from '../../src/quant/algorithms/recipe.js';
import { FORMAT_CAPABILITIES } from '../../src/export/formats.js';

test('a run variant under a target gets what `quantize --target` asks for; without one the recipe request is untouched', () => {
  const base = recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.int4);
  assert.equal(targetPlanRequest(base, undefined, 'int4'), base);
  const trt = targetPlanRequest(recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.qdq), 'tensorrt', 'qdq');
  assert.deepEqual(trt.weights, { granularity: { kind: 'per-channel' }, floatPredictionLayers: true });
  assert.equal(trt.asymWeights, false);
  assert.equal(trt.activationMode, 'symmetric');
  assert.equal(trt.placement, 'tensorrt');
  const compact = targetPlanRequest(recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES['int4-compact']), undefined, 'int4-compact');
  assert.deepEqual(compact.weights, { granularity: { kind: 'blocked', blockSize: 16 }, blockScales: 'uint8' });
  const fp8 = targetPlanRequest(recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES['int4-compact-fp8']), undefined, 'int4-compact-fp8');
  assert.deepEqual(fp8.weights, { granularity: { kind: 'blocked', blockSize: 16 }, blockScales: 'e4m3' });
  const cuda = targetPlanRequest(base, 'ort-cuda', 'int4-cuda');
  assert.deepEqual(cuda.weights, base.weights);
  assert.equal(cuda.asymWeights, true);
});
