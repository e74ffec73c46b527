import type { PythonEnv } from '../brevitas/venv.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import { learnRounding, type LearnOptions } from '../quant/learned/learn-stage.js';
import { readPlanFiles } from '../quant/plan-file.js';
import { createStageTimer } from '../quant/stage-timer.js';
import { planWorkingGraph } from '../quant/working-graph.js';
import { planRecord, variantPlan, writeVariant, type BuildContext, type BuildRecord } from './build-variant.js';
import type { VariantSpec } from './config.js';

/**
 * A learned-w4a16 / learned-w4a8 variant: the default recipe's plan of its scheme and format (the run's PTQ variant's
 * plan file when that one is built in this run with the default recipe, else made here the same way), then learned
 * rounding on the run's calibration images (src/quant/learned/learn-stage.ts, the stage `yoloq learn` runs), then
 * export in the variant's format. plans/<id>.json is the learned plan.
 */

export interface LearnSummary {
  /** The PTQ variant whose plan was learned from, or 'built' when the plan was made for this variant. */
  planFrom: string;
  changedWeights: number;
  iterations: number;
  images: number;
  blocks: number;
  /** Blocks that kept the plan's codes (no gain, or no per-image outputs). */
  blocksKept: number;
  /** Seconds in the Python stage (result.json). */
  seconds: number;
}

export interface LearnedBuild {
  spec: Extract<VariantSpec, { kind: 'learned' }>;
  ctx: BuildContext;
  out: { onnx: string; plan: string };
  /** The PTQ variant's finished plan file to learn from ({id, path}); absent: make the plan here. */
  basePlan?: { id: string; path: string };
  python: PythonEnv;
  learn: LearnOptions;
  /** The images to learn on (learn-stage.ts `learnImages`). */
  images: readonly string[];
}

export async function buildLearnedVariant(b: LearnedBuild): Promise<BuildRecord> {
  const t0 = performance.now();
  const timer = createStageTimer();
  const { ctx, spec } = b;
  const base = b.basePlan
    ? { plan: await timer.time('read plan', async () => readPlanFiles(b.basePlan!.path)), skipped: [] as string[] }
    : await variantPlan(spec.scheme, spec.format, 'default', { ...ctx, recipe: 'default' }, timer).then((p) => ({
        plan: p.plan,
        skipped: p.calibration?.skipped ?? [],
      }));
  const progress = ctx.onProgress;
  const learned = await timer.time(
    'learned rounding',
    () =>
      learnRounding({
        modelBytes: ctx.sourceBytes,
        plan: base.plan,
        images: b.images,
        options: b.learn,
        python: b.python,
        ...(progress ? { onProgress: (s, d, t, detail) => progress(s === 'learning' ? s : `learning: ${s}`, d, t, detail) } : {}),
      }),
    { images: b.images.length },
  );
  // The working graph of the learned plan, as `yoloq apply` builds it: the same file `learn` + `apply` write.
  const work = planWorkingGraph(modelFromBytes(ctx.sourceBytes), learned.plan);
  const written = await writeVariant(work, learned.plan, spec.format, ctx, timer, b.out);
  const skipped = [...base.skipped, ...learned.skipped.map((s) => `${s.path}: ${s.reason}`)];
  const r = learned.result;
  return {
    scheme: spec.scheme,
    format: spec.format,
    ...written,
    recipe: 'learned',
    ...planRecord(learned.plan),
    ...(skipped.length > 0 ? { skippedImages: skipped } : {}),
    learned: {
      planFrom: b.basePlan?.id ?? 'built',
      changedWeights: learned.changed,
      iterations: r.iterations,
      images: r.images,
      blocks: r.blocks.length,
      blocksKept: r.blocks.filter((x) => x.kept === 'plan').length,
      seconds: r.seconds,
    },
    seconds: (performance.now() - t0) / 1000,
    stages: timer.stages(),
  };
}
