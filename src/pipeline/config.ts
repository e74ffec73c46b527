import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { FORMAT_NAMES, isFormatName, type FormatName } from '../export/formats.js';
import { targetByName, targetFormat, type TargetName, type TargetRow } from '../export/targets.js';
import { isPlanRecipeName, type PlanRecipeName } from '../quant/algorithms/recipe.js';
import { LEARN_DEFAULTS } from '../quant/learned/learn-stage.js';
import { schemeNeedsCalibration, type SchemeName } from '../quant/scheme.js';
import { isEpName, type EpName } from '../runtime/ep-table.js';
import { parseYamlLite, type YamlValue } from './yaml-lite.js';
import { parseStrictNumber } from '../util/parse-number.js';

/**
 * What `yoloq run` does, as plain data: the resolved configuration that is snapshotted into the run folder. Its
 * sources, later ones winning: the defaults below, `--config run.yaml`, then command-line options.
 */

export const VARIANT_NAMES = Object.freeze([
  'fp32',
  'w8a16',
  'w8a8',
  'w4a16',
  'w4a8',
  'qat-w4a8',
  'learned-w4a16',
  'learned-w4a8',
] as const);
export type VariantName = (typeof VARIANT_NAMES)[number];
export type LearnedVariantName = Extract<VariantName, `learned-${string}`>;

/** The scheme of each learned-rounding variant: the default recipe's plan of that scheme, then `yoloq learn`. */
const LEARNED_SCHEMES: Readonly<Record<LearnedVariantName, 'w4a16' | 'w4a8'>> = Object.freeze({
  'learned-w4a16': 'w4a16',
  'learned-w4a8': 'w4a8',
});

/**
 * One variant to build: `name` or `name:format` on the command line (e.g. `w4a8:qcdq`). `id` is the file and table
 * name: the variant name, with `-<format>` when the format is not the EP's default.
 */
export type VariantSpec =
  | { id: string; name: 'fp32'; kind: 'float' }
  | { id: string; name: 'qat-w4a8'; kind: 'qat'; scheme: 'w4a8' }
  | { id: string; name: SchemeName; kind: 'ptq'; scheme: SchemeName; format: FormatName }
  | { id: string; name: LearnedVariantName; kind: 'learned'; scheme: 'w4a16' | 'w4a8'; format: FormatName };

export interface RunConfig {
  /** An ONNX or ultralytics .pt model; undefined: the embedded default (assets/default). */
  model?: string;
  /** COCO instances JSON and its images; both undefined: the synthetic evaluation set (default model only). */
  coco?: string;
  images?: string;
  maxImages?: number;
  /** Calibration images (a folder); undefined with the default model: the synthetic calibration split. */
  calib?: string;
  calibCount: number;
  seed: number;
  variants: VariantSpec[];
  /**
   * The PTQ variants' recipe: `none` (round-to-nearest) or `default` (GPTQ, sensitivity budget, searched ranges); see
   * quant/algorithms/recipe.ts. The learned-* variants always start from the default recipe's plan.
   */
  recipe: PlanRecipeName;
  ep: EpName;
  /** A deployment target (src/export/targets.ts): the variants' formats and quantization choices for that runtime. */
  target?: TargetName;
  threads: number;
  /** ORT sessions evaluating at once, each in a worker thread (src/eval/predict-pool.ts); the same bytes for any count. */
  workers: number;
  warmup: number;
  runs: number;
  /** Images the per-layer sensitivity is measured on (0: skip it). */
  sensitivityImages: number;
  /** Sample images with FP vs W4A8 detections in the report. */
  overlayImages: number;
  /** QAT steps of the qat-w4a8 variant (the Python stage). */
  qatSteps: number;
  /** Adam steps per block of the learned-* variants (`yoloq learn --iters`). */
  learnIters: number;
  /** The synthetic set of the default run: image counts and seed. */
  syntheticVal: number;
  syntheticCalib: number;
  syntheticSeed: number;
}

export const DEFAULT_VARIANTS = 'fp32,w8a16,w8a8,w4a16,w4a8';

export const DEFAULTS: Readonly<Omit<RunConfig, 'variants'>> = Object.freeze({
  calibCount: 64,
  seed: 0,
  recipe: 'default',
  ep: 'cpu',
  threads: 0,
  workers: 1,
  warmup: 5,
  runs: 30,
  sensitivityImages: 8,
  overlayImages: 4,
  qatSteps: 200,
  learnIters: LEARN_DEFAULTS.iters,
  syntheticVal: 100,
  syntheticCalib: 64,
  syntheticSeed: 0,
});

/**
 * The format each scheme is written in, per EP: native INT4 for 4-bit weights (the smallest file; on the CUDA EP in
 * the blocked layout it implements), int8-carried QDQ for 8-bit weights (ORT CPU and TensorRT fuse it into integer
 * kernels), and int8-carried QDQ for 4-bit weights on TensorRT, which has no INT4 Conv weights. On the CUDA EP
 * `int4` is always written as `int4-cuda` (ORT's CUDA EP runs only blocked INT4 DequantizeLinear).
 */
export const DEFAULT_FORMATS: Readonly<Record<EpName, Readonly<Record<SchemeName, FormatName>>>> = Object.freeze({
  cpu: Object.freeze({ w4a8: 'int4', w4a16: 'int4', w8a8: 'qdq', w8a16: 'qdq' }),
  cuda: Object.freeze({ w4a8: 'int4-cuda', w4a16: 'int4-cuda', w8a8: 'qdq', w8a16: 'qdq' }),
  tensorrt: Object.freeze({ w4a8: 'qdq', w4a16: 'qdq', w8a8: 'qdq', w8a16: 'qdq' }),
});

function isVariantName(s: string): s is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(s);
}

/** The EP a target runs on when --ep is not given. */
const TARGET_EP: Readonly<Record<TargetName, EpName>> = Object.freeze({
  'ort-cpu': 'cpu',
  'ort-cpu-integer': 'cpu',
  'ort-cuda': 'cuda',
  tensorrt: 'tensorrt',
  brevitas: 'cpu',
});

export function parseVariants(list: string, ep: EpName, target?: TargetRow): VariantSpec[] {
  const specs: VariantSpec[] = [];
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, format] = item.split(':') as [string, string | undefined];
    if (!isVariantName(name)) throw new InputError(`variant ${name}: expected one of ${VARIANT_NAMES.join(', ')} (optionally :format)`);
    if (format !== undefined && !isFormatName(format))
      throw new InputError(`variant ${item}: format ${format} is not one of ${FORMAT_NAMES.join(', ')}`);
    if (format !== undefined && (name === 'fp32' || name === 'qat-w4a8')) throw new InputError(`variant ${item}: ${name} takes no format`);
    let spec: VariantSpec;
    if (name === 'fp32') spec = { id: 'fp32', name, kind: 'float' };
    else if (name === 'qat-w4a8') spec = { id: 'qat-w4a8', name, kind: 'qat', scheme: 'w4a8' };
    else {
      const learned = Object.hasOwn(LEARNED_SCHEMES, name) ? LEARNED_SCHEMES[name as LearnedVariantName] : undefined;
      const scheme = learned ?? (name as SchemeName);
      // A learned variant is written in the format its scheme's PTQ variant gets, so the two compare file for file.
      const byTarget = target ? targetFormat(target, scheme) : undefined;
      const asked = (format ?? byTarget ?? DEFAULT_FORMATS[ep][scheme]) as FormatName;
      const fmt: FormatName = ep === 'cuda' && asked === 'int4' ? 'int4-cuda' : asked;
      const id = fmt === (byTarget ?? DEFAULT_FORMATS[ep][scheme]) ? name : `${name}-${fmt}`;
      spec = learned
        ? { id, name: name as LearnedVariantName, kind: 'learned', scheme: learned, format: fmt }
        : { id, name: scheme, kind: 'ptq', scheme, format: fmt };
    }
    if (specs.some((s) => s.id === spec.id)) throw new InputError(`variant ${spec.id} is listed twice`);
    specs.push(spec);
  }
  if (specs.length === 0) throw new InputError('no variants given');
  return specs;
}

/** Options as the command line or a YAML file give them, before validation (YAML keys may be camelCase or kebab-case). */
export type RawOptions = Record<string, YamlValue | undefined>;

/** Every run option a YAML file or the command line may give (kebab-case; `output` is `-o` on the command line). */
export const RUN_OPTION_KEYS = [
  'model',
  'coco',
  'images',
  'max-images',
  'calib',
  'calib-count',
  'seed',
  'variants',
  'recipe',
  'ep',
  'target',
  'threads',
  'workers',
  'warmup',
  'runs',
  'sensitivity-images',
  'overlay-images',
  'qat-steps',
  'learn-iters',
  'synthetic-val',
  'synthetic-calib',
  'synthetic-seed',
  'output',
] as const;

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');
}

/** Read `--config`: a run.yaml (or JSON) with the same keys as the command-line options. */
export function readConfigFile(path: string): RawOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`cannot read config file ${path}`);
  }
  const out: RawOptions = {};
  for (const [k, v] of Object.entries(parseYamlLite(text, path))) {
    const key = kebab(k);
    if (!(RUN_OPTION_KEYS as readonly string[]).includes(key))
      throw new InputError(`${path}: unknown key ${k} (known: ${RUN_OPTION_KEYS.join(', ')})`);
    out[key] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

function int(raw: RawOptions, key: string, fallback: number, min: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'number' ? v : (parseStrictNumber(String(v), { integer: true }) ?? Number.NaN);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${key} ${String(v)}: expected an integer ≥ ${min}`);
  return n;
}

function str(raw: RawOptions, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') throw new InputError(`${key}: expected a single value`);
  return String(v);
}

/** Validate merged options into a RunConfig (InputError naming the option on the first problem). */
export function resolveConfig(raw: RawOptions): RunConfig & { output?: string } {
  const targetName = str(raw, 'target');
  const target = targetName === undefined ? undefined : targetByName(targetName);
  const ep = str(raw, 'ep') ?? (target ? TARGET_EP[target.name] : DEFAULTS.ep);
  if (!isEpName(ep)) throw new InputError(`ep ${ep}: expected cpu, cuda or tensorrt`);
  if (target && target.name !== 'brevitas' && ep !== TARGET_EP[target.name]) {
    throw new InputError(`--ep ${ep}: --target ${target.name} runs on the ${TARGET_EP[target.name]} EP`);
  }
  const recipe = str(raw, 'recipe') ?? DEFAULTS.recipe;
  if (!isPlanRecipeName(recipe))
    throw new InputError(`recipe ${recipe}: expected none or default (learned rounding is the learned-w4a16 and learned-w4a8 variants)`);
  const model = str(raw, 'model');
  const coco = str(raw, 'coco');
  const images = str(raw, 'images');
  const calib = str(raw, 'calib');
  if (model !== undefined && coco === undefined)
    throw new InputError(
      'with --model, give the evaluation set: --coco instances.json --images dir (the synthetic set only fits the embedded model)',
    );
  if (coco === undefined && images !== undefined) throw new InputError('--images needs --coco');
  const variants = parseVariants(str(raw, 'variants') ?? DEFAULT_VARIANTS, ep, target);
  if (coco !== undefined && calib === undefined && variants.some((v) => v.kind !== 'float' && schemeNeedsCalibration(v.scheme))) {
    throw new InputError('the A8 variants need calibration images: give --calib dir (never the evaluation images)');
  }
  if (coco !== undefined && calib === undefined && variants.some((v) => v.kind === 'learned')) {
    throw new InputError('the learned-* variants learn on calibration images: give --calib dir (never the evaluation images)');
  }
  // As in `yoloq eval`: at least 1 (leave the option out for every image; 0 is refused, never "all").
  const maxImages = int(raw, 'max-images', 0, 1);
  const output = str(raw, 'output');
  return {
    ...(model !== undefined ? { model } : {}),
    ...(coco !== undefined ? { coco } : {}),
    ...(images !== undefined ? { images } : {}),
    ...(maxImages > 0 ? { maxImages } : {}),
    ...(calib !== undefined ? { calib } : {}),
    ...(output !== undefined ? { output } : {}),
    calibCount: int(raw, 'calib-count', DEFAULTS.calibCount, 1),
    seed: int(raw, 'seed', DEFAULTS.seed, 0),
    variants,
    recipe,
    ep,
    ...(target ? { target: target.name } : {}),
    threads: int(raw, 'threads', DEFAULTS.threads, 0),
    workers: int(raw, 'workers', DEFAULTS.workers, 1),
    warmup: int(raw, 'warmup', DEFAULTS.warmup, 0),
    runs: int(raw, 'runs', DEFAULTS.runs, 1),
    sensitivityImages: int(raw, 'sensitivity-images', DEFAULTS.sensitivityImages, 0),
    overlayImages: int(raw, 'overlay-images', DEFAULTS.overlayImages, 0),
    qatSteps: int(raw, 'qat-steps', DEFAULTS.qatSteps, 0),
    learnIters: int(raw, 'learn-iters', DEFAULTS.learnIters, 0),
    syntheticVal: int(raw, 'synthetic-val', DEFAULTS.syntheticVal, 1),
    syntheticCalib: int(raw, 'synthetic-calib', DEFAULTS.syntheticCalib, 1),
    syntheticSeed: int(raw, 'synthetic-seed', DEFAULTS.syntheticSeed, 0),
  };
}
