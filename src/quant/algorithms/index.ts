import { InputError } from '../../errors.js';
import type { Model } from '../../onnx/ir/graph.js';
import type { Calibration } from '../calibration/samples.js';
import type { WeightDecision } from '../plan.js';
import type { QuantTarget } from '../policy/targets.js';
import type { StageTimer } from '../stage-timer.js';
import { planWeightsGptq, type GptqPlanOptions } from './gptq-plan.js';

/**
 * Weight algorithms as an explicit registry: each takes the policy's decisions (bits, granularity) and returns them
 * with its own scales and codes, naming itself in `algorithm`.
 */
export type WeightAlgorithm = 'rtn' | 'gptq';
export const WEIGHT_ALGORITHMS: readonly WeightAlgorithm[] = Object.freeze(['rtn', 'gptq']);

export function isWeightAlgorithm(s: string): s is WeightAlgorithm {
  return (WEIGHT_ALGORITHMS as readonly string[]).includes(s);
}

export interface AlgorithmOptions {
  gptq?: Omit<GptqPlanOptions, 'threads' | 'onProgress' | 'feedCount' | 'timer'>;
  /** Calibration images for the Hessians (default 64, the calibration source's own count). */
  hessianImages?: number;
  /** A caller-owned Hessian store for one model and calibration set, reused across plans (see GptqPlanOptions). */
  hessians?: GptqPlanOptions['hessians'];
}

export interface AlgorithmInput extends AlgorithmOptions {
  work: Model;
  targets: readonly QuantTarget[];
  decisions: WeightDecision[];
  calibration?: Calibration;
  threads?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Times the algorithm's own stages (GPTQ: Hessians, then rounding). */
  timer?: StageTimer;
}

type Producer = (input: AlgorithmInput) => Promise<WeightDecision[]>;

const PRODUCERS: Readonly<Record<WeightAlgorithm, Producer>> = Object.freeze({
  rtn: async (input: AlgorithmInput) => input.decisions,
  gptq: async (input: AlgorithmInput) => {
    if (!input.calibration) throw new InputError("--algo gptq needs calibration images (--calib): it measures each layer's input Hessian");
    const set = input.hessianImages ? input.calibration.draw({ count: input.hessianImages }) : input.calibration.set;
    return planWeightsGptq(input.work, input.targets, input.decisions, set.feeds(), {
      ...input.gptq,
      threads: input.threads,
      feedCount: set.paths.length - set.skipped.length,
      onProgress: input.onProgress,
      ...(input.timer ? { timer: input.timer } : {}),
      ...(input.hessians ? { hessians: input.hessians } : {}),
    });
  },
});

export function runWeightAlgorithm(algo: WeightAlgorithm, input: AlgorithmInput): Promise<WeightDecision[]> {
  return PRODUCERS[algo](input);
}
