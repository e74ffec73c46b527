import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipeRequest } from '../../src/cli/commands/quantize-recipe.js';
import { RECIPES } from '../../src/quant/algorithms/recipe.js';

const args = (values: Record<string, string>) => ({ values, positionals: [] });

test('--recipe default turns on GPTQ with asymmetric 4-bit grids, the 0.9 budget, range search, equalization and correction; options override it', () => {
  assert.deepEqual(recipeRequest(args({})), { algo: 'rtn', rangeSearch: false });
  const full = { algo: 'gptq', rangeSearch: true, budget: RECIPES.default.budget, correct: 4, smooth: true, asymWeights: true };
  assert.deepEqual(recipeRequest(args({ recipe: 'default' })), full);
  // Zero points come from GPTQ's grid search: with --algo rtn the recipe's asymmetric grid is dropped.
  const { asymWeights: _a, ...rtn } = full;
  void _a;
  assert.deepEqual(recipeRequest(args({ recipe: 'default', algo: 'rtn', budget: '0.95' })), { ...rtn, algo: 'rtn', budget: 0.95 });
  const { correct: _c, smooth: _s, ...plain } = rtn;
  void _c; void _s;
  assert.deepEqual(recipeRequest(args({ recipe: 'default', correct: '0', equalize: 'off', 'asym-weights': 'off' })), plain);
  assert.deepEqual(recipeRequest(args({ algo: 'gptq', 'asym-weights': 'on' })), { algo: 'gptq', rangeSearch: false, asymWeights: true });
  assert.throws(() => recipeRequest(args({ algo: 'rtn', 'asym-weights': 'on' })), /--asym-weights on needs --algo gptq/);
  assert.throws(() => recipeRequest(args({ recipe: 'default', 'asym-weights': 'yes' })), /--asym-weights yes: expected on or off/);
  assert.deepEqual(recipeRequest(args({ recipe: 'default', refine: '4' })), { ...full, refine: 4 });
  assert.deepEqual(recipeRequest(args({ algo: 'gptq', refine: '2' })), { algo: 'gptq', rangeSearch: false, refine: 2 });
  assert.throws(() => recipeRequest(args({ algo: 'rtn', refine: '2' })), /--refine needs --algo gptq/);
  assert.throws(() => recipeRequest(args({ algo: 'gptq', refine: '-1' })), /--refine/);
  assert.deepEqual(recipeRequest(args({ algo: 'gptq' })), { algo: 'gptq', rangeSearch: false });
  assert.throws(() => recipeRequest(args({ recipe: 'default', equalize: 'maybe' })), /--equalize maybe/);
  assert.throws(() => recipeRequest(args({ algo: 'adaround' })), /--algo adaround/);
  assert.throws(() => recipeRequest(args({ recipe: 'best' })), /--recipe best/);
});

test('the default recipe gives native INT4 blocked 4-bit scales and QCDQ/QDQ per-channel ones; 8-bit schemes and --recipe none stay per-channel', async () => {
  const { recipeGranularity, recipeFor, recipePlanRequest } = await import('../../src/quant/algorithms/recipe.js');
  const { activeRecipe } = await import('../../src/cli/commands/quantize-recipe.js');
  assert.deepEqual(recipeGranularity(RECIPES.default, 'int4'), { blockSize: 16 });
  assert.equal(recipeGranularity(RECIPES.default, 'qcdq'), 'per-channel');
  assert.equal(recipeGranularity(RECIPES.default, 'qdq'), 'per-channel');
  assert.equal(recipeGranularity(RECIPES.none, 'int4'), 'per-channel');
  assert.equal(recipeGranularity(recipeFor('default', 8), 'int4'), 'per-channel');
  assert.deepEqual(recipePlanRequest(RECIPES.default, 'int4').weights, { granularity: { blockSize: 16 } });
  assert.equal(recipePlanRequest(RECIPES.default, 'qcdq').weights, undefined);
  assert.equal(activeRecipe(args({ calib: 'x' })), RECIPES.default);
  assert.equal(activeRecipe(args({})), RECIPES.none);
  assert.equal(activeRecipe(args({ calib: 'x', scheme: 'w8a8' })), RECIPES.none);
});
