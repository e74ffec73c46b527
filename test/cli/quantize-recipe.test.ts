import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipeRequest } from '../../src/cli/commands/quantize-recipe.js';
import { RECIPES } from '../../src/quant/algorithms/recipe.js';

const args = (values: Record<string, string>) => ({ values, positionals: [] });

test('--recipe default turns on GPTQ, the 0.9 budget, range search, equalization and correction; options override it', () => {
  assert.deepEqual(recipeRequest(args({})), { algo: 'rtn', rangeSearch: false });
  const full = { algo: 'gptq', rangeSearch: true, budget: RECIPES.default.budget, correct: 4, smooth: true };
  assert.deepEqual(recipeRequest(args({ recipe: 'default' })), full);
  assert.deepEqual(recipeRequest(args({ recipe: 'default', algo: 'rtn', budget: '0.95' })), { ...full, algo: 'rtn', budget: 0.95 });
  const { correct: _c, smooth: _s, ...plain } = full;
  void _c; void _s;
  assert.deepEqual(recipeRequest(args({ recipe: 'default', correct: '0', equalize: 'off' })), plain);
  assert.deepEqual(recipeRequest(args({ algo: 'gptq' })), { algo: 'gptq', rangeSearch: false });
  assert.throws(() => recipeRequest(args({ recipe: 'default', equalize: 'maybe' })), /--equalize maybe/);
  assert.throws(() => recipeRequest(args({ algo: 'adaround' })), /--algo adaround/);
  assert.throws(() => recipeRequest(args({ recipe: 'best' })), /--recipe best/);
});
