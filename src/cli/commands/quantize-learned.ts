import type { PythonEnv } from '../../brevitas/venv.js';
import { skippedImagesLine } from '../../data/skipped.js';
import type { CalibrationSource } from '../../quant/calibration/samples.js';
import {
  formatLearnBlocks,
  learnImages,
  learnRounding,
  type LearnOptions,
  type LearnOutcome,
  type LearnStageResult,
} from '../../quant/learned/learn-stage.js';
import type { QuantPlan } from '../../quant/plan.js';
import type { StageTimer } from '../../quant/stage-timer.js';
import type { CommandIo } from '../command.js';

/**
 * `yoloq quantize --recipe learned`: the learn stage between the plan and the export, on the calibration images the
 * plan was made from (the same folder, count and seed as `yoloq learn --calib` draws), through the one library call
 * `yoloq learn` makes (src/quant/learned/learn-stage.ts).
 */

export async function learnedRounding(
  io: CommandIo,
  timer: StageTimer,
  req: { bytes: Uint8Array; plan: QuantPlan; calibration: CalibrationSource; learn: LearnOptions; python: PythonEnv },
): Promise<LearnOutcome> {
  const images = learnImages(req.calibration.images, req.calibration.count ?? 64, req.calibration.seed ?? 0);
  const family = req.calibration.detect?.family;
  const out = await timer.time(
    'learned rounding',
    () =>
      learnRounding({
        modelBytes: req.bytes,
        plan: req.plan,
        images,
        options: req.learn,
        python: req.python,
        ...(family ? { family } : {}),
        onProgress: (stage, done, total, detail) => io.progress(stage, done, total, detail),
      }),
    { images: images.length },
  );
  if (out.skipped.length) io.note(`yoloq: ${skippedImagesLine('learning', out.skipped, { strictHint: false })}`);
  return out;
}

/** The text summary's lines for the learn stage. */
export function formatLearned(r: LearnStageResult & { changedWeights: number }): string[] {
  return [
    `learned rounding: ${r.changedWeights} weights re-rounded, ${r.iterations} steps per block on ${r.images} images (batch ${r.batch}, QDrop ${r.qdrop}, loss ${r.loss}, ${r.device}), ${r.seconds.toFixed(1)} s in the Python stage`,
    ...formatLearnBlocks(r),
  ];
}
