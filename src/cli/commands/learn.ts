import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { trainingImages } from '../../brevitas/training-data.js';
import { skippedImagesLine } from '../../data/skipped.js';
import { InputError } from '../../errors.js';
import { checkDistinctPaths, checkOutputFolder, checkOutputPath } from '../../io/atomic-write.js';
import {
  checkDevice,
  checkLoss,
  finishLearnJob,
  formatLearnBlocks,
  LEARN_DEFAULTS,
  learnRounding,
  prepareLearnJob,
  type LearnOptions,
  type LearnStageResult,
} from '../../quant/learned/learn-stage.js';
import { readPlanFiles, sidecarPath, writePlanFiles } from '../../quant/plan-file.js';
import { sha256 } from '../../util/sha256.js';
import { parseFamilyName } from '../../yolo/families/index.js';
import { numberOpt, stringOpt, type Command, type ParsedArgs } from '../command.js';
import { readModelBytes } from '../read-input.js';

/**
 * `yoloq learn`: learned rounding of a saved plan (AdaRound/BRECQ block reconstruction with QDrop, in PyTorch:
 * python/yoloq_brevitas/learned). TS writes the job folder (src/quant/learned/job.ts), Python learns the codes,
 * TS merges them into a new plan (scales unchanged) that `yoloq apply` exports in any format the plan fits.
 */

/**
 * The learning options as a command gives them: `yoloq learn --iters …`, or with `prefix` 'learn-' the
 * `--learn-iters …` of `yoloq quantize --recipe learned`. --seed, --device and --threads are never prefixed.
 */
export function learnOptionsFrom(args: ParsedArgs, prefix: '' | 'learn-' = ''): LearnOptions {
  const d = LEARN_DEFAULTS;
  const optional = (name: string, b: { min?: number; max?: number }) =>
    stringOpt(args, name) === undefined ? undefined : numberOpt(args, name, 0, b);
  const lr = optional(`${prefix}lr`, { min: Number.MIN_VALUE });
  const qdrop = optional(`${prefix}qdrop`, { min: 0, max: 0.99 });
  return {
    iters: numberOpt(args, `${prefix}iters`, d.iters, { min: 0, integer: true }),
    batch: numberOpt(args, `${prefix}batch`, d.batch, { min: 1, integer: true }),
    seed: numberOpt(args, 'seed', d.seed, { min: 0, integer: true }),
    threads: numberOpt(args, 'threads', d.threads, { min: 0, integer: true }),
    device: checkDevice(stringOpt(args, 'device') ?? d.device),
    blockSize: numberOpt(args, `${prefix}block-size`, d.blockSize, { min: 1, integer: true }),
    loss: checkLoss(stringOpt(args, `${prefix}loss`) ?? d.loss, `--${prefix}loss`),
    ...(lr !== undefined ? { lr } : {}),
    ...(qdrop !== undefined ? { qdrop } : {}),
  };
}

/** Options of a learning run, which a --from-job merge must not be given. */
const LEARN_ONLY_OPTIONS = [
  'calib',
  'calib-count',
  'iters',
  'batch',
  'lr',
  'qdrop',
  'loss',
  'seed',
  'device',
  'threads',
  'family',
  'block-size',
  'work-dir',
];

function formatLearn(out: string, changed: number, r: LearnStageResult): string {
  return [
    `${out}: ${changed} weights re-rounded, ${r.iterations} steps per block on ${r.images} images (batch ${r.batch}, QDrop ${r.qdrop}, loss ${r.loss}, ${r.device})`,
    ...formatLearnBlocks(r),
    `${r.seconds.toFixed(1)} s in the Python stage`,
  ].join('\n');
}

/** The job folder is emptied before use: refuse a folder holding anything but an earlier job. */
function checkWorkDir(dir: string): void {
  checkOutputFolder(dir, '--work-dir');
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'blocks.json')))
    throw new InputError(`--work-dir ${dir} holds other files: give an empty or new folder (it is emptied before use)`);
}

export const learnCommand: Command = {
  name: 'learn',
  summary: 'learned rounding of a saved plan: block reconstruction (AdaRound/BRECQ + QDrop) in PyTorch',
  usage: 'yoloq learn --model M.onnx --plan plan.json --calib <images dir | instances.json> -o learned.json [options]',
  options: {
    model: { type: 'string' },
    plan: { type: 'string' },
    calib: { type: 'string' },
    'calib-count': { type: 'string' },
    iters: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    qdrop: { type: 'string' },
    loss: { type: 'string' },
    seed: { type: 'string' },
    device: { type: 'string' },
    threads: { type: 'string' },
    family: { type: 'string' },
    'block-size': { type: 'string' },
    'work-dir': { type: 'string' },
    'prepare-only': { type: 'boolean' },
    'from-job': { type: 'string' },
    verbose: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
  },
  details: [
    "Learns each 4/8-bit weight's rounding on the plan's own grid (scales unchanged), block by block, to match the",
    "float block's outputs from the quantized model's inputs; a block that does not improve keeps the plan's codes.",
    'The new plan (its JSON and .safetensors sidecar) re-applies with `yoloq apply` in any format the plan fits.',
    '  --model M          the float ONNX model the plan was made for',
    '  --plan FILE.json   the plan (from `yoloq quantize --plan`)',
    '  --calib P          calibration images: a folder, or a COCO instances JSON (images in its folder)',
    '  --calib-count N    images drawn with --seed (default 64)',
    '  --iters N          Adam steps per block (default 200; 0 writes the plan back unchanged)',
    '  --batch N          images per step (default 4); --lr X rate of the rounding variables (default 0.05)',
    '  --qdrop P          A8 plans: probability of skipping an activation quantizer while learning (default 0.5)',
    '  --loss L           block loss: mse (squared error of the block outputs, default) | output (each output element',
    "                     weighted by what its error does to the detections: the float model's boxes and scores,",
    '                     pulled back to the block; docs/learned-rounding.md)',
    '  --seed S           image draw, batches and QDrop (default 0): same inputs and seed, same plan',
    '  --block-size N     quantized Convs per block when node names carry no module path (default 4)',
    '  --device D         auto (CUDA when present) | cpu | cuda[:N]; --threads N for PyTorch',
    '  --family F         yolox | yolov5 | yolov8 | yolov10, when auto-detection cannot tell',
    '  --work-dir D       keep the job folder (float.onnx, plan.json, blocks.json, images, codes) in D',
    "  --verbose          the Python stage's log on stderr",
    '  -o, --output FILE  the new plan (FILE.json and FILE.safetensors)',
    'Learning on another machine (one with PyTorch and a GPU but no Node, say):',
    '  --prepare-only     with --work-dir D: write the job folder and stop (no -o); prints the Python command that',
    "                     learns it: run it in yoloq's python/ folder there, then bring D back",
    '  --from-job D       merge the codes the Python stage wrote into D (a job --prepare-only wrote for the same',
    '                     --model and --plan) into -o; takes no --calib and no learning options',
    '',
  ],
  async run(args, io) {
    const modelPath = stringOpt(args, 'model');
    const planPath = stringOpt(args, 'plan');
    const calib = stringOpt(args, 'calib');
    const out = stringOpt(args, 'output');
    const fromJob = stringOpt(args, 'from-job');
    const prepareOnly = Boolean(args.values['prepare-only']);
    const workArg = stringOpt(args, 'work-dir');
    if (!modelPath) throw new InputError('give the float model with --model');
    if (!planPath) throw new InputError('give the plan with --plan');
    if (fromJob !== undefined && prepareOnly) throw new InputError('--from-job and --prepare-only exclude each other');
    if (fromJob !== undefined) {
      const extra = LEARN_ONLY_OPTIONS.find((o) => args.values[o] !== undefined);
      if (extra) throw new InputError(`--from-job merges a finished job: --${extra} belongs to the run that made it`);
    } else if (!calib) throw new InputError('give calibration images with --calib (a folder or a COCO instances JSON)');
    if (prepareOnly) {
      if (!workArg) throw new InputError('--prepare-only writes the job folder: give it with --work-dir');
      if (out) throw new InputError('--prepare-only writes no plan: -o belongs to `yoloq learn --from-job`');
    } else {
      if (!out) throw new InputError('give the output plan with -o');
      checkOutputPath(out, '-o');
      checkOutputPath(sidecarPath(out), '-o (its .safetensors sidecar)');
      checkDistinctPaths([
        ['--model', modelPath],
        ['--plan', planPath],
        ['-o', out],
      ]);
    }
    if (workArg) checkWorkDir(workArg);
    // Learning options are checked before any file is read (a --from-job merge takes none).
    const options = learnOptionsFrom(args);
    const count = numberOpt(args, 'calib-count', LEARN_DEFAULTS.count, { min: 1, integer: true });
    const family = stringOpt(args, 'family');
    const familyName = family ? parseFamilyName(family) : undefined;
    const plan = readPlanFiles(planPath);
    const bytes = readModelBytes(modelPath);
    if (plan.modelSha256 && plan.modelSha256 !== sha256(bytes))
      throw new InputError(`plan ${planPath} was made for another model than ${modelPath}`);
    if (fromJob !== undefined) {
      if (!existsSync(fromJob)) throw new InputError(`--from-job ${fromJob}: no such folder`);
      const learned = finishLearnJob(bytes, plan, fromJob);
      writePlanFiles(out!, learned.plan);
      const summary = { model: modelPath, plan: planPath, output: out, changedWeights: learned.changed, ...learned.result };
      io.out(args.values.json ? JSON.stringify(summary, null, 2) : formatLearn(out!, learned.changed, learned.result));
      return 0;
    }
    const set = await trainingImages({ images: calib!, count, seed: options.seed });
    const spec = {
      modelBytes: bytes,
      plan,
      images: set.paths,
      options,
      ...(familyName ? { family: familyName } : {}),
      onProgress: (stage: string, done: number, total: number, detail?: string) => io.progress(stage, done, total, detail),
    };
    if (prepareOnly) {
      const job = await prepareLearnJob(spec, workArg!);
      io.progress('');
      if (job.skipped.length) io.note(`yoloq: ${skippedImagesLine('calibration', job.skipped, { strictHint: false })}`);
      const argv = job.argv.map((a, i) => (i === 1 ? resolve(a) : a));
      const command = `python -m yoloq_brevitas.learned ${argv.join(' ')}`;
      io.out(
        args.values.json
          ? JSON.stringify({ model: modelPath, plan: planPath, job: resolve(workArg!), command }, null, 2)
          : [
              `${workArg}: learning job written (${set.paths.length - job.skipped.length} image${set.paths.length - job.skipped.length === 1 ? '' : 's'})`,
              `learn it, in yoloq's python/ folder (with PyTorch and onnx2torch; --job takes the folder where it lies there):`,
              `  ${command}`,
              `then: yoloq learn --model ${modelPath} --plan ${planPath} --from-job ${workArg} -o learned.json`,
            ].join('\n'),
      );
      return 0;
    }
    const learned = await learnRounding({
      ...spec,
      ...(workArg ? { workDir: workArg } : {}),
      ...(args.values.verbose ? { onLog: (l: string) => io.err(l) } : {}),
    });
    io.progress('');
    if (learned.skipped.length) io.note(`yoloq: ${skippedImagesLine('calibration', learned.skipped, { strictHint: false })}`);
    writePlanFiles(out!, learned.plan);
    const summary = { model: modelPath, plan: planPath, output: out, changedWeights: learned.changed, ...learned.result };
    io.out(args.values.json ? JSON.stringify(summary, null, 2) : formatLearn(out!, learned.changed, learned.result));
    return 0;
  },
};
