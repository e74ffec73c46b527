import { InputError } from '../../errors.js';
import { isWeightAlgorithm } from '../../quant/algorithms/index.js';
import { RECIPES, isRecipeName, recipeFor, type Recipe } from '../../quant/algorithms/recipe.js';
import type { PlanRequest } from '../../quant/plan-model.js';
import { numberOpt, stringOpt, type ParsedArgs } from '../command.js';

/** The recipe name `--recipe` gives (default: `default` with --calib, else `none`). */
export function recipeName(args: ParsedArgs): string {
  return stringOpt(args, 'recipe') ?? (stringOpt(args, 'calib') ? 'default' : 'none');
}

/** The recipe `--recipe` names (recipeName), for the scheme's weight bits. */
export function activeRecipe(args: ParsedArgs): Recipe {
  const recipe = recipeName(args);
  if (!isRecipeName(recipe)) throw new InputError(`--recipe ${recipe}: expected ${Object.keys(RECIPES).join(', ')}`);
  if (recipe === 'learned' && !stringOpt(args, 'calib'))
    throw new InputError('--recipe learned needs calibration images (--calib): it learns the rounding on them');
  const stray = LEARN_OPTIONS.find((o) => stringOpt(args, o) !== undefined);
  if (recipe !== 'learned' && stray) throw new InputError(`--${stray} needs --recipe learned`);
  const scheme = stringOpt(args, 'scheme');
  return recipeFor(recipe, scheme === 'w8a8' || scheme === 'w8a16' ? 8 : 4);
}

/** The options of the learned-rounding stage, taken only with `--recipe learned`. */
export const LEARN_OPTIONS = Object.freeze([
  'learn-iters',
  'learn-batch',
  'learn-lr',
  'learn-qdrop',
  'learn-loss',
  'learn-block-size',
  'device',
]);

/**
 * `--recipe`, `--algo`, `--budget`, `--correct` → the PlanRequest fields they set. A recipe gives defaults; the
 * options given explicitly override it. With calibration images the default recipe applies (GPTQ, sensitivity budget,
 * searched activation ranges: the best measured, docs/accuracy.md); without them only round-to-nearest is possible.
 */
export function recipeRequest(
  args: ParsedArgs,
  base: Recipe = activeRecipe(args),
): Pick<PlanRequest, 'algorithm' | 'budget' | 'bitsPerWeight' | 'rangeSearch' | 'correct' | 'equalize' | 'asymWeights' | 'refine'> {
  const algo = stringOpt(args, 'algo') ?? base.algorithm;
  if (!isWeightAlgorithm(algo)) throw new InputError(`--algo ${algo}: expected rtn or gptq`);
  const budget = stringOpt(args, 'budget') === undefined ? base.budget : numberOpt(args, 'budget', 1, { min: 0, max: 1 });
  const bits = stringOpt(args, 'bits') === undefined ? undefined : numberOpt(args, 'bits', 0, { min: 1, max: 32 });
  if (bits !== undefined && !stringOpt(args, 'calib'))
    throw new InputError("--bits needs calibration images (--calib): it measures each layer's sensitivity at each block size");
  const scheme = stringOpt(args, 'scheme');
  if (bits !== undefined && (scheme === 'w8a8' || scheme === 'w8a16'))
    throw new InputError('--bits spends a 4-bit budget: it needs a 4-bit scheme (w4a8 or w4a16)');
  const correct = stringOpt(args, 'correct') === undefined ? base.correct : numberOpt(args, 'correct', 0, { min: 0, integer: true });
  if (correct && stringOpt(args, 'correct') !== undefined && !stringOpt(args, 'calib'))
    throw new InputError('--correct needs calibration images (--calib): it compares float and quantized layer inputs');
  const eq = stringOpt(args, 'equalize');
  if (eq !== undefined && eq !== 'on' && eq !== 'off') throw new InputError(`--equalize ${eq}: expected on or off`);
  const equalize = eq === undefined ? Boolean(base.equalize) : eq === 'on';
  if (equalize && eq === 'on' && !stringOpt(args, 'calib'))
    throw new InputError('--equalize needs calibration images (--calib): it measures channel ranges');
  const az = stringOpt(args, 'asym-weights');
  if (az !== undefined && az !== 'on' && az !== 'off') throw new InputError(`--asym-weights ${az}: expected on or off`);
  if (az === 'on' && algo !== 'gptq') throw new InputError("--asym-weights on needs --algo gptq: zero points come from GPTQ's grid search");
  const asymWeights = az === undefined ? Boolean(base.asymWeights) && algo === 'gptq' : az === 'on';
  const refine =
    stringOpt(args, 'refine') === undefined
      ? algo === 'gptq'
        ? base.refine
        : undefined
      : numberOpt(args, 'refine', 0, { min: 0, max: 100, integer: true });
  if (refine && algo !== 'gptq') throw new InputError("--refine needs --algo gptq: it revisits GPTQ's rounding");
  return {
    algorithm: algo,
    rangeSearch: base.rangeSearch,
    ...(refine ? { refine } : {}),
    ...(budget !== undefined ? { budget } : {}),
    ...(bits !== undefined ? { bitsPerWeight: bits } : {}),
    ...(correct ? { correct } : {}),
    ...(equalize ? { equalize } : {}),
    ...(asymWeights ? { asymWeights } : {}),
  };
}
