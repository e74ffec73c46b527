/**
 * Every scheme for both shared models, calibrated on 64 train209 images: file size (vs the FP32 graph), share of
 * Conv weight parameters at 4 bits, raw-output SQNR on 32 images, and mAP on val100 for each format and W4A16 twin.
 * The PTQ baseline table in docs/quantization.md comes from this script.
 *   npm run build && node dist/bench/quantize-matrix.js [--calib-count 64] [--json out.json]
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateModel } from '../src/eval/evaluate-model.js';
import { inspectModel } from '../src/inspect/inspect-model.js';
import { modelToBytes, saveModel } from '../src/onnx/serde/model-io.js';
import { calibrationSet } from '../src/quant/calibration/samples.js';
import { applyPlan, makePlan, workingGraph } from '../src/workflow/quantize.js';
import { SCHEMES, type SchemeName } from '../src/quant/scheme.js';
import { measureSqnr } from '../src/quant/sqnr.js';
import { modelFromBytes } from '../src/onnx/serde/model-io.js';
import { floatPrecisionPass } from '../src/onnx/passes/float-precision.js';
import { applyPass } from '../src/onnx/passes/pass-manager.js';
import { DataType } from '../src/onnx/ir/dtypes.js';
import { benchArgs } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  'calib-count': { type: 'string', default: '64' },
  json: { type: 'string' },
  shared: { type: 'string', default: '../shared/data' },
  'sizes-only': { type: 'boolean' },
});
// --sizes-only: file sizes and 4-bit shares without SQNR and mAP (file layout changes do not move the numerics).
const sizesOnly = Boolean(values['sizes-only']);
const shared = values.shared!;
const train = join(shared, 'coco', 'train209', 'images');
const val = { coco: join(shared, 'coco', 'val100', 'instances_val100.json'), images: join(shared, 'coco', 'val100', 'images') };
const dir = mkdtempSync(join(tmpdir(), 'yoloq-matrix-'));
const rows: Array<Record<string, unknown>> = [];

for (const file of ['yolox_nano.onnx', 'yolov5n_fp16.onnx']) {
  const path = join(shared, 'models', file);
  const bytes = readFileSync(path);
  const fp32Bytes = modelToBytes(
    applyPass(modelFromBytes(bytes), floatPrecisionPass({ from: DataType.FLOAT16, to: DataType.FLOAT })),
  ).byteLength;
  const fp = sizesOnly ? undefined : await evaluateModel(path, val);
  rows.push({
    model: file,
    variant: 'float (as shipped)',
    mAP: fp?.result.stats[0],
    mAP50: fp?.result.stats[1],
    bytes: statSync(path).size,
    sizeVsFp32: statSync(path).size / fp32Bytes,
  });
  for (const scheme of Object.keys(SCHEMES) as SchemeName[]) {
    const t0 = performance.now();
    const { plan, work } = await makePlan(bytes, { scheme, calibration: { images: train, count: Number(values['calib-count']) } });
    const planSeconds = (performance.now() - t0) / 1000;
    const twins = SCHEMES[scheme].activations === 'float' ? (['fp16', 'fp32'] as const) : ([undefined] as const);
    for (const format of ['qcdq', 'qdq', 'int4'] as const) {
      for (const actDtype of twins) {
        const model = applyPlan(work, plan, { format, ...(actDtype ? { actDtype } : {}) });
        const out = join(dir, `${file}-${scheme}-${format}${actDtype ? `-${actDtype}` : ''}.onnx`);
        saveModel(model, out);
        const r = inspectModel(model);
        const sqnr = sizesOnly
          ? undefined
          : await measureSqnr(
              bytes,
              modelToBytes(model),
              calibrationSet(workingGraph(modelFromBytes(bytes)), { images: train, count: 32, seed: 1 }).feeds(),
            );
        const ev = sizesOnly ? undefined : await evaluateModel(out, val);
        const row = {
          model: file,
          variant: `${scheme} ${format}${actDtype ? ` act ${actDtype}` : ''}`,
          mAP: ev?.result.stats[0],
          mAP50: ev?.result.stats[1],
          bytes: statSync(out).size,
          sizeVsFp32: statSync(out).size / fp32Bytes,
          at4: r.conv.percentAt4Bits,
          sqnrDb: sqnr?.sqnrDb,
          planSeconds,
        };
        rows.push(row);
        console.log(
          file,
          row.variant,
          `mAP ${row.mAP?.toFixed(4)} size ${row.sizeVsFp32.toFixed(3)}x 4-bit ${row.at4.toFixed(1)}% SQNR ${row.sqnrDb?.toFixed(2)} dB`,
        );
      }
    }
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
console.log('\n| model | variant | mAP50-95 | mAP50 | size vs FP32 | % Conv params at 4 bits | SQNR dB |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const f = (x: unknown, d = 4) => (typeof x === 'number' ? x.toFixed(d) : '');
  console.log(`| ${r.model} | ${r.variant} | ${f(r.mAP)} | ${f(r.mAP50)} | ${f(r.sizeVsFp32, 3)} | ${f(r.at4, 1)} | ${f(r.sqnrDb, 2)} |`);
}
