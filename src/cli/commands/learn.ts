import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runPythonStage } from '../../brevitas/run-stage.js';
import { trainingImages } from '../../brevitas/training-data.js';
import { ensurePythonEnv } from '../../brevitas/venv.js';
import { skippedImagesLine } from '../../data/skipped.js';
import { InputError } from '../../errors.js';
import { checkDistinctPaths, checkOutputFolder, checkOutputPath } from '../../io/atomic-write.js';
import { mainGraph } from '../../onnx/ir/graph.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import { modelFromBytes } from '../../onnx/serde/model-io.js';
import { writeLearnJob } from '../../quant/learned/job.js';
import { mergeLearnedCodes, readLearnedCodes } from '../../quant/learned/merge.js';
import { readPlanFiles, sidecarPath, writePlanFiles } from '../../quant/plan-file.js';
import { planWorkingGraph } from '../../quant/working-graph.js';
import { sha256 } from '../../util/sha256.js';
import { detectFamily, modelSignature } from '../../yolo/detect.js';
import { parseFamilyName } from '../../yolo/families/index.js';
import { numberOpt, stringOpt, type Command, type ParsedArgs } from '../command.js';
import { readModelBytes } from '../read-input.js';

/**
 * `yoloq learn`: learned rounding of a saved plan (AdaRound/BRECQ block reconstruction with QDrop, in PyTorch:
 * python/yoloq_brevitas/learned). TS writes the job folder (src/quant/learned/job.ts), Python learns the codes,
 * TS merges them into a new plan (scales unchanged) that `yoloq apply` exports in any format the plan fits.
 */

interface BlockRecord {
  name: string;
  weights: number;
  /** Absent when the block was not learned (`reason` says why). */
  lossBefore?: number;
  lossAfter?: number;
  sqnrBefore?: number | null;
  sqnrAfter?: number | null;
  codesChanged?: number;
  kept: 'learned' | 'plan';
  reason?: string;
  seconds: number;
}

interface StageResult {
  iterations: number;
  batch: number;
  images: number;
  seed: number;
  qdrop: number;
  device: string;
  blocks: BlockRecord[];
  seconds: number;
}

interface Settings {
  iters: number;
  batch: number;
  count: number;
  seed: number;
  lr?: number;
  qdrop?: number;
  device: string;
  threads: number;
}

function settings(args: ParsedArgs): Settings {
  const device = stringOpt(args, 'device') ?? 'auto';
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) throw new InputError(`--device ${device}: expected auto, cpu, cuda or cuda:N`);
  const optional = (name: string, b: { min?: number; max?: number }) =>
    stringOpt(args, name) === undefined ? undefined : numberOpt(args, name, 0, b);
  const lr = optional('lr', { min: Number.MIN_VALUE });
  const qdrop = optional('qdrop', { min: 0, max: 0.99 });
  return {
    iters: numberOpt(args, 'iters', 200, { min: 0, integer: true }),
    batch: numberOpt(args, 'batch', 4, { min: 1, integer: true }),
    count: numberOpt(args, 'calib-count', 64, { min: 1, integer: true }),
    seed: numberOpt(args, 'seed', 0, { min: 0, integer: true }),
    threads: numberOpt(args, 'threads', 0, { min: 0, integer: true }),
    device,
    ...(lr !== undefined ? { lr } : {}),
    ...(qdrop !== undefined ? { qdrop } : {}),
  };
}

function stageArgv(dir: string, s: Settings): string[] {
  return [
    '--job',
    dir,
    '--iters',
    String(s.iters),
    '--batch',
    String(s.batch),
    '--seed',
    String(s.seed),
    '--device',
    s.device,
    '--threads',
    String(s.threads),
    ...(s.lr !== undefined ? ['--lr', String(s.lr)] : []),
    ...(s.qdrop !== undefined ? ['--qdrop', String(s.qdrop)] : []),
  ];
}

function db(x: number | null | undefined): string {
  return x === undefined ? '–' : x === null ? '∞' : x.toFixed(1);
}

function formatLearn(out: string, changed: number, r: StageResult): string {
  const lines = r.blocks.map(
    (b) =>
      `  ${b.name.padEnd(28)} ${String(b.weights).padStart(2)} weights  SQNR ${db(b.sqnrBefore).padStart(5)} → ${db(b.sqnrAfter).padStart(5)} dB  ${b.codesChanged ?? 0} codes changed${b.kept === 'plan' ? ` (kept the plan: ${b.reason ?? 'no gain'})` : ''}`,
  );
  return [
    `${out}: ${changed} weights re-rounded, ${r.iterations} steps per block on ${r.images} images (batch ${r.batch}, QDrop ${r.qdrop}, ${r.device})`,
    ...lines,
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
    seed: { type: 'string' },
    device: { type: 'string' },
    threads: { type: 'string' },
    family: { type: 'string' },
    'block-size': { type: 'string' },
    'work-dir': { type: 'string' },
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
    '  --seed S           image draw, batches and QDrop (default 0): same inputs and seed, same plan',
    '  --block-size N     quantized Convs per block when node names carry no module path (default 4)',
    '  --device D         auto (CUDA when present) | cpu | cuda[:N]; --threads N for PyTorch',
    '  --family F         yolox | yolov5 | yolov8 | yolov10, when auto-detection cannot tell',
    '  --work-dir D       keep the job folder (float.onnx, plan.json, blocks.json, images, codes) in D',
    "  --verbose          the Python stage's log on stderr",
    '  -o, --output FILE  the new plan (FILE.json and FILE.safetensors)',
    '',
  ],
  async run(args, io) {
    const modelPath = stringOpt(args, 'model');
    const planPath = stringOpt(args, 'plan');
    const calib = stringOpt(args, 'calib');
    const out = stringOpt(args, 'output');
    if (!modelPath) throw new InputError('give the float model with --model');
    if (!planPath) throw new InputError('give the plan with --plan');
    if (!calib) throw new InputError('give calibration images with --calib (a folder or a COCO instances JSON)');
    if (!out) throw new InputError('give the output plan with -o');
    checkOutputPath(out, '-o');
    checkOutputPath(sidecarPath(out), '-o (its .safetensors sidecar)');
    checkDistinctPaths([
      ['--model', modelPath],
      ['--plan', planPath],
      ['-o', out],
    ]);
    const s = settings(args);
    const blockSize = numberOpt(args, 'block-size', 4, { min: 1, integer: true });
    const workArg = stringOpt(args, 'work-dir');
    if (workArg) checkWorkDir(workArg);
    const plan = readPlanFiles(planPath);
    const bytes = readModelBytes(modelPath);
    if (plan.modelSha256 && plan.modelSha256 !== sha256(bytes))
      throw new InputError(`plan ${planPath} was made for another model than ${modelPath}`);
    const model = modelFromBytes(bytes, modelPath);
    const family = stringOpt(args, 'family');
    const detected = detectFamily(modelSignature(model), family ? { family: parseFamilyName(family) } : {});
    const set = await trainingImages({ images: calib, count: s.count, seed: s.seed });
    const work = workArg ? resolve(workArg) : mkdtempSync(join(tmpdir(), 'yoloq-learn-'));
    try {
      const job = await writeLearnJob({
        modelBytes: bytes,
        plan,
        images: set.paths,
        letterbox: detected.adapter.letterboxOptions(detected.input),
        family: detected.family,
        dir: work,
        blocks: { fallbackSize: blockSize },
        onProgress: (d, t) => io.progress('preprocessing', d, t),
      });
      if (job.images.skipped.length) io.note(`yoloq: ${skippedImagesLine('calibration', job.images.skipped, { strictHint: false })}`);
      const log = args.values.verbose ? (l: string) => io.err(l) : () => {};
      const py = await ensurePythonEnv({ onLog: (l) => io.progress('installing the Python stage', 0, 0, l.slice(0, 60)) });
      await runPythonStage(py, stageArgv(work, s), {
        module: 'yoloq_brevitas.learned',
        onProgress: (e) =>
          io.progress(
            'learning',
            // "learn" events count steps over all blocks; "block" events count blocks.
            e.stage === 'learn' ? e.step : e.step * Math.max(1, s.iters),
            e.stage === 'learn' ? e.total : e.total * Math.max(1, s.iters),
            typeof e.block === 'string' ? String(e.block) : undefined,
          ),
        onLog: log,
      });
      io.progress('');
      const result = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as StageResult;
      const learned = readLearnedCodes(readFileSync(join(work, 'codes.safetensors')));
      const inits = new Map(mainGraph(planWorkingGraph(model, plan)).initializers.map((t) => [t.name, t]));
      const merged = mergeLearnedCodes(
        plan,
        learned,
        { iterations: result.iterations, batch: result.batch, images: result.images, seed: result.seed, qdrop: result.qdrop },
        (name) => toFloat32(inits.get(name)!),
      );
      writePlanFiles(out, merged.plan);
      const summary = { model: modelPath, plan: planPath, output: out, changedWeights: merged.changed, ...result };
      io.out(args.values.json ? JSON.stringify(summary, null, 2) : formatLearn(out, merged.changed, result));
      return 0;
    } finally {
      if (!workArg) rmSync(work, { recursive: true, force: true });
    }
  },
};
