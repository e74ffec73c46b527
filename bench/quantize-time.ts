/**
 * End-to-end time of `yoloq quantize` (a child process, as a user runs it): yolov5n W4A8, 64 calibration images,
 * native INT4, SQNR on 32 images. Target: under 2 minutes on this 2-core machine.
 *   npm run build && node dist/bench/quantize-time.js [--scheme w4a8] [--format int4] [--recipe none|default]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    scheme: { type: 'string', default: 'w4a8' },
    format: { type: 'string', default: 'int4' },
    model: { type: 'string', default: '../shared/data/models/yolov5n_fp16.onnx' },
    calib: { type: 'string', default: '../shared/data/coco/train209/images' },
    recipe: { type: 'string', default: 'default' },
  },
});
const out = join(mkdtempSync(join(tmpdir(), 'yoloq-qtime-')), 'q.onnx');
const args = [
  join('dist', 'src', 'cli', 'main.js'),
  'quantize',
  '--model',
  values.model!,
  '--scheme',
  values.scheme!,
  '--format',
  values.format!,
  '--calib',
  values.calib!,
  '--calib-count',
  '64',
  '--sqnr-images',
  '32',
  '--recipe',
  values.recipe!,
  '-o',
  out,
  '--json',
];
const t0 = performance.now();
const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
const seconds = (performance.now() - t0) / 1000;
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const s = JSON.parse(r.stdout);
console.log(
  `yoloq quantize ${values.model} ${values.scheme} ${values.format} --recipe ${values.recipe}: ${seconds.toFixed(1)} s wall (target < 120 s: ${seconds < 120 ? 'met' : 'MISSED'})`,
);
console.log(
  `SQNR ${s.sqnrDb?.toFixed(2)} dB on ${s.sqnrImages} images; ${s.percentConvParamsAt4Bits.toFixed(1)}% of Conv weight parameters at 4 bits; ${(s.outputBytes / 1e6).toFixed(2)} MB`,
);
