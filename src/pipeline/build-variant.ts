import { writeFileAtomic } from '../io/atomic-write.js';
import { saveModel } from '../onnx/serde/model-io.js';
import { recipeFor, recipePlanRequest, type RecipeName } from '../quant/algorithms/recipe.js';
import type { CalibrationSource } from '../quant/calibration/samples.js';
import { planToJson } from '../quant/plan.js';
import { FORMAT_CAPABILITIES } from '../export/formats.js';
import { applyPlan, makePlan, type ActivationDtype } from '../workflow/quantize.js';
import { SCHEMES, schemeNeedsCalibration } from '../quant/scheme.js';
import type { EpName } from '../runtime/ep-table.js';
import type { VariantSpec } from './config.js';

/**
 * Build one variant's model file from the source model, with the library calls `yoloq quantize` makes
 * (makePlan → applyPlan → saveModel, plan written with planToJson). The float variant is the source file itself,
 * copied. QAT variants are built by the Python stage (qat-stage.ts).
 */

export interface BuildContext {
  sourcePath: string;
  sourceBytes: Uint8Array;
  ep: EpName;
  recipe: RecipeName;
  calibration?: CalibrationSource;
  threads: number;
  onProgress?: (text: string) => void;
}

export interface BuildRecord {
  scheme?: string;
  format?: string;
  /** A16 variants: the activation dtype of the graph (fp32 on the CPU EP, whose x86 kernels have no FP16 Conv). */
  actDtype?: ActivationDtype;
  recipe?: RecipeName;
  weights?: number;
  activations?: number;
  keptFloat?: number;
  calibration?: { images: number; source: string };
  seconds: number;
}

/** The activation dtype an A16 graph gets on an EP: FP32 on the CPU (no FP16 Conv kernel on x86), FP16 elsewhere. */
export function actDtypeFor(ep: EpName): ActivationDtype {
  return ep === 'cpu' ? 'fp32' : 'fp16';
}

export async function buildPtqVariant(
  spec: Extract<VariantSpec, { kind: 'ptq' }>,
  ctx: BuildContext,
  out: { onnx: string; plan: string },
): Promise<BuildRecord> {
  const t0 = performance.now();
  const scheme = SCHEMES[spec.scheme];
  const recipe = recipeFor(ctx.recipe, scheme.weightBits);
  const needsCalibration = schemeNeedsCalibration(scheme) || recipe.algorithm !== 'rtn' || recipe.budget !== undefined;
  const { plan, work } = await makePlan(ctx.sourceBytes, {
    scheme: scheme.name,
    threads: ctx.threads,
    ...recipePlanRequest(recipe, FORMAT_CAPABILITIES[spec.format]),
    ...(needsCalibration && ctx.calibration ? { calibration: ctx.calibration } : {}),
    onProgress: (stage, done, total) => ctx.onProgress?.(`${stage} ${done}/${total}`),
  });
  const actDtype = scheme.activations === 'float' ? actDtypeFor(ctx.ep) : undefined;
  const model = applyPlan(work, plan, { format: spec.format, ...(actDtype ? { actDtype } : {}) });
  saveModel(model, out.onnx);
  writeFileAtomic(out.plan, planToJson(plan));
  return {
    scheme: scheme.name,
    format: spec.format,
    ...(actDtype ? { actDtype } : {}),
    recipe: ctx.recipe,
    weights: plan.weights.length,
    activations: plan.activations.length,
    keptFloat: plan.float.length,
    ...(plan.calibration ? { calibration: { images: plan.calibration.images, source: plan.calibration.source } } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

export function buildFloatVariant(ctx: BuildContext, out: { onnx: string }): BuildRecord {
  const t0 = performance.now();
  writeFileAtomic(out.onnx, ctx.sourceBytes);
  return { seconds: (performance.now() - t0) / 1000 };
}
