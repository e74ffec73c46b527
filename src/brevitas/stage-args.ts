import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { loadModel } from '../onnx/serde/model-io.js';
import type { SchemeName } from '../quant/scheme.js';
import { detectFamily, modelSignature } from '../yolo/detect.js';
import { FAMILIES, type FamilyName } from '../yolo/families/index.js';
import type { LetterboxOptions } from '../yolo/preprocess.js';

/**
 * What the TS side decides before the Brevitas stage runs (its source model's family and preprocessing) and the
 * stage's command line, from plain typed options; `yoloq qat` (src/cli/commands/qat.ts) parses its flags into them.
 */

/** The rows of the scheme table (src/quant/schemes.json) the Brevitas stage implements. */
export const STAGE_SCHEMES = ['w4a8', 'w4a16'] as const satisfies readonly SchemeName[];
export type StageScheme = (typeof STAGE_SCHEMES)[number];
export const STAGE_LOSSES = ['auto', 'labels', 'distill'] as const;
export const WEIGHT_SCALINGS = ['stats', 'mse'] as const;
/** The stage's --batch default (python/yoloq_brevitas/cli.py); with several processes it is the global batch. */
export const STAGE_DEFAULT_BATCH = 4;
/** PTQ initialisation steps, in the order they run. */
export const PTQ_STEPS = ['calibrate', 'gptq', 'bias-correction'] as const;
export type PtqStep = (typeof PTQ_STEPS)[number];

/** What the TS side decides about the source model before Python runs: its family and preprocessing. */
export interface ModelInput {
  path: string;
  kind: 'onnx' | 'pytorch';
  family: FamilyName;
  letterbox: LetterboxOptions;
}

export interface ModelInputOptions {
  /** A .pt checkpoint, an ultralytics .yaml (a bundled name such as yolov10m.yaml needs no file) or an FP32 .onnx. */
  model: string;
  /** The family when the file cannot tell (.pt/.yaml), or to override detection (.onnx). */
  family?: FamilyName;
  /** Square input size of .pt/.yaml sources, a multiple of 32 (default 640); ONNX models carry their own. */
  imgsz?: number;
}

/** Family of an ultralytics / YOLOv5 file from its name: yolov10* → yolov10, yolov5[nsmlx].pt → yolov5, else yolov8. */
export function familyFromName(file: string): FamilyName {
  const b = basename(file).toLowerCase();
  if (/v10/.test(b)) return 'yolov10';
  if (/^yolov5[nsmlx]6?\.pt$/.test(b)) return 'yolov5';
  return 'yolov8';
}

export async function resolveModelInput(o: ModelInputOptions): Promise<ModelInput> {
  const path = o.model;
  const lower = path.toLowerCase();
  if (lower.endsWith('.onnx')) {
    if (!existsSync(path)) throw new InputError(`${path}: no such file`);
    const detected = detectFamily(modelSignature(loadModel(path)), o.family ? { family: o.family } : {});
    if (detected.input.dtype !== 'float32')
      throw new InputError(`${path}: the input is ${detected.input.dtype}; the Brevitas stage needs an FP32 ONNX model`);
    return { path: resolve(path), kind: 'onnx', family: detected.family, letterbox: detected.adapter.letterboxOptions(detected.input) };
  }
  const isYaml = lower.endsWith('.yaml') || lower.endsWith('.yml');
  if (!isYaml && !lower.endsWith('.pt'))
    throw new InputError(`--model ${path}: expected a .pt checkpoint, an ultralytics .yaml or an .onnx model`);
  if (!isYaml && !existsSync(path)) throw new InputError(`${path}: no such file`);
  const family = o.family ?? familyFromName(path);
  if (family === 'yolox') throw new InputError('YOLOX PyTorch checkpoints are not supported: export YOLOX to ONNX and pass the .onnx');
  const size = o.imgsz ?? 640;
  if (size % 32 !== 0) throw new InputError(`--imgsz ${size}: must be a multiple of 32`);
  // A bundled ultralytics YAML name (yolov10m.yaml) is resolved by ultralytics itself; a path is passed absolute.
  const modelArg = existsSync(path) ? resolve(path) : path;
  return {
    path: modelArg,
    kind: 'pytorch',
    family,
    letterbox: FAMILIES[family].letterboxOptions({ width: size, height: size, dtype: 'float32' }),
  };
}

/** The stage's settings; an absent one is not passed, so the stage's own default (python/yoloq_brevitas/cli.py) holds. */
export interface StageSettings {
  /** QAT steps; 0: Brevitas PTQ only. */
  steps: number;
  batch?: number;
  /** Learning rates relative to each tensor's mean magnitude: weights and biases, quantizer scales. */
  lr?: number;
  scaleLr?: number;
  emaDecay?: number;
  calibCount?: number;
  gptqCount?: number;
  seed?: number;
  threads?: number;
  checkpointEvery?: number;
  scheme?: StageScheme;
  loss?: (typeof STAGE_LOSSES)[number];
  weightScaling?: (typeof WEIGHT_SCALINGS)[number];
  /** PTQ steps to run ([]: none). */
  ptq?: readonly PtqStep[];
  /** auto | cpu | cuda | cuda:N */
  device?: string;
  /** false: the stem and prediction Convs at 4 bits too (default true: kept at 8). */
  keepFirstLast?: boolean;
  /** Continue from the checkpoint in the work folder. */
  resume?: boolean;
  /** A job folder (src/brevitas/plan-job.ts): the stage builds its model from the yoloq plan in it and takes its
   * images from it, so no --model, --data or PTQ is passed. */
  fromPlan?: string;
}

/** Numeric settings and their flags, in the order they are passed. */
const NUMERIC: ReadonlyArray<[keyof StageSettings, string]> = [
  ['batch', 'batch'],
  ['lr', 'lr'],
  ['scaleLr', 'scale-lr'],
  ['emaDecay', 'ema-decay'],
  ['calibCount', 'calib-count'],
  ['gptqCount', 'gptq-count'],
  ['seed', 'seed'],
  ['threads', 'threads'],
  ['checkpointEvery', 'checkpoint-every'],
];

/** The Python stage's command line for these settings; a device the stage cannot take is an InputError. */
export function stageArgs(s: StageSettings, input: ModelInput, dataDir: string, paths: { qcdq: string; work: string }): string[] {
  const source = s.fromPlan !== undefined ? ['--from-plan', s.fromPlan] : ['--model', input.path, '--data', dataDir];
  const out = [...source, '-o', paths.qcdq, '--checkpoint', join(paths.work, 'qat.ckpt')];
  out.push('--steps', String(s.steps));
  for (const [key, flag] of NUMERIC) {
    const v = s[key];
    if (v !== undefined) out.push(`--${flag}`, String(v));
  }
  if (s.scheme !== undefined) out.push('--scheme', s.scheme);
  if (s.loss !== undefined) out.push('--loss', s.loss);
  if (s.weightScaling !== undefined) out.push('--weight-scaling', s.weightScaling);
  if (s.ptq !== undefined) out.push('--ptq', s.ptq.length ? s.ptq.join(',') : 'none');
  if (s.device !== undefined) {
    if (!/^(auto|cpu|cuda(:\d+)?)$/.test(s.device)) throw new InputError(`--device ${s.device}: expected auto, cpu, cuda or cuda:N`);
    out.push('--device', s.device);
  }
  if (s.keepFirstLast === false) out.push('--no-keep-first-last');
  if (s.resume) out.push('--resume');
  return out;
}
