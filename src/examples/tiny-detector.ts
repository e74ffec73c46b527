import { DataType } from '../onnx/ir/dtypes.js';
import { GraphBuilder } from '../onnx/ir/builder.js';
import type { Model } from '../onnx/ir/graph.js';
import { makeTensor } from '../onnx/ir/tensor.js';
import { seededRandom } from '../quant/rounding.js';
import { maxAbsScales, quantizeCodes } from '../quant/weights/codes.js';

/**
 * A tiny convolutional network shaped like a YOLO stem (Conv → SiLU as Sigmoid×Mul, strided, a depthwise Conv, a
 * 1×1 head), with deterministic weights, written in every weight format yoloq reads. It is the embedded example
 * for `yoloq example` and the fixture for inspect/check tests; the project builds it itself, so nothing
 * third-party is committed. Input "images" [1,3,32,32] FLOAT, output "output" [1,16,8,8] FLOAT.
 */

export type ExampleFormat = 'float' | 'qcdq' | 'qcdq-runtime' | 'qdq4' | 'int4' | 'int4-blocked' | 'w8-qdq';
export const EXAMPLE_FORMATS: readonly ExampleFormat[] = Object.freeze([
  'float',
  'qcdq',
  'qcdq-runtime',
  'qdq4',
  'int4',
  'int4-blocked',
  'w8-qdq',
]);

interface ConvSpec {
  name: string;
  cout: number;
  cin: number;
  k: number;
  stride: number;
  group: number;
  act: boolean;
}

const LAYERS: readonly ConvSpec[] = [
  { name: 'stem', cout: 8, cin: 3, k: 3, stride: 2, group: 1, act: true },
  { name: 'dw', cout: 8, cin: 1, k: 3, stride: 1, group: 8, act: true },
  { name: 'down', cout: 16, cin: 8, k: 3, stride: 2, group: 1, act: true },
  { name: 'head', cout: 16, cin: 16, k: 1, stride: 1, group: 1, act: false },
];

function weights(spec: ConvSpec, rnd: () => number): Float32Array {
  const n = spec.cout * spec.cin * spec.k * spec.k;
  const fanIn = spec.cin * spec.k * spec.k;
  // Uneven per-channel magnitudes, as trained networks have, so per-channel scales differ.
  return Float32Array.from({ length: n }, (_, i) => {
    const ch = Math.floor(i / fanIn);
    return ((rnd() * 2 - 1) * (0.5 + ch / spec.cout)) / Math.sqrt(fanIn);
  });
}

/** Emit the weight input for one Conv in the requested format; returns the value name the Conv reads. */
function weightInput(b: GraphBuilder, spec: ConvSpec, w: Float32Array, format: ExampleFormat): string {
  const dims = [spec.cout, spec.cin, spec.k, spec.k];
  if (format === 'float') return b.constant(`${spec.name}.weight`, DataType.FLOAT, dims, w);
  const bits = format === 'w8-qdq' ? 8 : 4;
  const perChannel = { kind: 'per-channel', axis: 0 } as const;
  const scales = maxAbsScales(w, dims, perChannel, bits);
  const q = quantizeCodes(w, dims, perChannel, scales, bits, true);
  if (format === 'int4-blocked') {
    const k = spec.cin * spec.k * spec.k;
    const stored = b.tensor(makeTensor(b.fresh(`${spec.name}.weight_q`), DataType.INT4, [spec.cout, k], q));
    const scale = b.constant(`${spec.name}.weight_scale`, DataType.FLOAT, [spec.cout, 1], scales);
    const deq = b.op('DequantizeLinear', [stored, scale], { name: `${spec.name}.weight_dq`, attrs: { axis: 1, block_size: k } });
    const shape = b.constant(`${spec.name}.weight_shape`, DataType.INT64, [4], dims);
    return b.op('Reshape', [deq, shape], { name: `${spec.name}.weight_reshape` });
  }
  const scale = b.constant(`${spec.name}.weight_scale`, DataType.FLOAT, [spec.cout], scales);
  if (format === 'int4') {
    const stored = b.tensor(makeTensor(b.fresh(`${spec.name}.weight_q`), DataType.INT4, dims, q));
    const zp = b.tensor(makeTensor(b.fresh(`${spec.name}.weight_zp`), DataType.INT4, [spec.cout], new Array(spec.cout).fill(0)));
    return b.op('DequantizeLinear', [stored, scale, zp], { name: `${spec.name}.weight_dq`, attrs: { axis: 0 } });
  }
  const zp = b.constant(`${spec.name}.weight_zp`, DataType.INT8, [spec.cout], new Array(spec.cout).fill(0));
  let src: string;
  if (format === 'qcdq-runtime') {
    const fw = b.constant(`${spec.name}.weight`, DataType.FLOAT, dims, w);
    src = b.op('QuantizeLinear', [fw, scale, zp], { name: `${spec.name}.weight_q`, attrs: { axis: 0 } });
  } else src = b.constant(`${spec.name}.weight_q`, DataType.INT8, dims, q);
  if (format === 'qcdq' || format === 'qcdq-runtime') {
    const lo = b.scalar(`${spec.name}.clip_min`, -7, DataType.INT8);
    const hi = b.scalar(`${spec.name}.clip_max`, 7, DataType.INT8);
    src = b.op('Clip', [src, lo, hi], { name: `${spec.name}.weight_clip` });
  }
  return b.op('DequantizeLinear', [src, scale, zp], { name: `${spec.name}.weight_dq`, attrs: { axis: 0 } });
}

/** Quantize-dequantize an activation (uint8, per tensor) for the quantized formats, as W?A8 graphs do. */
function activationQdq(b: GraphBuilder, x: string, name: string, format: ExampleFormat): string {
  if (format === 'float') return x;
  const scale = b.scalar(`${name}.act_scale`, 0.05);
  const zp = b.scalar(`${name}.act_zp`, 20, DataType.UINT8);
  const q = b.op('QuantizeLinear', [x, scale, zp], { name: `${name}.act_q` });
  return b.op('DequantizeLinear', [q, scale, zp], { name: `${name}.act_dq` });
}

export function buildTinyDetector(format: ExampleFormat = 'float', seed = 7): Model {
  const rnd = seededRandom(seed);
  const b = new GraphBuilder(`tiny_detector_${format}`);
  let x = b.input('images', DataType.FLOAT, [1, 3, 32, 32]);
  for (const spec of LAYERS) {
    const w = weights(spec, rnd);
    const bias = b.constant(
      `${spec.name}.bias`,
      DataType.FLOAT,
      [spec.cout],
      Float32Array.from({ length: spec.cout }, () => (rnd() - 0.5) * 0.1),
    );
    const pad = (spec.k - 1) >> 1;
    const xin = activationQdq(b, x, spec.name, format);
    const y = b.op('Conv', [xin, weightInput(b, spec, w, format), bias], {
      name: spec.name,
      attrs: { kernel_shape: [spec.k, spec.k], strides: [spec.stride, spec.stride], pads: [pad, pad, pad, pad], group: spec.group },
    });
    x = spec.act ? b.op('Mul', [y, b.op('Sigmoid', [y], { name: `${spec.name}.sigmoid` })], { name: `${spec.name}.silu` }) : y;
  }
  b.graph.nodes.at(-1)!.outputs[0] = 'output';
  b.output('output', DataType.FLOAT, [1, 16, 8, 8]);
  const opset = format === 'int4' || format === 'int4-blocked' ? 21 : 13;
  return b.model(opset);
}
