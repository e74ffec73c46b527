import type { FormatCapabilities } from '../formats/capabilities.js';
import type { GranularityRequest } from '../plan.js';
import type { PlanRequest } from '../plan-model.js';
import type { WeightAlgorithm } from './index.js';

/**
 * Named recipes: what `yoloq quantize --recipe NAME` turns on. The default is the combination measured best in
 * docs/accuracy.md (produced by bench/accuracy-table.ts).
 */
export interface Recipe {
  algorithm: WeightAlgorithm;
  /** Share of Conv weight parameters kept at 4 bits; the most sensitive layers beyond it go to 8 bits. */
  budget?: number;
  /** A8: search each activation's range by its downstream error. */
  rangeSearch: boolean;
  /** Error correction, this many layers per ORT pass (absent: off). See src/quant/algorithms/correction.ts. */
  correct?: number;
  /** A8: equalize depthwise Conv input channels (src/quant/calibration/equalization.ts). */
  equalize?: boolean;
  /** GPTQ with asymmetric 4-bit grids (a zero point per scale; src/quant/algorithms/gptq.ts). */
  asymWeights?: boolean;
  /** Coordinate-descent sweeps after GPTQ's and correction's rounding (src/quant/algorithms/gptq.ts). */
  refine?: number;
  /**
   * Native INT4 exports: 4-bit weights get one scale (and zero point) per this many input elements of a row instead
   * of one per output channel — the blocked layout ORT's CUDA EP dequantizes. QCDQ and QDQ (opset 13) cannot carry
   * blocked scales, so there the recipe stays per-channel.
   */
  int4BlockSize?: number;
  /**
   * After the plan: learned rounding of its weights, block by block, on the same calibration images
   * (src/quant/learned/learn-stage.ts, in PyTorch; docs/learned-rounding.md).
   */
  learnedRounding?: boolean;
}

/** Recipes that make a plan in TypeScript alone (the ones `yoloq run --recipe` takes). */
export type PlanRecipeName = 'none' | 'default';
export type RecipeName = PlanRecipeName | 'learned';

/** The combination measured best in docs/accuracy.md. */
const DEFAULT_RECIPE: Recipe = Object.freeze({
  algorithm: 'gptq',
  budget: 0.9,
  rangeSearch: true,
  equalize: true,
  correct: 4,
  asymWeights: true,
  int4BlockSize: 16,
});

export const RECIPES: Readonly<Record<RecipeName, Recipe>> = Object.freeze({
  none: Object.freeze({ algorithm: 'rtn', rangeSearch: false }),
  default: DEFAULT_RECIPE,
  // The default recipe's plan, then learned rounding of its codes: the same grids, scales and decisions.
  learned: Object.freeze({ ...DEFAULT_RECIPE, learnedRounding: true }),
});

/** 8-bit weights under `learned`: the 8-bit default (round-to-nearest), then learned rounding (it takes 8-bit codes). */
const LEARNED_8BIT: Recipe = Object.freeze({ ...RECIPES.none, learnedRounding: true });

/** The 4-bit weight granularity a recipe gives a format: blocked where the format can carry blocked scales. */
export function recipeGranularity(recipe: Recipe, format: FormatCapabilities): GranularityRequest {
  return format.blockedScales && recipe.int4BlockSize ? { kind: 'blocked', blockSize: recipe.int4BlockSize } : { kind: 'per-channel' };
}

/** The PlanRequest fields a recipe sets for a format (everything but the scheme, calibration and run options). */
export function recipePlanRequest(recipe: Recipe, format: FormatCapabilities): Partial<PlanRequest> {
  const granularity = recipeGranularity(recipe, format);
  return {
    ...(granularity.kind !== 'per-channel' ? { weights: { granularity } } : {}),
    algorithm: recipe.algorithm,
    rangeSearch: recipe.rangeSearch,
    ...(recipe.budget !== undefined ? { budget: recipe.budget } : {}),
    ...(recipe.correct !== undefined ? { correct: recipe.correct } : {}),
    ...(recipe.equalize ? { equalize: true } : {}),
    ...(recipe.asymWeights ? { asymWeights: true } : {}),
    ...(recipe.refine ? { refine: recipe.refine } : {}),
  };
}

export function isRecipeName(s: string): s is RecipeName {
  return Object.hasOwn(RECIPES, s);
}

/**
 * The recipe a scheme actually gets. GPTQ, the sensitivity budget and range search are 4-bit remedies: on 8-bit
 * weights round-to-nearest measured as good or better (embedded default: W8A8 0.4675 RTN vs 0.4556 with the
 * default recipe; W8A16 0.4694 vs 0.4624), so 8-bit schemes stay round-to-nearest under `default` (`learned` learns from that plan).
 */
export function recipeFor(name: RecipeName, weightBits: number): Recipe {
  if (weightBits > 4 && name === 'default') return RECIPES.none;
  if (weightBits > 4 && name === 'learned') return LEARNED_8BIT;
  return RECIPES[name];
}

export function isPlanRecipeName(s: string): s is PlanRecipeName {
  return s === 'none' || s === 'default';
}
