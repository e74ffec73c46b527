import { readFileSync } from 'node:fs';
import { modelFromBytes } from '../src/onnx/serde/model-io.js';
import { planEqualization } from '../src/quant/calibration/equalization.js';
import { calibrationSet } from '../src/quant/calibration/samples.js';
import { workingGraph } from '../src/workflow/quantize.js';
import { benchArgs, benchNumber } from './bench-args.js';

/**
 * How unevenly the channels of each depthwise Conv input span their range: widest channel / median channel
 * (the bits a per-tensor int8 quantizer loses on the median channel are log2 of it), the measurement behind
 * depthwise input equalization (docs/accuracy.md).
 * Usage: node dist/bench/depthwise-ranges.js [model.onnx] [calib dir] [images]
 */
const { positionals } = benchArgs(import.meta.url, {}, true);
const model = positionals[0] ?? '../shared/data/models/yolox_nano.onnx';
const calib = positionals[1] ?? '../shared/data/coco/train209/images';
const images = benchNumber('images', positionals[2] ?? '8', 1);
const work = workingGraph(modelFromBytes(readFileSync(model)));
const decisions = await planEqualization(work, calibrationSet(work, { images: calib, count: images }).feeds(), { minRatio: 0 });
const byValue = new Map(decisions.map((d) => [d.value, Math.max(...d.scales)]));
const ratios = [...byValue.values()];
console.log('value | widest / median channel range');
for (const [v, r] of byValue) console.log(`${v} | ${r.toFixed(1)}`);
const count = (x: number) => ratios.filter((r) => r >= x).length;
console.log(
  `${decisions.length} depthwise Convs reading ${ratios.length} values; ratio ≥ 2.5: ${count(2.5)}, ≥ 4 (two bits or more lost): ${count(4)}; largest ${Math.max(...ratios).toFixed(1)}`,
);
