import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readPlanFiles } from '../quant/plan-file.js';
import type { QuantPlan } from '../quant/plan.js';
import { writeLearnJob } from '../quant/learned/job.js';
import { sha256 } from '../util/sha256.js';
import type { LetterboxOptions } from '../yolo/preprocess.js';
import type { ImageTensorResult } from './image-tensors.js';

/**
 * `yoloq qat --from-plan`: the Brevitas stage starts from a yoloq plan instead of its own surgery and PTQ. The TS side
 * writes the same job folder block reconstruction reads (src/quant/learned/job.ts: float.onnx with equalization
 * applied, plan.json with explicit codes and corrected biases, blocks.json with each activation's readers, the images),
 * and python/yoloq_brevitas/from_plan.py builds the Brevitas model from it. What Brevitas cannot carry is refused
 * here, before any image is read, naming the first layer at fault.
 */

const HINT = 'make the plan per-channel (`yoloq quantize --target brevitas`, or `--granularity per-channel`)';

/** InputError for the first weight decision the Brevitas stage cannot hold: blocked (or two-level) scales, scales
 * along another axis than Conv's output channels, a weight of another op. (Zero points come only with the full
 * code range and activations only at 8 bits: validatePlan already holds plans to that, and Brevitas carries both.) */
export function checkPlanForBrevitas(plan: QuantPlan): void {
  for (const w of plan.weights) {
    if (w.opType !== 'Conv') throw new InputError(`plan weight ${w.node}: ${w.opType}; the Brevitas stage takes Conv weights only`);
    if (w.granularity.kind === 'blocked')
      throw new InputError(
        `plan weight ${w.node}: blocked granularity (block:${w.granularity.blockSize}) has no Brevitas quantizer here; ${HINT}`,
      );
    if (w.granularity.kind === 'per-channel' && w.granularity.axis !== 0)
      throw new InputError(
        `plan weight ${w.node}: per-channel scales along axis ${w.granularity.axis}; Brevitas' Conv quantizers scale axis 0`,
      );
  }
}

export interface PlanJobRequest {
  modelPath: string;
  planPath: string;
  images: readonly string[];
  letterbox: LetterboxOptions;
  family: string;
  /** The job folder (emptied first). */
  dir: string;
  onProgress?: (done: number, total: number) => void;
}

/** Read and check the plan against the model's bytes; InputError before anything is written. */
export function readPlanForModel(planPath: string, modelPath: string): { plan: QuantPlan; modelBytes: Uint8Array } {
  const plan = readPlanFiles(planPath);
  if (!existsSync(modelPath)) throw new InputError(`--model ${modelPath}: no such file`);
  const modelBytes = readFileSync(modelPath);
  if (plan.modelSha256 && plan.modelSha256 !== sha256(modelBytes))
    throw new InputError(`--from-plan ${planPath} was made for another model than ${modelPath}`);
  checkPlanForBrevitas(plan);
  return { plan, modelBytes };
}

/** Write the job folder python/yoloq_brevitas/from_plan.py builds the Brevitas model from. */
export async function writePlanJob(req: PlanJobRequest, checked: { plan: QuantPlan; modelBytes: Uint8Array }): Promise<ImageTensorResult> {
  const job = await writeLearnJob({
    modelBytes: checked.modelBytes,
    plan: checked.plan,
    images: req.images,
    letterbox: req.letterbox,
    family: req.family,
    dir: req.dir,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
  return job.images;
}
