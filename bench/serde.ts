/**
 * Load and save times of a ~60 MB ONNX model (15.0 M FP32 parameters, about YOLOv10m's size, 200 Conv nodes),
 * against plain file read/write of the same bytes measured in the same run. Target: load and save under 1 s each.
 *   npm run bench:serde [-- --runs 5]
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../src/onnx/ir/builder.js';
import { DataType } from '../src/onnx/ir/dtypes.js';
import { loadModel, saveModel } from '../src/onnx/serde/model-io.js';
import { seededRandom } from '../src/quant/rounding.js';
import { benchArgs } from './bench-args.js';

const { values } = benchArgs(import.meta.url, { runs: { type: 'string', default: '5' } });
const runs = Number(values.runs);

function buildLargeModel(): ReturnType<GraphBuilder['model']> {
  const rnd = seededRandom(1);
  const b = new GraphBuilder('large');
  let x = b.input('images', DataType.FLOAT, [1, 64, 40, 40]);
  // 200 Convs of 64→64×3×3 plus padding tensors: 15.0 M parameters.
  for (let i = 0; i < 200; i++) {
    const cout = 64;
    const cin = 64;
    const k = i % 4 === 0 ? 1 : 3;
    const extra = i % 4 === 0 ? 5 * 64 * 64 * 9 : 0;
    const n = cout * cin * k * k;
    const w = b.constant(
      `conv${i}.weight`,
      DataType.FLOAT,
      [cout, cin, k, k],
      Float32Array.from({ length: n }, () => rnd() - 0.5),
    );
    if (extra)
      b.constant(
        `pad${i}`,
        DataType.FLOAT,
        [extra],
        Float32Array.from({ length: extra }, () => rnd()),
      );
    x = b.op('Conv', [x, w], { attrs: { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] } });
  }
  b.output(x, DataType.FLOAT, [1, 64, 40, 40]);
  return b.model(13);
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), 'yoloq-bench-'));
const path = join(dir, 'large.onnx');
saveModel(buildLargeModel(), path);
const size = statSync(path).size;
const loadT: number[] = [];
const saveT: number[] = [];
const readT: number[] = [];
const writeT: number[] = [];
for (let r = 0; r < runs; r++) {
  readT.push(time(() => readFileSync(path)));
  let model: ReturnType<typeof loadModel> | undefined;
  loadT.push(
    time(() => {
      model = loadModel(path);
    }),
  );
  const bytes = readFileSync(path);
  writeT.push(time(() => writeFileSync(join(dir, 'raw.bin'), bytes)));
  saveT.push(time(() => saveModel(model!, join(dir, 'out.onnx'))));
}
const same = readFileSync(join(dir, 'out.onnx')).equals(readFileSync(path));
rmSync(dir, { recursive: true, force: true });
const f = (x: number) => `${x.toFixed(0)} ms`;
console.log(`model: ${(size / 1e6).toFixed(1)} MB, ${runs} runs, median times`);
console.log(
  `load  ${f(median(loadT))}  (plain readFileSync ${f(median(readT))}, ratio ${(median(loadT) / median(readT)).toFixed(1)}×)  target < 1000 ms: ${median(loadT) < 1000 ? 'met' : 'MISSED'}`,
);
console.log(
  `save  ${f(median(saveT))}  (plain writeFileSync ${f(median(writeT))}, ratio ${(median(saveT) / median(writeT)).toFixed(1)}×)  target < 1000 ms: ${median(saveT) < 1000 ? 'met' : 'MISSED'}`,
);
console.log(`saved bytes equal the loaded file: ${same}`);
