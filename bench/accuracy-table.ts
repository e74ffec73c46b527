import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runPythonModule } from '../src/pipeline/python-stage.js';
import { evaluateModel } from '../src/eval/evaluate-model.js';
import { modelFromBytes, saveModel } from '../src/onnx/serde/model-io.js';
import { FORMAT_CAPABILITIES, type FormatName } from '../src/export/formats.js';
import { inspectModel } from '../src/inspect/inspect-model.js';
import { RECIPES, recipePlanRequest } from '../src/quant/algorithms/recipe.js';
import type { LayerHessian } from '../src/quant/algorithms/hessian.js';
import { targetPlanRequest } from '../src/pipeline/build-variant.js';
import {
  finishLearnJob,
  formatLearnBlocks,
  LEARN_DEFAULTS,
  learnImages,
  learnRounding,
  prepareLearnJob,
} from '../src/quant/learned/learn-stage.js';
import { readPlanFiles, writePlanFiles } from '../src/quant/plan-file.js';
import type { QuantPlan } from '../src/quant/plan.js';
import { planWorkingGraph } from '../src/quant/working-graph.js';
import { applyPlan, makePlan, type PlanRequest } from '../src/workflow/quantize.js';
import type { SchemeName } from '../src/quant/scheme.js';
import { benchArgs, benchNumber } from './bench-args.js';

/**
 * The accuracy table of docs/accuracy.md: mAP50-95 (val100, pycocotools-exact) for FP32, RTN and each algorithm /
 * recipe, W4A16 and W4A8, on yolox_nano and yolov5n; calibration only on train209, each quantized row over two
 * calibration draws (seeds 0 and 1) with both values and their mean.
 * YOLOv10-N comes from the official checkpoint (../shared/data/models/yolov10n.pt) through yoloq's own .pt export
 * (python/train_default/export_onnx.py), cached under /tmp/yoloq-accuracy: `yolov10n` is its NMS-free one-to-one
 * head (end-to-end [1, 300, 6]), `yolov10n-o2m` the one-to-many head [1, 84, 8400] scored with NMS.
 * `…+learned` variants add learned rounding (`yoloq learn`'s defaults, the Python stage) to their plan.
 * Usage: node dist/bench/accuracy-table.js [--models a,b] [--variants v1,v2] [--seeds 0,1] [--schemes w4a16,w4a8]
 *        [--person300] [--learn-dir DIR] [--out file.md]
 *
 * `--learn-dir DIR` learns elsewhere (a GPU machine with PyTorch and no Node): each `…+learned` cell (model, scheme,
 * variant, draw) gets DIR/<cell>/base.json (its plan, made once) and DIR/<cell>/job (`yoloq learn --prepare-only`'s
 * folder), and its plan is scored as the variant's base row. Every DIR/<cell>/<run>/ holding the Python stage's
 * result.json and codes.safetensors for that job (run there as `python -m yoloq_brevitas.learned --job …`, any
 * settings) is merged (`yoloq learn --from-job`) and scored as the row "<variant> [<run>]". Scores are cached per
 * folder, so a second pass scores only new runs. `--skip-base` leaves the plans unscored (their row is then left
 * out): for preparing jobs quickly when the plan's own row was measured before.
 */

const DATA = '../shared/data';
const tmp = '/tmp/yoloq-accuracy';
const MODELS: Record<string, string> = {
  yolox_nano: `${DATA}/models/yolox_nano.onnx`,
  yolov5n: `${DATA}/models/yolov5n_fp16.onnx`,
  yolov10n: join(tmp, 'yolov10n.onnx'),
  'yolov10n-o2m': join(tmp, 'yolov10n-o2m.onnx'),
};

/** The YOLOv10-N exports, made once through the Python stage's .pt export. */
async function ensureExported(name: string): Promise<void> {
  if (!name.startsWith('yolov10n') || existsSync(MODELS[name]!)) return;
  const head = name.endsWith('-o2m') ? ['--head', 'one-to-many'] : [];
  await runPythonModule(resolve('.'), 'train_default.export_onnx', [
    '--model',
    resolve(`${DATA}/models/yolov10n.pt`),
    '--out',
    MODELS[name]!,
    ...head,
  ]);
}
const CALIB = `${DATA}/coco/train209/images`;
const EVAL = { coco: `${DATA}/coco/val100/instances_val100.json`, images: `${DATA}/coco/val100/images` };
/** Person AP on 300 further val2017 images (person boxes only): the lower-noise cross-check. */
const PERSON300 = { coco: `${DATA}/coco/person300/instances_person300.json`, images: `${DATA}/coco/person300/images` };

/** `a8Only`: differs from another row only in activation handling (for W4A16 it equals a row without it). 'old default' = the recipe before equalization and correction. */
interface Variant {
  name: string;
  req: Partial<PlanRequest>;
  blocked?: boolean;
  a8Only?: boolean;
  calibCount?: number;
  /** Export format (default: int4 when `blocked`, else qcdq). */
  format?: FormatName;
  /** Learned rounding (`yoloq learn` with its defaults, the plan's own calibration draw) on top of the plan. */
  learned?: boolean;
}

/** Exactly what `--recipe default` asks for (src/quant/algorithms/recipe.ts) in QCDQ: per-channel 4-bit scales. */
const DEFAULT = recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.qcdq);
const DEFAULT_QDQ = recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.qdq);
/** The default with `blockSize` input elements per 4-bit scale (native INT4 only). */
const blocked = (blockSize: number, keepFirstLast = true): Partial<PlanRequest> => ({
  ...DEFAULT,
  weights: { granularity: { kind: 'blocked', blockSize }, ...(keepFirstLast ? {} : { keepFirstLast }) },
});
const BLOCK32 = blocked(32);
/** The default recipe with two-level block scales of `blockSize` input elements (`--format int4-compact`). */
const compact = (blockSize: number): Partial<PlanRequest> => ({
  ...recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES['int4-compact']),
  weights: { granularity: { kind: 'blocked', blockSize }, blockScales: 'uint8' },
});

/** The same with FP8 E4M3 block-scale codes under one float32 scale per tensor (`--format int4-compact-fp8`). */
const compactFp8 = (blockSize: number): Partial<PlanRequest> => ({
  ...recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES['int4-compact-fp8']),
  weights: { granularity: { kind: 'blocked', blockSize }, blockScales: 'e4m3' },
});

const VARIANTS: Variant[] = [
  { name: 'rtn', req: { algorithm: 'rtn' } },
  { name: 'rtn+budget0.9', req: { algorithm: 'rtn', budget: 0.9 } },
  { name: 'gptq', req: { algorithm: 'gptq' } },
  { name: 'gptq block:64', req: { algorithm: 'gptq', weights: { granularity: { kind: 'blocked', blockSize: 64 } } }, blocked: true },
  { name: 'gptq+budget0.9', req: { algorithm: 'gptq', budget: 0.9 } },
  { name: 'old default', req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true }, a8Only: true },
  { name: 'gptq+budget0.9+correct', req: { algorithm: 'gptq', budget: 0.9, correct: 4 } },
  { name: 'old default+equalize', req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true, equalize: true }, a8Only: true },
  {
    name: 'old default+equalize+correct',
    req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true, equalize: true, correct: 4 },
    a8Only: true,
  },
  { name: 'gptq+asym', req: { algorithm: 'gptq', asymWeights: true } },
  { name: 'gptq+budget0.9+asym', req: { algorithm: 'gptq', budget: 0.9, asymWeights: true } },
  // The recipe default: range search and equalization act on A8 only, so under W4A16 this is gptq+budget0.9+asym+correct.
  { name: 'default', req: DEFAULT },
  { name: 'default+refine', req: { ...DEFAULT, refine: 4 } },
  // The recipe default in native INT4 (`--format int4`, the run's 4-bit format): blocked scales, 16 input elements each.
  { name: 'default block:16', req: recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.int4), blocked: true },
  // The previous INT4 recipe (32 input elements per scale) and what was tried on top of it.
  { name: 'default block:32', req: BLOCK32, blocked: true },
  { name: 'default block:64', req: blocked(64), blocked: true },
  { name: 'default+refine block:32', req: { ...BLOCK32, refine: 4 }, blocked: true },
  { name: 'default block:32 correct2', req: { ...BLOCK32, correct: 2 }, blocked: true },
  { name: 'default block:32 calib128', req: BLOCK32, blocked: true, calibCount: 128 },
  { name: 'default block:32 no-keep-first-last', req: blocked(32, false), blocked: true },
  { name: 'default+refine block:64', req: { ...blocked(64), refine: 4 }, blocked: true },
  { name: 'default+equalize all α0.5', req: { ...DEFAULT, equalizeAlpha: 0.5 }, a8Only: true },
  // Two-level block scales (`--format int4-compact`): uint8 block-scale codes under a float32 scale per output channel.
  { name: 'default compact:16', req: compact(16), format: 'int4-compact' },
  { name: 'default compact:32', req: compact(32), format: 'int4-compact' },
  { name: 'default compact:32 budget0.95', req: { ...compact(32), budget: 0.95 }, format: 'int4-compact' },
  { name: 'default compact:64 budget0.95', req: { ...compact(64), budget: 0.95 }, format: 'int4-compact' },
  // A bits budget (`--bits 4.6`): each 4-bit layer's block size (16–128) and the 8-bit layers chosen together.
  { name: 'default compact bits4.6', req: { ...compact(16), bitsPerWeight: 4.6 }, format: 'int4-compact' },
  { name: 'default compact bits4.5', req: { ...compact(16), bitsPerWeight: 4.5 }, format: 'int4-compact' },
  // FP8 E4M3 block-scale codes, one scale per tensor (the NVFP4 layout of scales): the row scales' 32/K bits go to the
  // budget; 'sym' also drops the zero points (4/B bits), as TensorRT would need.
  { name: 'default fp8:16', req: compactFp8(16), format: 'int4-compact-fp8' },
  { name: 'default fp8 bits4.6', req: { ...compactFp8(16), bitsPerWeight: 4.6 }, format: 'int4-compact-fp8' },
  { name: 'default fp8 bits4.6 sym', req: { ...compactFp8(16), bitsPerWeight: 4.6, asymWeights: false }, format: 'int4-compact-fp8' },
  // `--target tensorrt` as quantize and run apply it: per-channel symmetric 4-bit weights, symmetric activations,
  // NVIDIA's Q/DQ placement for YOLO with prediction layers in float, written as QDQ.
  { name: 'tensorrt', req: targetPlanRequest(DEFAULT_QDQ, 'tensorrt', 'qdq'), format: 'qdq' },
  // Learned rounding (issue 17) on those plans: what `yoloq quantize --recipe learned` makes with its defaults.
  { name: 'tensorrt+learned', req: targetPlanRequest(DEFAULT_QDQ, 'tensorrt', 'qdq'), format: 'qdq', learned: true },
  { name: 'default+learned', req: DEFAULT, learned: true },
  { name: 'default compact:16+learned', req: compact(16), format: 'int4-compact', learned: true },
  { name: 'default compact bits4.6+learned', req: { ...compact(16), bitsPerWeight: 4.6 }, format: 'int4-compact', learned: true },
];

const { values: opts } = benchArgs(import.meta.url, {
  models: { type: 'string', default: 'yolox_nano,yolov5n' },
  variants: { type: 'string', default: VARIANTS.map((v) => v.name).join(',') },
  seeds: { type: 'string', default: '0,1' },
  schemes: { type: 'string', default: 'w4a16,w4a8' },
  out: { type: 'string', default: '' },
  person300: { type: 'boolean' },
  'learn-dir': { type: 'string', default: '' },
  'skip-base': { type: 'boolean' },
});
const list = (s: string) => s.split(',').filter(Boolean);
const models = list(opts.models);
const variants = list(opts.variants);
for (const v of variants)
  if (!VARIANTS.some((x) => x.name === v)) {
    console.error(`error: --variants ${v}: expected one of ${VARIANTS.map((x) => x.name).join(', ')}`);
    process.exit(2);
  }
const seeds = list(opts.seeds).map((x) => benchNumber('seeds', x));
const schemes = list(opts.schemes) as SchemeName[];
const outFile = opts.out;
mkdirSync(tmp, { recursive: true });

async function mAP(path: string, set = EVAL): Promise<number> {
  const ev = await evaluateModel(path, set, { threads: 2 });
  return ev.result.stats[0]!;
}
/** `--person300`: also score every model on person300 (person AP), printed as a second table. */
const withPerson = Boolean(opts.person300);
const personRows: string[] = [];

const rows: string[] = [];
const learnDir = opts['learn-dir'];
/** Hessians depend only on (model, calibration draw): collected once per pair, shared by every GPTQ variant. */
const hessianStore = new Map<string, Map<string, LayerHessian>>();
const log = (s: string) => {
  console.log(s);
  rows.push(s);
};
interface Scored {
  val: number;
  person: number;
  share: number;
  eff: number;
}

/**
 * Score one plan: val100, person300 when asked, and the 4-bit share and bits per weight as `yoloq inspect` counts
 * them (over every Conv weight, float ones included). Cached in the file `cache` when one is given.
 */
async function scorePlan(
  work: ReturnType<typeof planWorkingGraph>,
  plan: QuantPlan,
  v: Variant,
  scheme: SchemeName,
  cache: string,
  path: string,
): Promise<Scored> {
  if (cache && existsSync(cache)) {
    const s = JSON.parse(readFileSync(cache, 'utf8')) as Scored;
    if (!withPerson || s.person > 0) return s;
  }
  const model = applyPlan(work, plan, {
    format: v.format ?? (v.blocked ? 'int4' : 'qcdq'),
    ...(scheme.endsWith('a16') ? { actDtype: 'fp32' as const } : {}),
  });
  saveModel(model, path);
  const info = inspectModel(model);
  const s: Scored = {
    val: await mAP(path),
    person: withPerson ? await mAP(path, PERSON300) : 0,
    share: info.conv.percentAt4Bits / 100,
    eff: info.bitsPerWeight,
  };
  if (cache) writeFileSync(cache, `${JSON.stringify(s)}\n`);
  return s;
}

/** A `…+learned` variant under `--learn-dir` (see the file comment): the plan's row, then one row per finished run. */
async function offloadedLearning(
  m: string,
  scheme: SchemeName,
  v: Variant,
  bytes: Uint8Array,
  fp: number,
  fpPerson: number,
): Promise<void> {
  const slug = v.name.replace(/[^a-z0-9.]+/gi, '_');
  const base: Scored[] = [];
  const runs = new Map<string, Array<Scored & { seconds: number }>>();
  for (const seed of seeds) {
    const count = v.calibCount ?? 64;
    const cell = resolve(learnDir, `${m}-${scheme}-${slug}-${seed}`);
    const basePath = join(cell, 'base.json');
    let plan: QuantPlan;
    if (!existsSync(basePath)) {
      const t0 = performance.now();
      const made = await makePlan(bytes, { scheme, calibration: { images: CALIB, count, seed }, ...v.req });
      plan = made.plan;
      mkdirSync(cell, { recursive: true });
      const job = await prepareLearnJob(
        { modelBytes: bytes, plan, images: learnImages(CALIB, count, seed), options: { ...LEARN_DEFAULTS, seed } },
        join(cell, 'job'),
      );
      writePlanFiles(basePath, plan);
      console.error(
        `  (${m} ${scheme} ${v.name} draw ${seed}: planned in ${((performance.now() - t0) / 1000).toFixed(0)} s; job ${join(cell, 'job')})`,
      );
      console.error(`  learn it: python -m yoloq_brevitas.learned ${job.argv.join(' ')}`);
    } else plan = readPlanFiles(basePath);
    const work = planWorkingGraph(modelFromBytes(bytes), plan);
    if (!opts['skip-base'] || existsSync(join(cell, 'base-scores.json')))
      base.push(
        await scorePlan(work, plan, v, scheme, join(cell, 'base-scores.json'), join(tmp, `${m}-${scheme}-${slug}-base-${seed}.onnx`)),
      );
    for (const run of readdirSync(cell, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()) {
      const dir = join(cell, run);
      if (!existsSync(join(dir, 'result.json')) || !existsSync(join(dir, 'codes.safetensors'))) continue;
      if (!existsSync(join(dir, 'plan.json'))) copyFileSync(join(cell, 'job', 'plan.json'), join(dir, 'plan.json'));
      const learned = finishLearnJob(bytes, plan, dir);
      writeFileSync(join(dir, 'blocks.txt'), `${formatLearnBlocks(learned.result).join('\n')}\n`);
      const lw = planWorkingGraph(modelFromBytes(bytes), learned.plan);
      const s = await scorePlan(
        lw,
        learned.plan,
        v,
        scheme,
        join(dir, 'scores.json'),
        join(tmp, `${m}-${scheme}-${slug}-${run}-${seed}.onnx`),
      );
      const list = runs.get(run) ?? [];
      list.push({ ...s, seconds: learned.result.seconds });
      runs.set(run, list);
      console.error(
        `  (${m} ${scheme} ${v.name} [${run}] draw ${seed}: ${learned.changed} weights re-rounded, ${learned.result.iterations} steps per block, loss ${learned.result.loss}, ${learned.result.device}, ${learned.result.seconds.toFixed(0)} s; blocks in ${join(dir, 'blocks.txt')})`,
      );
    }
  }
  const row = (name: string, xs: Scored[]) => {
    const mean = (f: (s: Scored) => number) => xs.reduce((a, s) => a + f(s), 0) / xs.length;
    log(
      `| ${m} | ${scheme.toUpperCase()} | ${name} | ${(100 * xs[0]!.share).toFixed(1)} | ${xs[0]!.eff.toFixed(2)} | ${xs.map((s) => s.val.toFixed(4)).join(' | ')} | ${mean((s) => s.val).toFixed(4)} | ${((mean((s) => s.val) - fp) * 100).toFixed(2)} |`,
    );
    if (withPerson) {
      const line = `| ${m} | ${scheme.toUpperCase()} | ${name} | ${xs.map((s) => s.person.toFixed(4)).join(' | ')} | ${mean((s) => s.person).toFixed(4)} | ${((mean((s) => s.person) - fpPerson) * 100).toFixed(2)} |`;
      personRows.push(line);
      console.log(`person300: ${line}`);
    }
  };
  if (base.length === seeds.length) row(`${v.name.replace(/\+learned$/, '')} (the plan learned from)`, base);
  for (const [run, xs] of runs) {
    if (xs.length === seeds.length) row(`${v.name} [${run}]`, xs);
    else console.error(`  (${m} ${scheme} ${v.name} [${run}]: ${xs.length} of ${seeds.length} draws learned; row left out)`);
  }
  if (runs.size === 0) console.error(`  (${m} ${scheme} ${v.name}: no learned run in ${learnDir} yet)`);
}

log(
  '| model | scheme | variant | % Conv params at 4 bits | bits per Conv weight, all in (yoloq inspect) | mAP50-95 seed 0 | seed 1 | mean | Δ vs FP32 |',
);
log('|---|---|---|---|---|---|---|---|---|');
for (const m of models) {
  if (!MODELS[m]) throw new Error(`--models ${m}: expected one of ${Object.keys(MODELS).join(', ')}`);
  await ensureExported(m);
  const bytes = readFileSync(MODELS[m]!);
  // Under --learn-dir the float scores are cached there too: a second pass scores only new runs.
  const fpCache = learnDir ? resolve(learnDir, `fp-${m}.json`) : '';
  const cached =
    fpCache && existsSync(fpCache) ? (JSON.parse(readFileSync(fpCache, 'utf8')) as { fp: number; fpPerson: number }) : undefined;
  const fp = cached?.fp ?? (await mAP(MODELS[m]!));
  const fpPerson = withPerson ? (cached && cached.fpPerson > 0 ? cached.fpPerson : await mAP(MODELS[m]!, PERSON300)) : 0;
  if (fpCache) {
    mkdirSync(resolve(learnDir), { recursive: true });
    writeFileSync(fpCache, `${JSON.stringify({ fp, fpPerson })}\n`);
  }
  if (withPerson) personRows.push(`| ${m} | FP32 | — | ${fpPerson.toFixed(4)} | | ${fpPerson.toFixed(4)} | |`);
  log(`| ${m} | FP32 | — | 0 | 32 | ${fp.toFixed(4)} | | ${fp.toFixed(4)} | |`);
  for (const scheme of schemes) {
    for (const v of VARIANTS.filter((x) => variants.includes(x.name) && !(x.a8Only && scheme.endsWith('a16')))) {
      if (v.learned && learnDir) {
        await offloadedLearning(m, scheme, v, bytes, fp, fpPerson);
        continue;
      }
      const values: number[] = [];
      const personValues: number[] = [];
      let share = 0;
      let eff = 0;
      let seconds = 0;
      let learnSeconds = 0;
      for (const seed of seeds) {
        const t0 = performance.now();
        const count = v.calibCount ?? 64;
        const key = `${m}/${seed}/${count}${v.req.equalize ? '/eq' : ''}`;
        if (!hessianStore.has(key)) hessianStore.set(key, new Map());
        const made = await makePlan(bytes, {
          scheme,
          calibration: { images: CALIB, count, seed },
          ...v.req,
          algorithmOptions: { hessians: hessianStore.get(key)! },
        });
        const { work } = made;
        let plan = made.plan;
        if (v.learned) {
          const t1 = performance.now();
          let shown = 0;
          const learned = await learnRounding({
            modelBytes: bytes,
            plan,
            images: learnImages(CALIB, count, seed),
            options: { ...LEARN_DEFAULTS, seed },
            onProgress: (stage, done, total) => {
              const tenth = total > 0 ? Math.floor((10 * done) / total) : 0;
              if (stage !== 'learning' || tenth <= shown) return;
              shown = tenth;
              console.error(`  learning ${m} ${scheme} draw ${seed}: ${done}/${total} steps`);
            },
          });
          plan = learned.plan;
          learnSeconds += (performance.now() - t1) / 1000;
        }
        seconds += (performance.now() - t0) / 1000;
        const scored = await scorePlan(
          work,
          plan,
          v,
          scheme,
          '',
          join(tmp, `${m}-${scheme}-${v.name.replace(/[^a-z0-9.]+/gi, '_')}-${seed}.onnx`),
        );
        values.push(scored.val);
        if (withPerson) personValues.push(scored.person);
        share = scored.share;
        eff = scored.eff;
      }
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      log(
        `| ${m} | ${scheme.toUpperCase()} | ${v.name} | ${(100 * share).toFixed(1)} | ${eff.toFixed(2)} | ${values.map((x) => x.toFixed(4)).join(' | ')} | ${mean.toFixed(4)} | ${((mean - fp) * 100).toFixed(2)} |`,
      );
      if (withPerson) {
        const pm = personValues.reduce((a, b) => a + b, 0) / personValues.length;
        const line = `| ${m} | ${scheme.toUpperCase()} | ${v.name} | ${personValues.map((x) => x.toFixed(4)).join(' | ')} | ${pm.toFixed(4)} | ${((pm - fpPerson) * 100).toFixed(2)} |`;
        personRows.push(line);
        console.log(`person300: ${line}`);
      }
      const learnNote = v.learned ? `, of which learned rounding ${(learnSeconds / seeds.length).toFixed(0)} s` : '';
      console.error(`  (${m} ${scheme} ${v.name}: planning ${(seconds / seeds.length).toFixed(0)} s per draw${learnNote})`);
    }
  }
}
if (withPerson) {
  log('');
  log('person AP50-95 on coco/person300:');
  log('| model | scheme | variant | seed 0 | seed 1 | mean | Δ vs FP32 |');
  log('|---|---|---|---|---|---|---|');
  for (const r of personRows) log(r);
}
if (outFile) writeFileSync(outFile, `${rows.join('\n')}\n`);
