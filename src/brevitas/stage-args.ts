import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { numberOpt, stringOpt, type ParsedArgs } from '../cli/command.js';
import { loadModel } from '../onnx/serde/model-io.js';
import { detectFamily, modelSignature } from '../yolo/detect.js';
import { FAMILIES, parseFamilyName, type FamilyName } from '../yolo/families/index.js';
import type { LetterboxOptions } from '../yolo/preprocess.js';

/** What the TS side decides about the source model before Python runs: its family and preprocessing. */
export interface ModelInput {
  path: string;
  kind: 'onnx' | 'pytorch';
  family: FamilyName;
  letterbox: LetterboxOptions;
}

/** Family of an ultralytics / YOLOv5 file from its name: yolov10* → yolov10, yolov5[nsmlx].pt → yolov5, else yolov8. */
export function familyFromName(file: string): FamilyName {
  const b = basename(file).toLowerCase();
  if (/v10/.test(b)) return 'yolov10';
  if (/^yolov5[nsmlx]6?\.pt$/.test(b)) return 'yolov5';
  return 'yolov8';
}

export async function resolveModelInput(args: ParsedArgs): Promise<ModelInput> {
  const path = stringOpt(args, 'model');
  if (!path) throw new InputError('give the model with --model (.pt, .yaml or .onnx)');
  const given = stringOpt(args, 'family');
  const lower = path.toLowerCase();
  if (lower.endsWith('.onnx')) {
    if (!existsSync(path)) throw new InputError(`${path}: no such file`);
    const detected = detectFamily(modelSignature(loadModel(path)), given ? { family: parseFamilyName(given) } : {});
    if (detected.input.dtype !== 'float32') throw new InputError(`${path}: the input is ${detected.input.dtype}; the Brevitas stage needs an FP32 ONNX model`);
    return { path: resolve(path), kind: 'onnx', family: detected.family, letterbox: detected.adapter.letterboxOptions(detected.input) };
  }
  const isYaml = lower.endsWith('.yaml') || lower.endsWith('.yml');
  if (!isYaml && !lower.endsWith('.pt')) throw new InputError(`--model ${path}: expected a .pt checkpoint, an ultralytics .yaml or an .onnx model`);
  if (!isYaml && !existsSync(path)) throw new InputError(`${path}: no such file`);
  const family = given ? parseFamilyName(given) : familyFromName(path);
  if (family === 'yolox') throw new InputError('YOLOX PyTorch checkpoints are not supported: export YOLOX to ONNX and pass the .onnx');
  const size = numberOpt(args, 'imgsz', 640, { min: 32, integer: true });
  if (size % 32 !== 0) throw new InputError(`--imgsz ${size}: must be a multiple of 32`);
  // A bundled ultralytics YAML name (yolov10m.yaml) is resolved by ultralytics itself; a path is passed absolute.
  const modelArg = existsSync(path) ? resolve(path) : path;
  return { path: modelArg, kind: 'pytorch', family, letterbox: FAMILIES[family].letterboxOptions({ width: size, height: size, dtype: 'float32' }) };
}

const PASS_THROUGH: ReadonlyArray<[string, { min?: number; max?: number; integer?: boolean }]> = [
  ['batch', { min: 1, integer: true }], ['lr', { min: 0 }], ['scale-lr', { min: 0 }], ['ema-decay', { min: 0, max: 0.99999 }],
  ['calib-count', { min: 1, integer: true }], ['gptq-count', { min: 1, integer: true }], ['seed', { min: 0, integer: true }],
  ['threads', { min: 0, integer: true }], ['checkpoint-every', { min: 1, integer: true }],
];

const CHOICES: ReadonlyArray<[string, readonly string[]]> = [
  ['scheme', ['w4a8', 'w4a16']], ['loss', ['auto', 'labels', 'distill']], ['weight-scaling', ['stats', 'mse']],
];

/** The Python stage's command line for these options (validated here, so bad input fails before Python starts). */
export function stageArgs(args: ParsedArgs, input: ModelInput, dataDir: string, paths: { qcdq: string; work: string }): string[] {
  const out = ['--model', input.path, '--data', dataDir, '-o', paths.qcdq, '--checkpoint', join(paths.work, 'qat.ckpt')];
  out.push('--steps', String(numberOpt(args, 'steps', 100, { min: 0, integer: true })));
  for (const [name, bounds] of PASS_THROUGH) {
    if (stringOpt(args, name) !== undefined) out.push(`--${name}`, String(numberOpt(args, name, 0, bounds)));
  }
  for (const [name, allowed] of CHOICES) {
    const v = stringOpt(args, name);
    if (v === undefined) continue;
    if (!allowed.includes(v)) throw new InputError(`--${name} ${v}: expected one of ${allowed.join(', ')}`);
    out.push(`--${name}`, v);
  }
  const ptq = stringOpt(args, 'ptq');
  if (ptq !== undefined) {
    const steps = ptq.split(',').filter(Boolean);
    const bad = steps.find((s) => !['calibrate', 'gptq', 'bias-correction', 'none'].includes(s));
    if (bad) throw new InputError(`--ptq ${ptq}: unknown step ${bad} (calibrate, gptq, bias-correction or none)`);
    out.push('--ptq', ptq);
  }
  const device = stringOpt(args, 'device');
  if (device !== undefined) {
    if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) throw new InputError(`--device ${device}: expected auto, cpu, cuda or cuda:N`);
    out.push('--device', device);
  }
  if (args.values['no-keep-first-last']) out.push('--no-keep-first-last');
  if (args.values.resume) out.push('--resume');
  return out;
}
