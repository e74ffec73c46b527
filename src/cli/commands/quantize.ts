import { readModelBytes } from '../read-input.js';
import { InputError } from '../../errors.js';
import { cocoImagePaths } from '../../data/coco-images.js';
import { FORMAT_CAPABILITIES, formatFromOptions, type FormatName } from '../../export/formats.js';
import { inspectModel } from '../../inspect/inspect-model.js';
import { checkDistinctPaths, checkOutputPath, writeOutputs } from '../../io/atomic-write.js';
import type { Model } from '../../onnx/ir/graph.js';
import { modelFromBytes, modelSizeOnDisk, modelToBytes, stageModel } from '../../onnx/serde/model-io.js';
import type { CalibrationSource } from '../../quant/calibration/samples.js';
import { checkFormatRequest } from '../../quant/formats/capabilities.js';
import { isObserverName } from '../../quant/observers/observers.js';
import { parseGranularity, type GranularityRequest, type QuantPlan } from '../../quant/plan.js';
import { sidecarPath, stagePlanFiles } from '../../quant/plan-file.js';
import { applyPlan, makePlan, planWorkingGraph, type ActivationDtype } from '../../workflow/quantize.js';
import { isSchemeName, SCHEMES } from '../../quant/scheme.js';
import { measureSqnr } from '../../quant/sqnr.js';
import { createStageTimer, formatStages, type StageTiming } from '../../quant/stage-timer.js';
import { formatObserverCounts, observerCounts } from '../../quant/plan-observers.js';
import { skippedImagesLine } from '../../data/skipped.js';
import { activeRecipe, recipeName, recipeRequest } from './quantize-recipe.js';
import { learnOptionsFrom } from './learn.js';
import { formatLearned, learnedRounding } from './quantize-learned.js';
import { ensurePythonEnv } from '../../brevitas/venv.js';
import { applyTargetDefaults } from './target-options.js';
import { prepareForOrtCpu } from '../../runtime/prepare-model.js';
import { recipeGranularity, type Recipe } from '../../quant/algorithms/recipe.js';
import { isFamilyName } from '../../yolo/families/index.js';
import { numberOpt, stringOpt, type Command, type CommandIo, type ParsedArgs } from '../command.js';

function choice<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[], fallback: T): T {
  const v = stringOpt(args, name) ?? fallback;
  if (!allowed.includes(v as T)) throw new InputError(`--${name} ${v}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

/** --granularity per-channel | per-tensor | block:N, else the recipe's for the format (blocked scales in native INT4 under the default recipe). */
function granularity(args: ParsedArgs, recipe: Recipe, format: FormatName): GranularityRequest {
  const g = stringOpt(args, 'granularity');
  if (g !== undefined) return parseGranularity(g);
  // --bits picks each layer's block size itself; it only needs the format to be a blocked one, under any recipe.
  if (stringOpt(args, 'bits') !== undefined && FORMAT_CAPABILITIES[format].blockedScales) return { kind: 'blocked', blockSize: 16 };
  return recipeGranularity(recipe, FORMAT_CAPABILITIES[format]);
}

function calibrationSource(args: ParsedArgs): CalibrationSource | undefined {
  const calib = stringOpt(args, 'calib');
  if (!calib) return undefined;
  const images = calib.endsWith('.json') ? cocoImagePaths(calib, stringOpt(args, 'calib-images')) : calib;
  const family = stringOpt(args, 'family');
  if (family !== undefined && !isFamilyName(family)) throw new InputError(`--family ${family}: unknown family`);
  return {
    images,
    count: numberOpt(args, 'calib-count', 64, { min: 1, integer: true }),
    seed: numberOpt(args, 'seed', 0, { min: 0, integer: true }),
    ...(family ? { detect: { family } } : {}),
    ...(args.values.strict ? { strict: true } : {}),
  };
}

function progress(io: CommandIo) {
  return (stage: string, done: number, total: number) => io.progress(stage, done, total);
}

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'post-training quantization of an FP ONNX YOLO model (W4A8, W4A16, W8A8, W8A16)',
  usage: 'yoloq quantize --model in.onnx --scheme w4a8 --calib <images dir | instances.json> [options] -o out.onnx',
  options: {
    target: { type: 'string' },
    model: { type: 'string' },
    scheme: { type: 'string' },
    calib: { type: 'string' },
    'calib-images': { type: 'string' },
    'calib-count': { type: 'string' },
    seed: { type: 'string' },
    strict: { type: 'boolean' },
    format: { type: 'string' },
    'cuda-layout': { type: 'boolean' },
    'act-dtype': { type: 'string' },
    observer: { type: 'string' },
    percentile: { type: 'string' },
    'act-mode': { type: 'string' },
    granularity: { type: 'string' },
    'no-keep-first-last': { type: 'boolean' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    plan: { type: 'string' },
    'sqnr-images': { type: 'string' },
    family: { type: 'string' },
    threads: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'silu-path': { type: 'boolean' },
    'allow-nonfinite': { type: 'boolean' },
    algo: { type: 'string' },
    recipe: { type: 'string' },
    budget: { type: 'string' },
    bits: { type: 'string' },
    correct: { type: 'string' },
    equalize: { type: 'string' },
    'asym-weights': { type: 'string' },
    refine: { type: 'string' },
    'learn-iters': { type: 'string' },
    'learn-batch': { type: 'string' },
    'learn-lr': { type: 'string' },
    'learn-qdrop': { type: 'string' },
    'learn-loss': { type: 'string' },
    'learn-block-size': { type: 'string' },
    device: { type: 'string' },
  },
  details: [
    '  --scheme S          w4a8 | w4a16 | w8a8 | w8a16 (A8: int8 activations, calibrated; A16: float activations)',
    '  --target T          ort-cpu | ort-cpu-integer | ort-cuda | tensorrt | brevitas: the format, granularity, weight',
    '                      symmetry, activation mode, Q/DQ placement and A16 dtype that runtime needs (src/export/targets.ts;',
    '                      ort-cpu-integer: W4A8 as an all-integer chain, faster, less accurate today); explicit options it',
    '                      cannot take: exit 2',
    '  --calib P           calibration images: a folder, or a COCO instances JSON (images in --calib-images, default its folder)',
    '  --calib-count N     images drawn for calibration (default 64), with --seed (default 0)',
    '  --strict            an unreadable calibration image is an error (exit 2) instead of a skip named on stderr',
    '  --format F          qcdq (Brevitas-style, opset 13; default) | int4 (native INT4, opset 21) | qdq (int8-carried, no Clip)',
    "                      | int4-cuda (native INT4, every 4-bit weight block-dequantized: what ORT's CUDA EP runs)",
    '                      | int4-compact (int4-cuda with two-level block scales: uint8 codes under a float scale per row)',
    '                      | int4-compact-fp8 (the same with FP8 E4M3 codes under one float scale per tensor, as NVFP4)',
    '  --cuda-layout       the same as --format int4-cuda',
    "  --act-dtype D       A16 schemes: fp16 (GPU graph, default) | fp32 (twin for CPU: ORT's x86 CPU EP has no FP16 Conv)",
    '  --observer O        activation ranges: minmax (default) | percentile | mse | entropy; --percentile P (default 99.99).',
    '                      The default recipe then searches each range among minmax, percentile, MSE and entropy',
    '                      candidates (a Softmax output keeps min/max: its peaks are the signal); the summary counts',
    '                      the observers the plan chose',
    '  --act-mode M        asymmetric (uint8 + zero point, default) | symmetric (zero point 0, TensorRT)',
    "  --silu-path         A8: also quantize each Conv's SiLU path, so ORT CPU runs Conv → Sigmoid → Mul as integer kernels",
    '  --granularity G     4-bit weight scales: per-channel | per-tensor | block:N (N input elements per scale; int4 only).',
    '                      Default: block:16 with --format int4/int4-cuda/int4-compact(-fp8) under the default recipe, else',
    '                      per-channel.',
    '                      A format that cannot carry the request is refused before calibration (exit 2)',
    "  --no-keep-first-last  also put the stem and prediction layers at the scheme's bits (default keeps them at 8)",
    '  --include P / --exclude P  layers by node name, op type or /regex/ (repeatable)',
    '  --recipe R          default (with --calib): GPTQ (asymmetric 4-bit), sensitivity-kept 8-bit layers, searched activation ranges,',
    '                      depthwise input equalization (A8), error correction (--correct 4), and in --format int4',
    '                      blocked 4-bit scales (block:16);',
    '                      none (without --calib): round-to-nearest, the default layer policy. See docs/accuracy.md;',
    "                      learned (needs --calib): the default recipe's plan (8-bit weights: round-to-nearest's), then",
    '                      `yoloq learn` on the same calibration images (PyTorch stage), then the export. See',
    '                      docs/learned-rounding.md',
    '  --learn-iters N     --recipe learned: Adam steps per block (default 200); --learn-batch N images per step',
    '                      (default 4); --learn-lr X (default 0.05); --learn-qdrop P A8 QDrop (default 0.5);',
    '                      --learn-block-size N Convs per block for flat node names (default 4); --learn-loss mse |',
    '                      output (default mse; see `yoloq learn --help`); --seed drives it too',
    "  --device D          --recipe learned: auto (CUDA when present) | cpu | cuda[:N]; --threads also sets PyTorch's",
    '  --algo A            override the recipe: rtn | gptq (needs --calib)',
    '  --budget F          share of Conv weight parameters to keep at 4 bits; the rest (most sensitive first) at 8',
    '                      (of every Conv weight, layers left float included, as `yoloq inspect` counts them)',
    '  --bits B            all-in bits per Conv weight, at most (codes, scales, zero points, 8-bit and float layers, as',
    '                      `yoloq inspect` counts the file written): each 4-bit layer gets block:16, 32, 64 or 128',
    '                      or stays at 8 bits, chosen together by measured sensitivity; --budget is then the least share',
    '                      at 4 bits (default 0.9). Needs a blocked format (int4, int4-cuda, int4-compact(-fp8)) and --calib;',
    '                      a budget the model cannot meet exits 2 before calibration',
    '  --correct N         error correction: re-fit each Conv (weights + bias) to the float outputs from the quantized',
    "                      model's inputs, N layers per ORT pass (0: off; needs --calib). See docs/accuracy.md",
    '  --equalize on|off   A8: equalize the channel ranges of depthwise Conv inputs (a Mul per such Conv; needs --calib)',
    '  --asym-weights on|off  GPTQ: 4-bit weights with a zero point per scale (all 16 levels; default on in the',
    "                      default recipe). Off: symmetric [-7, 7], Brevitas' and TensorRT's form",
    '  --refine N          GPTQ: N coordinate-descent sweeps over the codes after each rounding (0: off)',
    '  --plan FILE.json    write the QuantPlan: the decisions in FILE.json, its codes and scales beside it in',
    '                      FILE.safetensors (keep the two together); re-apply it with `yoloq apply`',
    '  --allow-nonfinite   keep layers whose weights hold NaN/Inf float and quantize the rest (default: refused, exit 2)',
    '  --sqnr-images N     raw-output SQNR against the float model on N calibration-folder images (default 32, 0: skip)',
    '  --family F          yolox | yolov5 | yolov8 | yolov10, when auto-detection cannot tell',
    "  --threads N         ONNX Runtime intra-op threads, and PyTorch's under --recipe learned (default: their choice)",
    '  -o, --output FILE   the quantized model',
    '',
  ],
  async run(args, io) {
    const scheme = stringOpt(args, 'scheme');
    if (!scheme || !isSchemeName(scheme)) throw new InputError(`--scheme ${scheme ?? '(missing)'}: expected w4a8, w4a16, w8a8 or w8a16`);
    const out = stringOpt(args, 'output');
    if (!out) throw new InputError('give the output file with -o');
    // Every output is checked before any work; all are written together at the end (src/io/atomic-write.ts).
    checkOutputPath(out, '-o');
    if (stringOpt(args, 'plan') !== undefined) checkOutputPath(stringOpt(args, 'plan')!, '--plan');
    const planSidecar = stringOpt(args, 'plan') === undefined ? undefined : sidecarPath(stringOpt(args, 'plan')!);
    if (planSidecar) checkOutputPath(planSidecar, "--plan's sidecar");
    checkDistinctPaths([
      ['--model', stringOpt(args, 'model')],
      ['-o', out],
      ['--plan', stringOpt(args, 'plan')],
      ["--plan's sidecar", planSidecar],
    ]);
    const sqnrImages = numberOpt(args, 'sqnr-images', 32, { min: 0, integer: true });
    const modelPath = stringOpt(args, 'model');
    const bytes = readModelBytes(modelPath);
    const target = applyTargetDefaults(args, scheme, { planning: true });
    const trtPlacement = target?.placement === 'tensorrt';
    const format = formatFromOptions(stringOpt(args, 'format'), Boolean(args.values['cuda-layout']));
    const actDtype =
      stringOpt(args, 'act-dtype') === undefined ? undefined : choice<ActivationDtype>(args, 'act-dtype', ['fp16', 'fp32'], 'fp16');
    const observer = stringOpt(args, 'observer') ?? 'minmax';
    if (!isObserverName(observer)) throw new InputError(`--observer ${observer}: expected minmax, percentile, mse or entropy`);
    const calibration = calibrationSource(args);
    const threads = numberOpt(args, 'threads', 0, { min: 0, integer: true });
    const recipe = activeRecipe(args);
    const learn = recipe.learnedRounding ? learnOptionsFrom(args, 'learn-') : undefined;
    const weightGranularity = granularity(args, recipe, format);
    const request = recipeRequest(args, recipe);
    // What the format cannot carry is refused here, before any calibration image is read.
    checkFormatRequest(format, FORMAT_CAPABILITIES, { granularity: weightGranularity, zeroPoints: request.asymWeights ?? false });
    if (request.bitsPerWeight !== undefined && weightGranularity.kind !== 'blocked')
      throw new InputError(
        `--bits chooses each 4-bit layer's block size: it needs blocked scales (--format int4, int4-cuda, int4-compact or int4-compact-fp8), not ${weightGranularity.kind} ones`,
      );
    const t0 = performance.now();
    const timer = createStageTimer();
    // The Python stage is made ready (or refused) before any calibration image is read.
    const python = learn
      ? await ensurePythonEnv({ onLog: (l) => io.progress('installing the Python stage', 0, 0, l.slice(0, 60)) })
      : undefined;
    const {
      plan: ptqPlan,
      work: ptqWork,
      calibration: calib,
      notes,
      bitsBudget,
    } = await makePlan(bytes, {
      scheme,
      calibration,
      observer,
      threads,
      onProgress: progress(io),
      timer,
      ...request,
      siluPath: Boolean(args.values['silu-path']),
      // The FP16 W4A16 graph stores its scales in 16 bits: --bits counts the file that will be written.
      ...(request.bitsPerWeight !== undefined && SCHEMES[scheme].activations === 'float' && (actDtype ?? 'fp16') === 'fp16'
        ? { floatBits: 16 as const }
        : {}),
      ...(target && target.placement !== 'default' ? { placement: target.placement } : {}),
      nonFinite: args.values['allow-nonfinite'] ? 'keep-float' : 'refuse',
      activationMode: choice(args, 'act-mode', ['asymmetric', 'symmetric'] as const, 'asymmetric'),
      percentile: numberOpt(args, 'percentile', 99.99, { min: 50, max: 100 }),
      weights: {
        granularity: weightGranularity,
        ...(FORMAT_CAPABILITIES[format].blockScaleCodes ? { blockScales: FORMAT_CAPABILITIES[format].blockScaleCodes } : {}),
        ...(trtPlacement ? { floatPredictionLayers: true } : {}),
        keepFirstLast: !args.values['no-keep-first-last'],
        include: args.values.include as string[] | undefined,
        exclude: args.values.exclude as string[] | undefined,
      },
    });
    for (const n of notes) io.note(n);
    const learned =
      learn && calibration && python ? await learnedRounding(io, timer, { bytes, plan: ptqPlan, calibration, learn, python }) : undefined;
    const plan = learned?.plan ?? ptqPlan;
    // A learned plan is exported on its own working graph, as `yoloq apply` would (the same bytes as learn + apply).
    const work = learned ? planWorkingGraph(modelFromBytes(bytes), plan) : ptqWork;
    io.progress('export');
    // CPU targets write QDQ as yoloq would load it (weight zero points in the codes), so plain ORT runs it fast.
    const exported = (m: ReturnType<typeof applyPlan>) => (target?.writeAsLoaded && format === 'qdq' ? prepareForOrtCpu(m).model : m);
    const model = await timer.time('export', async () => exported(applyPlan(work, plan, { format, ...(actDtype ? { actDtype } : {}) })));
    const sqnrSet = sqnrImages > 0 && calib ? calib.draw({ count: sqnrImages, seed: (calib.source.seed ?? 0) + 1 }) : undefined;
    const measured = sqnrSet
      ? await timer.time(
          'sqnr',
          () => measureSqnr(bytes, modelToBytes(model), sqnrSet.feeds(), threads, (n) => io.progress('SQNR', n, sqnrSet.paths.length)),
          { images: sqnrSet.paths.length },
        )
      : undefined;
    const sqnr = measured?.nonFinite ? undefined : measured;
    const planPath = stringOpt(args, 'plan');
    io.progress('write');
    await timer.time('write', async () =>
      writeOutputs((batch) => {
        stageModel(batch, model, out);
        if (planPath) stagePlanFiles(batch, planPath, plan);
      }),
    );
    io.progress('');
    const skipped = calib?.skipped ?? [];
    if (skipped.length > 0) io.note(`yoloq: ${skippedImagesLine('calibration', skipped)}`);
    const damaged = calib?.damaged ?? [];
    if (damaged.length > 0)
      io.note(`yoloq: ${damaged.length} calibration image(s) made the decoder warn of corrupt data and were used (first: ${damaged[0]})`);
    // A figure over NaN outputs would mislead (or print "NaN dB"): it is left out, and the line says why.
    if (measured?.nonFinite) io.note(`yoloq: no raw-output SQNR: ${measured.nonFinite} output values are NaN or Inf`);
    const described = await timer.time('inspect output', async () =>
      quantizeSummary(modelPath!, out, model, plan, format, sqnr?.sqnrDb, sqnr?.images, 0),
    );
    const summary = {
      ...described,
      recipe: recipeName(args),
      ...(bitsBudget ? { bitsBudget } : {}),
      ...(learned ? { learnedRounding: { changedWeights: learned.changed, ...learned.result } } : {}),
      seconds: (performance.now() - t0) / 1000,
      stages: timer.stages(),
      ...(skipped.length > 0 ? { skippedImages: [...skipped] } : {}),
    };
    io.out(args.values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    return 0;
  },
};

function quantizeSummary(
  input: string,
  output: string,
  model: Model,
  plan: QuantPlan,
  format: string,
  sqnrDb: number | undefined,
  sqnrImages: number | undefined,
  seconds: number,
) {
  // The model as written, without reading it back (a 60 MB model took 37 s to reload on the loaded 2-core machine).
  const report = inspectModel(model);
  return {
    input,
    output,
    scheme: plan.scheme,
    format,
    // With external data, the side files count too.
    inputBytes: modelSizeOnDisk(input),
    outputBytes: modelSizeOnDisk(output),
    sizeRatio: modelSizeOnDisk(output) / modelSizeOnDisk(input),
    percentConvParamsAt4Bits: report.conv.percentAt4Bits,
    bitsPerWeight: report.bitsPerWeight,
    weights: plan.weights.length,
    activations: plan.activations.length,
    keptFloat: plan.float.length,
    ...(plan.calibration ? { calibration: plan.calibration } : {}),
    ...(plan.activations.length > 0 ? { observers: observerCounts(plan) } : {}),
    ...(sqnrDb !== undefined ? { sqnrDb, sqnrImages } : {}),
    seconds,
  };
}

function formatSummary(
  s: ReturnType<typeof quantizeSummary> & { stages: StageTiming[]; learnedRounding?: Parameters<typeof formatLearned>[0] },
): string {
  return [
    `${s.output}: ${s.scheme} ${s.format}, ${(s.outputBytes / 1e6).toFixed(2)} MB (${s.sizeRatio.toFixed(3)}× the input)`,
    `${s.percentConvParamsAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits (${s.bitsPerWeight.toFixed(2)} bits per Conv weight all in); ${s.weights} weights quantized, ${s.activations} activations, ${s.keptFloat} layers left float`,
    ...(s.calibration
      ? [
          `calibration: ${s.calibration.images} images from ${s.calibration.source}${s.calibration.skipped ? ` (${s.calibration.skipped} skipped, named above)` : ''}; activation ranges by observer: ${formatObserverCounts(s.observers ?? {})}`,
        ]
      : []),
    ...(s.learnedRounding ? formatLearned(s.learnedRounding) : []),
    ...(s.sqnrDb !== undefined ? [`raw-output SQNR vs the float model: ${s.sqnrDb.toFixed(2)} dB on ${s.sqnrImages} images`] : []),
    `${s.seconds.toFixed(1)} s, by stage:`,
    ...formatStages(s.stages, '  '),
  ].join('\n');
}
