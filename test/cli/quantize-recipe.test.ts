import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipeRequest } from '../../src/cli/commands/quantize-recipe.js';
import { RECIPES } from '../../src/quant/algorithms/recipe.js';

const args = (values: Record<string, string>) => ({ values, positionals: [] });

test('--recipe default turns on GPTQ with asymmetric 4-bit grids, the 0.9 budget, range search, equalization and correction; options override it', () => {
  assert.deepEqual(recipeRequest(args({})), { algorithm: 'rtn', rangeSearch: false });
  const full = { algorithm: 'gptq', rangeSearch: true, budget: RECIPES.default.budget, correct: 4, equalize: true, asymWeights: true };
  assert.deepEqual(recipeRequest(args({ recipe: 'default' })), full);
  // Zero points come from GPTQ's grid search: with --algo rtn the recipe's asymmetric grid is dropped.
  const { asymWeights: _a, ...rtn } = full;
  void _a;
  assert.deepEqual(recipeRequest(args({ recipe: 'default', algo: 'rtn', budget: '0.95' })), { ...rtn, algorithm: 'rtn', budget: 0.95 });
  const { correct: _c, equalize: _s, ...plain } = rtn;
  void _c;
  void _s;
  assert.deepEqual(recipeRequest(args({ recipe: 'default', correct: '0', equalize: 'off', 'asym-weights': 'off' })), plain);
  assert.deepEqual(recipeRequest(args({ algo: 'gptq', 'asym-weights': 'on' })), {
    algorithm: 'gptq',
    rangeSearch: false,
    asymWeights: true,
  });
  assert.throws(() => recipeRequest(args({ algo: 'rtn', 'asym-weights': 'on' })), /--asym-weights on needs --algo gptq/);
  assert.throws(() => recipeRequest(args({ recipe: 'default', 'asym-weights': 'yes' })), /--asym-weights yes: expected on or off/);
  assert.deepEqual(recipeRequest(args({ recipe: 'default', refine: '4' })), { ...full, refine: 4 });
  assert.deepEqual(recipeRequest(args({ algo: 'gptq', refine: '2' })), { algorithm: 'gptq', rangeSearch: false, refine: 2 });
  assert.throws(() => recipeRequest(args({ algo: 'rtn', refine: '2' })), /--refine needs --algo gptq/);
  assert.throws(() => recipeRequest(args({ algo: 'gptq', refine: '-1' })), /--refine/);
  assert.deepEqual(recipeRequest(args({ algo: 'gptq' })), { algorithm: 'gptq', rangeSearch: false });
  assert.throws(() => recipeRequest(args({ recipe: 'default', equalize: 'maybe' })), /--equalize maybe/);
  assert.throws(() => recipeRequest(args({ algo: 'adaround' })), /--algo adaround/);
  assert.throws(() => recipeRequest(args({ recipe: 'best' })), /--recipe best/);
});

test('the default recipe gives native INT4 blocked 4-bit scales and QCDQ/QDQ per-channel ones; 8-bit schemes and --recipe none stay per-channel', async () => {
  const { recipeGranularity, recipeFor, recipePlanRequest } = await import('../../src/quant/algorithms/recipe.js');
  const { activeRecipe } = await import('../../src/cli/commands/quantize-recipe.js');
  const { FORMAT_CAPABILITIES: F } = await import('../../src/export/formats.js');
  assert.deepEqual(recipeGranularity(RECIPES.default, F.int4), { kind: 'blocked', blockSize: 16 });
  assert.deepEqual(recipeGranularity(RECIPES.default, F['int4-cuda']), { kind: 'blocked', blockSize: 16 });
  assert.deepEqual(recipeGranularity(RECIPES.default, F.qcdq), { kind: 'per-channel' });
  assert.deepEqual(recipeGranularity(RECIPES.default, F.qdq), { kind: 'per-channel' });
  assert.deepEqual(recipeGranularity(RECIPES.none, F.int4), { kind: 'per-channel' });
  assert.deepEqual(recipeGranularity(recipeFor('default', 8), F.int4), { kind: 'per-channel' });
  assert.deepEqual(recipePlanRequest(RECIPES.default, F.int4).weights, { granularity: { kind: 'blocked', blockSize: 16 } });
  assert.equal(recipePlanRequest(RECIPES.default, F.qcdq).weights, undefined);
  assert.equal(activeRecipe(args({ calib: 'x' })), RECIPES.default);
  assert.equal(activeRecipe(args({})), RECIPES.none);
  assert.equal(activeRecipe(args({ calib: 'x', scheme: 'w8a8' })), RECIPES.none);
});

test('--recipe learned: the default recipe then learned rounding (8-bit weights: round-to-nearest then learned rounding); it needs --calib', async () => {
  const { recipeFor } = await import('../../src/quant/algorithms/recipe.js');
  const { activeRecipe } = await import('../../src/cli/commands/quantize-recipe.js');
  const { learnedRounding, ...plan } = RECIPES.learned;
  assert.equal(learnedRounding, true);
  assert.deepEqual(plan, RECIPES.default);
  assert.equal(recipeFor('learned', 4), RECIPES.learned);
  const { learnedRounding: eight, ...rtn } = recipeFor('learned', 8);
  assert.equal(eight, true);
  assert.deepEqual(rtn, RECIPES.none);
  assert.equal(activeRecipe(args({ recipe: 'learned', calib: 'x', scheme: 'w8a16' })).algorithm, 'rtn');
  assert.deepEqual(recipeRequest(args({ recipe: 'learned', calib: 'x' })), recipeRequest(args({ recipe: 'default', calib: 'x' })));
  assert.throws(() => activeRecipe(args({ recipe: 'learned' })), /--recipe learned needs calibration images/);
  assert.throws(() => activeRecipe(args({ calib: 'x', 'learn-lr': '0.1' })), /--learn-lr needs --recipe learned/);
});
