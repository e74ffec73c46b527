import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { postStage, type PostStageResult } from '../../brevitas/post-stage.js';
import { skippedImagesLine } from '../../data/skipped.js';
import { runPythonStage, runPythonWorkers } from '../../brevitas/run-stage.js';
import {
  PTQ_STEPS,
  STAGE_DEFAULT_BATCH,
  STAGE_LOSSES,
  STAGE_SCHEMES,
  WEIGHT_SCALINGS,
  resolveModelInput,
  stageArgs,
  type ModelInput,
  type ModelInputOptions,
  type PtqStep,
  type StageSettings,
} from '../../brevitas/stage-args.js';
import { checkLaunch, isDistributed, launchCommand, worldSize, type LaunchSettings } from '../../brevitas/torchrun.js';
import { trainingImages } from '../../brevitas/training-data.js';
import { writeImageTensors } from '../../brevitas/image-tensors.js';
import { readPlanForModel, writePlanJob } from '../../brevitas/plan-job.js';
import { ensurePythonEnv } from '../../brevitas/venv.js';
import type { ProgressEvent } from '../../brevitas/protocol.js';
import { parseFamilyName } from '../../yolo/families/index.js';
import { numberOpt, stringOpt, type Command, type CommandIo, type ParsedArgs } from '../command.js';
import { checkOutputFolder, checkOutputPath } from '../../io/atomic-write.js';

/**
 * `yoloq qat`: Brevitas PTQ initialisation + QAT in PyTorch (python/yoloq_brevitas), then yoloq's own check,
 * inspect, INT4 conversion and (with --eval) COCO mAP on the result. Images are letterboxed here, with the
 * family's preprocessing, and handed to Python as tensors.
 */

function outputPaths(args: ParsedArgs): { qcdq: string; int4: string; work: string } {
  const out = stringOpt(args, 'output');
  if (!out) throw new InputError('give the output file with -o');
  const qcdq = resolve(out);
  const stem = join(dirname(qcdq), basename(qcdq, extname(qcdq)));
  const paths = { qcdq, int4: `${stem}.int4.onnx`, work: resolve(stringOpt(args, 'work-dir') ?? `${stem}.work`) };
  // Checked before the data preparation and training (src/io/atomic-write.ts).
  checkOutputPath(out, '-o');
  if (!args.values['no-int4']) checkOutputPath(paths.int4, '-o (its .int4.onnx twin)');
  checkOutputFolder(paths.work, '--work-dir');
  return paths;
}

function modelOptions(args: ParsedArgs): ModelInputOptions {
  const model = stringOpt(args, 'model');
  if (!model) throw new InputError('give the model with --model (.pt, .yaml or .onnx)');
  const family = stringOpt(args, 'family');
  return {
    model,
    ...(family ? { family: parseFamilyName(family) } : {}),
    imgsz: numberOpt(args, 'imgsz', 640, { min: 32, integer: true }),
  };
}

/** A numeric flag when given (validated), else undefined: the Python stage's default. */
function optionalNumber(args: ParsedArgs, name: string, bounds: { min?: number; max?: number; integer?: boolean }): number | undefined {
  return stringOpt(args, name) === undefined ? undefined : numberOpt(args, name, 0, bounds);
}

function choice<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`--${name} ${v}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

function ptqSteps(args: ParsedArgs): PtqStep[] | undefined {
  const ptq = stringOpt(args, 'ptq');
  if (ptq === undefined) return undefined;
  const steps = ptq.split(',').filter(Boolean);
  const bad = steps.find((s) => s !== 'none' && !(PTQ_STEPS as readonly string[]).includes(s));
  if (bad) throw new InputError(`--ptq ${ptq}: unknown step ${bad} (calibrate, gptq, bias-correction or none)`);
  return steps.filter((s): s is PtqStep => s !== 'none');
}

/** The Brevitas stage's settings from the flags, validated, so bad input fails before anything is written. */
function stageSettings(args: ParsedArgs): StageSettings {
  return {
    steps: numberOpt(args, 'steps', 100, { min: 0, integer: true }),
    batch: optionalNumber(args, 'batch', { min: 1, integer: true }),
    lr: optionalNumber(args, 'lr', { min: 0 }),
    scaleLr: optionalNumber(args, 'scale-lr', { min: 0 }),
    emaDecay: optionalNumber(args, 'ema-decay', { min: 0, max: 0.99999 }),
    calibCount: optionalNumber(args, 'calib-count', { min: 1, integer: true }),
    gptqCount: optionalNumber(args, 'gptq-count', { min: 1, integer: true }),
    seed: optionalNumber(args, 'seed', { min: 0, integer: true }),
    threads: optionalNumber(args, 'threads', { min: 0, integer: true }),
    checkpointEvery: optionalNumber(args, 'checkpoint-every', { min: 1, integer: true }),
    scheme: choice(args, 'scheme', STAGE_SCHEMES),
    loss: choice(args, 'loss', STAGE_LOSSES),
    weightScaling: choice(args, 'weight-scaling', WEIGHT_SCALINGS),
    ptq: ptqSteps(args),
    device: stringOpt(args, 'device'),
    keepFirstLast: !args.values['no-keep-first-last'],
    resume: args.values.resume === true,
  };
}

/** torchrun's settings from --nproc-per-node, --nnodes, --node-rank, --master-addr, --master-port, checked against
 * the stage settings (global batch, device) before anything is written. */
function launchSettings(args: ParsedArgs, settings: StageSettings): LaunchSettings {
  const masterAddr = stringOpt(args, 'master-addr');
  const masterPort = optionalNumber(args, 'master-port', { min: 1, max: 65535, integer: true });
  const l: LaunchSettings = {
    nprocPerNode: numberOpt(args, 'nproc-per-node', 1, { min: 1, max: 1024, integer: true }),
    nnodes: numberOpt(args, 'nnodes', 1, { min: 1, max: 4096, integer: true }),
    nodeRank: numberOpt(args, 'node-rank', 0, { min: 0, integer: true }),
    ...(masterAddr !== undefined ? { masterAddr } : {}),
    ...(masterPort !== undefined ? { masterPort } : {}),
  };
  checkLaunch(l, settings.batch ?? STAGE_DEFAULT_BATCH, settings.device);
  return l;
}

/** What a node other than node 0 prints: its ranks trained, node 0 wrote the model. */
export interface QatWorkerSummary {
  node: number;
  nodes: number;
  processes: number;
  output: null;
  seconds: number;
}

export interface QatSummary {
  model: string;
  family: string;
  output: string;
  images: number;
  labelledBoxes: number;
  stage: Record<string, unknown>;
  post: PostStageResult;
  seconds: number;
}

/** --images (required), --count, --seed, --image-dir: which images the stage gets. */
function imageSelection(args: ParsedArgs, what: string): { images: string; count: number; seed: number; imageDir?: string } {
  const images = stringOpt(args, 'images');
  if (!images) throw new InputError(`give ${what} with --images (a folder or a COCO instances JSON)`);
  const imageDir = stringOpt(args, 'image-dir');
  return {
    images,
    count: numberOpt(args, 'count', 256, { min: 1, integer: true }),
    seed: numberOpt(args, 'seed', 0, { min: 0, integer: true }),
    ...(imageDir ? { imageDir } : {}),
  };
}

async function prepareData(args: ParsedArgs, input: ModelInput, dir: string, io: CommandIo): Promise<{ count: number; boxes: number }> {
  const labels = stringOpt(args, 'labels');
  const set = await trainingImages({ ...imageSelection(args, 'training/calibration images'), ...(labels ? { labels } : {}) });
  const r = await writeImageTensors({
    images: set.paths,
    letterbox: input.letterbox,
    outDir: dir,
    family: input.family,
    ...(set.labelsFor ? { labelsFor: set.labelsFor } : {}),
    ...(set.classIndexOf ? { classIndexOf: set.classIndexOf } : {}),
    onProgress: (d, t) => io.progress('preprocessing', d, t),
  });
  if (r.skipped.length) io.note(`yoloq: ${skippedImagesLine('training', r.skipped, { strictHint: false })}`);
  return { count: r.count, boxes: r.boxes };
}

/** Flags that choose what a plan already decides (or that only label-based QAT of a PyTorch source uses). */
const PLAN_DECIDES = ['scheme', 'weight-scaling', 'calib-count', 'gptq-count', 'no-keep-first-last', 'labels'] as const;

/** --from-plan: the plan, checked against --model and against what Brevitas can carry, before anything is written. */
function fromPlanSettings(args: ParsedArgs, settings: StageSettings): ReturnType<typeof readPlanForModel> | undefined {
  const planPath = stringOpt(args, 'from-plan');
  if (planPath === undefined) return undefined;
  const clash = PLAN_DECIDES.find((f) => args.values[f] !== undefined);
  if (clash) throw new InputError(`--${clash}: --from-plan takes every quantization decision from the plan; drop --${clash}`);
  if (settings.ptq?.length) throw new InputError(`--ptq ${settings.ptq.join(',')}: --from-plan starts from the plan (no Brevitas PTQ)`);
  if (settings.loss === 'labels') throw new InputError('--loss labels: --from-plan trains an ONNX model, by distillation');
  const model = stringOpt(args, 'model') ?? '';
  if (!model.toLowerCase().endsWith('.onnx'))
    throw new InputError('--from-plan: give the float ONNX model the plan was made for with --model');
  return readPlanForModel(planPath, model);
}

async function preparePlanJob(
  args: ParsedArgs,
  input: ModelInput,
  dir: string,
  checked: NonNullable<ReturnType<typeof fromPlanSettings>>,
  io: CommandIo,
): Promise<{ count: number; boxes: number }> {
  const set = await trainingImages(imageSelection(args, 'training images'));
  const r = await writePlanJob(
    {
      modelPath: input.path,
      planPath: stringOpt(args, 'from-plan')!,
      images: set.paths,
      letterbox: input.letterbox,
      family: input.family,
      dir,
      onProgress: (d, t) => io.progress('preprocessing', d, t),
    },
    checked,
  );
  if (r.skipped.length) io.note(`yoloq: ${skippedImagesLine('training', r.skipped, { strictHint: false })}`);
  return { count: r.count, boxes: 0 };
}

export const qatCommand: Command = {
  name: 'qat',
  summary: 'Brevitas PTQ + quantization-aware training in PyTorch (W4A8, W4A16), exported as QCDQ and INT4',
  usage:
    'yoloq qat --model <model.pt | model.yaml | model.onnx> --images <dir | instances.json> [options] -o out.onnx\n' +
    '       yoloq qat --from-plan plan.json --model <float.onnx> --images <dir | instances.json> [options] -o out.onnx',
  options: {
    model: { type: 'string' },
    'from-plan': { type: 'string' },
    images: { type: 'string' },
    'image-dir': { type: 'string' },
    labels: { type: 'string' },
    count: { type: 'string' },
    scheme: { type: 'string' },
    family: { type: 'string' },
    imgsz: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'scale-lr': { type: 'string' },
    'ema-decay': { type: 'string' },
    loss: { type: 'string' },
    ptq: { type: 'string' },
    'calib-count': { type: 'string' },
    'gptq-count': { type: 'string' },
    'weight-scaling': { type: 'string' },
    seed: { type: 'string' },
    'no-keep-first-last': { type: 'boolean' },
    device: { type: 'string' },
    threads: { type: 'string' },
    'nproc-per-node': { type: 'string' },
    nnodes: { type: 'string' },
    'node-rank': { type: 'string' },
    'master-addr': { type: 'string' },
    'master-port': { type: 'string' },
    'work-dir': { type: 'string' },
    resume: { type: 'boolean' },
    'checkpoint-every': { type: 'string' },
    eval: { type: 'string' },
    'eval-images': { type: 'string' },
    'no-int4': { type: 'boolean' },
    verbose: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
  },
  details: [
    '  --model M          ultralytics .pt (YOLOv8/YOLOv10/YOLO11), an ultralytics YAML (e.g. yolov10m.yaml: random init),',
    '                     a YOLOv5-repo .pt (needs the yolov5 package), or any FP32 ONNX (through onnx2torch)',
    "  --from-plan FILE   start from a yoloq plan (`yoloq quantize --plan`, `learn`, `convert --plan`) instead of Brevitas'",
    "                     surgery and PTQ: each planned Conv becomes a Brevitas QuantConv2d with the plan's bits, scales,",
    '                     zero points and codes, each activation decision a QuantIdentity with its scale and zero point,',
    "                     on the plan's float graph (equalization, corrected biases); --model is that float ONNX. PTQ is",
    '                     skipped; --steps 0 exports at once. Blocked granularity is refused (use per-channel, e.g.',
    '                     `--target brevitas`); --scheme, --weight-scaling, --labels and the PTQ counts do not apply',
    '  --images P         training + calibration images: a folder, or a COCO instances JSON (images in --image-dir)',
    '  --count N          images drawn from --images with --seed (default 256)',
    "  --labels L         COCO instances JSON or a folder of YOLO txt labels: label-based QAT with ultralytics' loss",
    "                     (ultralytics sources); without labels QAT distils the float model's raw outputs",
    '  --scheme S         w4a8 (default) | w4a16',
    '  --family F         output family when the file name cannot tell (.pt/.yaml): yolov8 | yolov10 | yolov5',
    '  --imgsz N          input size for .pt/.yaml sources (default 640)',
    '  --steps N          QAT steps (default 100; 0 = Brevitas PTQ only); --batch N (default 4), the global batch:',
    '                     with several processes it is split evenly over them (a multiple of their number)',
    "  --lr X             learning rate of weights and biases, relative to each tensor's mean magnitude (default 1e-3);",
    '                     --scale-lr X the same for quantizer scales (default 1e-3); --ema-decay X (default 0.999)',
    '  --ptq LIST         PTQ initialisation: calibrate,gptq,bias-correction (default all) or none',
    '  --calib-count N / --gptq-count N   images for calibration / GPTQ (64 / 32)',
    '  --weight-scaling   stats (max|w| init, default) | mse',
    '  --no-keep-first-last  stem and prediction Convs at 4 bits too (default keeps them at 8, as `yoloq quantize`)',
    '  --device D         auto (CUDA when present) | cpu | cuda; --threads N for PyTorch (per process)',
    '  --nproc-per-node N data-parallel QAT: N processes on this machine under torchrun (DDP; nccl on GPUs, one per',
    '                     GPU, gloo on the CPU); default 1, the plain single process. See docs/scale.md',
    '  --nnodes M         machines taking part; run the same command on each with --node-rank R (0 … M−1) and',
    '                     --master-addr A (node 0, reachable from all) [--master-port P, default 29500];',
    '                     node 0 writes the outputs, the other nodes only train',
    '  --work-dir D       tensors and checkpoints (default <output>.work); --resume continues from its checkpoint',
    '  --checkpoint-every N  steps between checkpoints (default 50)',
    '  --loss L           auto (label-based with --labels and an ultralytics model, else distillation) | labels | distill',
    '  --eval JSON        COCO mAP of the result on this instances file (images in --eval-images, default <json dir>/images)',
    "  --no-int4          skip writing <output>.int4.onnx; --verbose: the Python stage's log on stderr",
    '  -o, --output FILE  the QCDQ model',
    '',
  ],
  async run(args, io) {
    const t0 = performance.now();
    const paths = outputPaths(args);
    const parsed = stageSettings(args);
    const checked = fromPlanSettings(args, parsed);
    const dataDir = join(paths.work, checked ? 'plan-job' : 'data');
    const settings: StageSettings = checked ? { ...parsed, ptq: undefined, fromPlan: dataDir } : parsed;
    const launch = launchSettings(args, settings);
    const input = await resolveModelInput(modelOptions(args));
    const stageArgv = stageArgs(
      // Several processes: the global batch is passed explicitly, so every node splits the same number.
      isDistributed(launch) ? { ...settings, batch: settings.batch ?? STAGE_DEFAULT_BATCH } : settings,
      input,
      dataDir,
      paths,
    );
    const { module, args: argv } = launchCommand(launch, stageArgv);
    mkdirSync(paths.work, { recursive: true });
    const data = checked ? await preparePlanJob(args, input, dataDir, checked, io) : await prepareData(args, input, dataDir, io);
    const log = args.values.verbose ? (l: string) => io.err(l) : () => {};
    const py = await ensurePythonEnv({ onLog: (l) => io.progress('installing the Python stage', 0, 0, l.slice(0, 60)) });
    const stageOptions = {
      module,
      onProgress: (e: ProgressEvent) =>
        io.progress(`qat ${e.stage}`, e.step, e.total, typeof e.loss === 'number' ? `loss ${e.loss.toPrecision(4)}` : undefined),
      onLog: log,
    };
    if (launch.nodeRank > 0) {
      // Only global rank 0 (on node 0) reports progress and writes outputs; this node's ranks just train.
      io.progress(`qat: node ${launch.nodeRank} of ${launch.nnodes} training`, 0, 0);
      await runPythonWorkers(py, argv, stageOptions);
      io.progress('');
      const w: QatWorkerSummary = {
        node: launch.nodeRank,
        nodes: launch.nnodes,
        processes: worldSize(launch),
        output: null,
        seconds: (performance.now() - t0) / 1000,
      };
      io.out(
        args.values.json
          ? JSON.stringify(w, null, 2)
          : `node ${w.node} of ${w.nodes}: its ranks finished QAT; node 0 writes the model (${w.seconds.toFixed(1)} s)`,
      );
      return 0;
    }
    const stage = await runPythonStage(py, argv, stageOptions);
    const evalJson = stringOpt(args, 'eval');
    const evalImages = stringOpt(args, 'eval-images');
    const post = await postStage({
      qcdq: stage.onnx,
      ...(args.values['no-int4'] ? {} : { int4: paths.int4 }),
      ...(evalJson
        ? {
            eval: {
              instances: evalJson,
              ...(evalImages ? { images: evalImages } : {}),
              family: input.family,
              onProgress: (d: number, t: number) => io.progress('evaluating', d, t),
            },
          }
        : {}),
    });
    io.progress('');
    const summary: QatSummary = {
      model: input.path,
      family: input.family,
      output: stage.onnx,
      images: data.count,
      labelledBoxes: data.boxes,
      stage,
      post,
      seconds: (performance.now() - t0) / 1000,
    };
    io.out(args.values.json ? JSON.stringify(summary, null, 2) : formatQat(summary));
    return 0;
  },
};

function formatQat(s: QatSummary): string {
  const st = s.stage as {
    scheme?: string;
    qat?: { steps: number; loss: string; firstLoss: number; lastLoss: number } | null;
    ortSqnrDb?: number;
    seconds?: number;
    fromPlan?: boolean;
  };
  const lines = [
    `${s.output}: ${st.scheme ?? ''} QCDQ from ${s.model} (${s.family}), ${(s.post.inspect.bytes / 1e6).toFixed(2)} MB, ${s.post.inspect.percentConvParamsAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits`,
    `yoloq check: 0 errors, ${s.post.check.warnings} warnings; ONNX Runtime vs PyTorch SQNR ${st.ortSqnrDb?.toFixed(1) ?? 'exact'} dB`,
    st.qat
      ? `QAT${st.fromPlan ? ' from the plan' : ''}: ${st.qat.steps} steps (${st.qat.loss}) on ${s.images} images, loss ${st.qat.firstLoss.toPrecision(4)} → ${st.qat.lastLoss.toPrecision(4)}`
      : st.fromPlan
        ? 'the plan exported as it is (--steps 0)'
        : `PTQ only on ${s.images} images`,
  ];
  if (s.post.int4)
    lines.push(`${s.post.int4.path}: native INT4, ${s.post.int4.converted} weights converted, ${s.post.int4.kept} kept at 8 bits`);
  if (s.post.eval)
    lines.push(`COCO mAP ${s.post.eval.map.toFixed(4)} (mAP50 ${s.post.eval.map50.toFixed(4)}) on ${s.post.eval.images} images`);
  lines.push(`${s.seconds.toFixed(1)} s (Python stage ${st.seconds?.toFixed(1) ?? '?'} s)`);
  return lines.join('\n');
}
