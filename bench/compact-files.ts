/**
 * What the compact INT4 form (two-level block scales, `--format int4-compact`) costs and buys as a file: size against
 * the FP32 graph, bits per Conv weight all in (`yoloq inspect`'s count), and ORT CPU latency loaded raw by plain ORT
 * and as yoloq loads it, against the float model as shipped, measured in the same run — beside today's `int4` (float block
 * scales) from the same decisions.
 *
 * Plans: the default recipe's layer decisions (the sensitivity budget's 8-bit layers, GPTQ on asymmetric grids)
 * without the steps that move values but not the file's layout (error correction, range search, equalization), so
 * each plan takes seconds instead of minutes; the accuracy of the full recipe in these forms is
 * bench/accuracy-table.ts's. Latency: one `yoloq bench --json` child per file, files interleaved over --rounds.
 *   npx tsc -p tsconfig.json && node dist/bench/compact-files.js [--models yolox_nano,yolov5n,yolov10n] [--runs 20]
 *       [--rounds 2] [--threads 2] [--calib-count 16] [--no-latency]
 *       [--forms 'int4-compact --bits 4.5;…' (form names; default all)]
 * yolov10n is the official checkpoint's one-to-one export that bench/accuracy-table.ts caches under /tmp/yoloq-accuracy
 * (skipped, and said so, when absent).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMAT_CAPABILITIES, type FormatName } from '../src/export/formats.js';
import { inspectModel } from '../src/inspect/inspect-model.js';
import { DataType } from '../src/onnx/ir/dtypes.js';
import { floatPrecisionPass } from '../src/onnx/passes/float-precision.js';
import { applyPass } from '../src/onnx/passes/pass-manager.js';
import { modelFromBytes, modelToBytes, saveModel } from '../src/onnx/serde/model-io.js';
import type { LayerHessian } from '../src/quant/algorithms/hessian.js';
import { RECIPES, recipePlanRequest } from '../src/quant/algorithms/recipe.js';
import type { GranularityRequest } from '../src/quant/plan.js';
import { fourBitShare } from '../src/quant/policy/sensitivity-budget.js';
import type { SchemeName } from '../src/quant/scheme.js';
import { applyPlan, makePlan, type PlanRequest } from '../src/workflow/quantize.js';
import { benchArgs, benchNumber } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  models: { type: 'string', default: 'yolox_nano,yolov5n,yolov10n' },
  runs: { type: 'string', default: '20' },
  rounds: { type: 'string', default: '2' },
  threads: { type: 'string', default: '2' },
  'calib-count': { type: 'string', default: '16' },
  shared: { type: 'string', default: '../shared/data' },
  'no-latency': { type: 'boolean' },
  /** Only these forms (their names, separated by ';'; default all). */
  forms: { type: 'string' },
});
const shared = values.shared!;
const runs = benchNumber('runs', values.runs, 1);
const rounds = benchNumber('rounds', values.rounds, 1);
const calibCount = benchNumber('calib-count', values['calib-count'], 1);
const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'yoloq-compact-files-'));
const MODELS: Record<string, string> = {
  yolox_nano: join(shared, 'models', 'yolox_nano.onnx'),
  yolov5n: join(shared, 'models', 'yolov5n_fp16.onnx'),
  yolov10n: '/tmp/yoloq-accuracy/yolov10n.onnx',
};

interface Form {
  name: string;
  format: FormatName;
  granularity: GranularityRequest;
  twoLevel: boolean;
  budget?: number;
  /** `--bits`: block sizes and 8-bit layers chosen under this all-in budget (src/quant/policy/bits-budget.ts). */
  bits?: number;
}
const FORMS: Form[] = [
  { name: 'int4 block:16 (float block scales)', format: 'int4', granularity: { kind: 'blocked', blockSize: 16 }, twoLevel: false },
  { name: 'int4-compact block:16', format: 'int4-compact', granularity: { kind: 'blocked', blockSize: 16 }, twoLevel: true },
  {
    name: 'int4-compact block:32, budget 0.95',
    format: 'int4-compact',
    granularity: { kind: 'blocked', blockSize: 32 },
    twoLevel: true,
    budget: 0.95,
  },
  { name: 'int4-compact --bits 4.5', format: 'int4-compact', granularity: { kind: 'blocked', blockSize: 16 }, twoLevel: true, bits: 4.5 },
  ...(['block:16', '--bits 4.5'] as const).map((v) => ({
    name: `int4-compact-fp8 ${v}`,
    format: 'int4-compact-fp8' as const,
    granularity: { kind: 'blocked', blockSize: 16 } as const,
    twoLevel: true,
    ...(v === '--bits 4.5' ? { bits: 4.5 } : {}),
  })),
];

const selectedForms =
  values.forms === undefined
    ? FORMS
    : values.forms.split(';').map((n) => {
        const f = FORMS.find((x) => x.name === n.trim());
        if (!f) throw new Error(`--forms ${n}: expected one of ${FORMS.map((x) => x.name).join(' | ')}`);
        return f;
      });

function benchMs(model: string, raw: boolean): number {
  const args = [cli, 'bench', '--model', model, '--runs', String(runs), '--warmup', '5', '--threads', values.threads!, '--json'];
  const r = spawnSync(process.execPath, raw ? [...args, '--raw'] : args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench ${model}: ${r.stderr}`);
  return JSON.parse(r.stdout).latencyMs.mean as number;
}

// The load at the start says whether the latencies below are an idle machine's: the bench cannot know it otherwise.
console.log(
  `compact files: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the start`,
);
for (const name of values.models!.split(',')) {
  const src = MODELS[name];
  if (!src) throw new Error(`--models ${name}: expected one of ${Object.keys(MODELS).join(', ')}`);
  if (!existsSync(src)) {
    console.log(`\n${name}: ${src} not found, skipped (run bench/accuracy-table.ts with --models yolov10n once to export it)`);
    continue;
  }
  const bytes = readFileSync(src);
  // The FP16 file (yolov5n) is compared with its FP32 graph, as every size ratio in the docs is.
  const fp32Bytes = modelToBytes(
    applyPass(modelFromBytes(bytes), floatPrecisionPass({ from: DataType.FLOAT16, to: DataType.FLOAT })),
  ).byteLength;
  const hessians = new Map<string, LayerHessian>();
  const files: Array<{ label: string; path: string; raw: boolean; bits: number; share: number; bytes: number }> = [];
  for (const scheme of ['w4a16', 'w4a8'] as SchemeName[]) {
    for (const form of selectedForms) {
      const base = recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES[form.format]);
      const req: Partial<PlanRequest> = {
        ...base,
        correct: 0,
        rangeSearch: false,
        equalize: false,
        ...(form.budget !== undefined ? { budget: form.budget } : {}),
        ...(form.bits !== undefined ? { bitsPerWeight: form.bits } : {}),
        weights: {
          granularity: form.granularity,
          ...(form.twoLevel ? { blockScales: FORMAT_CAPABILITIES[form.format].blockScaleCodes ?? 'uint8' } : {}),
        },
      };
      const { plan, work } = await makePlan(bytes, {
        scheme,
        calibration: { images: join(shared, 'coco', 'train209', 'images'), count: calibCount },
        ...req,
        algorithmOptions: { hessians },
      });
      // W4A16 ships two graphs from one plan: FP16 activations for GPUs (its size is the deployed one) and the
      // FP32-activation twin the x86 CPU EP runs (its latency is the CPU one).
      const twins = scheme === 'w4a16' ? (['fp16', 'fp32'] as const) : ([undefined] as const);
      for (const actDtype of twins) {
        const model = applyPlan(work, plan, { format: form.format, ...(actDtype ? { actDtype } : {}) });
        const path = join(
          dir,
          `${name}-${scheme}-${form.format}-${form.granularity.kind === 'blocked' ? form.granularity.blockSize : 0}${actDtype ? `-${actDtype}` : ''}.onnx`,
        );
        saveModel(model, path);
        const label = `${scheme.toUpperCase()} ${form.name}${actDtype ? `, ${actDtype} activations` : ''}`;
        const row = { path, bits: inspectModel(model).bitsPerWeight, share: fourBitShare(plan.weights), bytes: statSync(path).size };
        // The FP16-activation graph is for GPUs: the x86 CPU EP has no FP16 Conv, so it is sized, not timed.
        if (actDtype === 'fp16') files.push({ label: `${label} (sized only)`, raw: true, ...row });
        else files.push({ label: `${label}, raw`, raw: true, ...row }, { label: `${label}, loaded by yoloq`, raw: false, ...row });
      }
    }
  }
  const timed = values['no-latency'] ? [] : [{ path: src, raw: true }, ...files.filter((f) => !f.label.endsWith('(sized only)'))];
  const times = timed.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) timed.forEach((f, i) => times[i]!.push(benchMs(f.path, f.raw)));
  const mean = (i: number) => times[i]!.reduce((a, b) => a + b, 0) / times[i]!.length;
  const msOf = (f: { path: string; raw: boolean }) => {
    const i = timed.findIndex((t) => t.path === f.path && t.raw === f.raw);
    return i < 0 ? undefined : mean(i);
  };
  const fpMs = timed.length ? mean(0) : undefined;
  console.log(
    `\n${name} (FP32 graph ${(fp32Bytes / 1e6).toFixed(2)} MB${fpMs !== undefined ? `; the float file as shipped${fp32Bytes !== bytes.byteLength ? ' (FP16, run in FP32 between Casts)' : ''} ${fpMs.toFixed(2)} ms on ORT CPU, ${values.threads} threads, ${rounds} rounds × ${runs} runs, interleaved` : ''}; plans from ${calibCount} calibration images)`,
  );
  console.log('| file | % Conv params at 4 bits | bits per Conv weight, all in | MB | × FP32 size | mean ms | × float latency |');
  console.log('|---|---|---|---|---|---|---|');
  for (const f of files) {
    const ms = msOf(f);
    const lat = ms !== undefined && fpMs !== undefined ? `${ms.toFixed(2)} | ${(ms / fpMs).toFixed(2)}` : '— | —';
    console.log(
      `| ${f.label} | ${(100 * f.share).toFixed(1)} | ${f.bits.toFixed(2)} | ${(f.bytes / 1e6).toFixed(2)} | ${(f.bytes / fp32Bytes).toFixed(3)} | ${lat} |`,
    );
  }
}
