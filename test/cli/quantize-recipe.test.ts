import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipeRequest } from '../../src/cli/commands/quantize-recipe.js';
import { RECIPES } from '../../src/quant/algorithms/recipe.js';

const args = (values: Record<string, string>) => ({ values, positionals: [] });

test('--recipe default turns on GPTQ, the 0.9 budget and range search; --algo/--budget override it', () => {
  assert.deepEqual(recipeRequest(args({})), { algo: 'rtn', rangeSearch: false });
  assert.deepEqual(recipeRequest(args({ recipe: 'default' })), { algo: 'gptq', rangeSearch: true, budget: RECIPES.default.budget });
  assert.deepEqual(recipeRequest(args({ recipe: 'default', algo: 'rtn', budget: '0.95' })), { algo: 'rtn', rangeSearch: true, budget: 0.95 });
  assert.deepEqual(recipeRequest(args({ algo: 'gptq' })), { algo: 'gptq', rangeSearch: false });
  assert.throws(() => recipeRequest(args({ algo: 'adaround' })), /--algo adaround/);
  assert.throws(() => recipeRequest(args({ recipe: 'best' })), /--recipe best/);
});
