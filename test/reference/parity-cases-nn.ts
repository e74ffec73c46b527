import type { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../src/onnx/ir/tensor.js';
import { uniform, type ParityCase } from './ort-helpers.js';

/** ORT parity fixtures for the network kernels: Conv, pools, Resize/Upsample, MatMul/Gemm/Einsum, norms, Q/DQ. */

const F = DataType.FLOAT;
const I64 = DataType.INT64;
let seed = 100;

export function rand(b: GraphBuilder, dims: number[], lo = -1, hi = 1): string {
  return b.constant(
    'c',
    F,
    dims,
    uniform(
      dims.reduce((a, d) => a * d, 1),
      seed++,
      lo,
      hi,
    ),
  );
}

export function ints(b: GraphBuilder, values: number[], dims = [values.length]): string {
  return b.constant('i', I64, dims, values);
}

function conv(name: string, x: number[], w: number[], attrs: Record<string, number | number[] | string>, bias = true): ParityCase {
  return {
    name,
    opset: 13,
    build: (b) => {
      const inputs = [b.input('x', F, x), rand(b, w)];
      if (bias) inputs.push(rand(b, [w[0]!]));
      b.op('Conv', inputs, { attrs });
    },
  };
}

export const NN_CASES: ParityCase[] = [
  conv('Conv 3×3 pad 1', [1, 3, 9, 11], [4, 3, 3, 3], { pads: [1, 1, 1, 1] }),
  conv('Conv groups, stride 2, dilation 2, uneven pads', [2, 4, 13, 10], [6, 2, 3, 3], {
    group: 2,
    strides: [2, 2],
    dilations: [2, 2],
    pads: [0, 1, 2, 1],
  }),
  conv('Conv depthwise stride 2', [1, 6, 8, 8], [6, 1, 3, 3], { group: 6, strides: [2, 2], pads: [1, 1, 1, 1] }),
  conv('Conv SAME_UPPER', [1, 2, 10, 7], [3, 2, 4, 2], { auto_pad: 'SAME_UPPER', strides: [3, 2] }),
  conv('Conv SAME_LOWER', [1, 2, 10, 7], [3, 2, 4, 3], { auto_pad: 'SAME_LOWER', strides: [2, 2] }),
  conv('Conv VALID', [1, 2, 10, 7], [3, 2, 3, 2], { auto_pad: 'VALID', strides: [2, 1] }),
  conv('Conv 1×1 no bias', [1, 8, 5, 6], [5, 8, 1, 1], {}, false),
  conv('Conv 1×1, four output channels at a time, 2 groups', [1, 6, 5, 7], [8, 3, 1, 1], { group: 2 }),
  conv('Conv 3×3 stride 2, four output channels at a time', [1, 5, 9, 8], [8, 5, 3, 3], { strides: [2, 2], pads: [1, 0, 1, 1] }),
  conv('Conv 1-D', [1, 3, 20], [4, 3, 5], { strides: [2], pads: [2, 1] }),
  conv('Conv 6×6 stride 2 (YOLOv5 stem)', [1, 3, 16, 16], [4, 3, 6, 6], { strides: [2, 2], pads: [2, 2, 2, 2] }),
  {
    name: 'MaxPool (floor, ceil, SPPF, dilated, indices)',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [1, 3, 9, 8]);
      b.op('MaxPool', [x], { attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
      b.op('MaxPool', [x], { attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } });
      b.op('MaxPool', [x], { attrs: { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] } });
      // Dilations with explicit pads: with auto_pad, ORT sizes the pads as if undilated (ONNX says ceil(in / stride)).
      b.op('MaxPool', [x], { attrs: { kernel_shape: [2, 3], dilations: [2, 1], pads: [1, 0, 1, 1] } });
      b.node('MaxPool', [x], 2, { attrs: { kernel_shape: [3, 2], strides: [1, 2] } });
    },
  },
  {
    name: 'AveragePool and global pools',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [2, 3, 7, 9]);
      b.op('AveragePool', [x], { attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
      b.op('AveragePool', [x], { attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } });
      b.op('AveragePool', [x], { attrs: { kernel_shape: [2, 4], strides: [2, 3], ceil_mode: 1 } });
      b.op('GlobalAveragePool', [x]);
      b.op('GlobalMaxPool', [x]);
    },
  },
  {
    name: 'Resize nearest (asymmetric floor, half_pixel, pytorch_half_pixel, sizes)',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [1, 2, 5, 6]);
      const s2 = b.constant('s', F, [4], [1, 1, 2, 2]);
      const s15 = b.constant('s', F, [4], [1, 1, 1.5, 0.6]);
      b.op('Resize', [x, '', s2], { attrs: { coordinate_transformation_mode: 'asymmetric', mode: 'nearest', nearest_mode: 'floor' } });
      b.op('Resize', [x, '', s15], { attrs: { mode: 'nearest' } });
      b.op('Resize', [x, '', s15], { attrs: { coordinate_transformation_mode: 'pytorch_half_pixel', nearest_mode: 'round_prefer_ceil' } });
      b.op('Resize', [x, '', '', ints(b, [1, 2, 9, 4])], {
        attrs: { coordinate_transformation_mode: 'align_corners', nearest_mode: 'ceil' },
      });
    },
  },
  {
    name: 'Resize linear (half_pixel, align_corners, asymmetric)',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [1, 2, 5, 6]);
      b.op('Resize', [x, '', b.constant('s', F, [4], [1, 1, 2, 0.5])], { attrs: { mode: 'linear' } });
      b.op('Resize', [x, '', '', ints(b, [1, 2, 8, 9])], { attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' } });
      b.op('Resize', [x, '', b.constant('s', F, [4], [1, 1, 3, 1.5])], {
        attrs: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
      });
    },
  },
  {
    name: 'Upsample (opset 9)',
    opset: 9,
    build: (b) => {
      const x = b.input('x', F, [1, 2, 3, 4]);
      b.op('Upsample', [x, b.constant('s', F, [4], [1, 1, 2, 3])], { attrs: { mode: 'nearest' } });
    },
  },
  {
    name: 'Resize (opset 10)',
    opset: 10,
    build: (b) => {
      const x = b.input('x', F, [1, 2, 3, 4]);
      b.op('Resize', [x, b.constant('s', F, [4], [1, 1, 2, 2])], { attrs: { mode: 'nearest' } });
    },
  },
  {
    name: 'MatMul, Gemm, Einsum',
    opset: 13,
    build: (b) => {
      const a = b.input('a', F, [2, 1, 3, 4]);
      b.op('MatMul', [a, rand(b, [3, 4, 5])]);
      b.op('MatMul', [rand(b, [4]), rand(b, [2, 4, 3])]);
      b.op('MatMul', [b.input('v', F, [3, 4]), rand(b, [4])]);
      const g = b.input('g', F, [4, 3]);
      b.op('Gemm', [g, rand(b, [5, 4])], { attrs: { transA: 1, transB: 1 }, floatAttrs: { alpha: 0.5 } });
      b.op('Gemm', [g, rand(b, [3, 6]), rand(b, [6])], { floatAttrs: { beta: 2, alpha: 1.5 } });
      b.op('Gemm', [g, rand(b, [3, 2]), rand(b, [4, 1])]);
      b.op('Einsum', [a, rand(b, [2, 1, 4, 5])], { attrs: { equation: 'bcij,bcjk->bcik' } });
      b.op('Einsum', [g, rand(b, [3, 2])], { attrs: { equation: 'ij,jk' } });
      b.op('Einsum', [g], { attrs: { equation: 'ij->ji' } });
    },
  },
  {
    name: 'BatchNormalization, Softmax, LogSoftmax',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [2, 3, 4, 5]);
      b.op('BatchNormalization', [x, rand(b, [3]), rand(b, [3]), rand(b, [3]), rand(b, [3], 0.5, 2)], { floatAttrs: { epsilon: 1e-3 } });
      b.op('Softmax', [x], { attrs: { axis: 1 } });
      b.op('Softmax', [x]);
      b.op('LogSoftmax', [x], { attrs: { axis: 2 } });
    },
  },
  {
    name: 'Softmax (opset 11: flattened at axis)',
    opset: 11,
    build: (b) => {
      const x = b.input('x', F, [2, 3, 4]);
      b.op('Softmax', [x], { attrs: { axis: 1 } });
      b.op('Softmax', [x]);
      b.op('LogSoftmax', [x], { attrs: { axis: 2 } });
    },
  },
  {
    name: 'QuantizeLinear / DequantizeLinear per tensor and per axis, Clip on int8',
    opset: 13,
    build: (b) => {
      const x = b.input('x', F, [2, 3, 4]);
      const s = b.scalar('s', 0.02);
      const q = b.op('QuantizeLinear', [x, s, b.scalar('zp', 128, DataType.UINT8)]);
      b.op('DequantizeLinear', [q, s, b.scalar('zp', 128, DataType.UINT8)]);
      const sa = b.constant('s', F, [3], [0.01, 0.02, 0.05]);
      const za = b.constant('z', DataType.INT8, [3], [-3, 0, 5]);
      const qa = b.op('QuantizeLinear', [x, sa, za], { attrs: { axis: 1 } });
      const clipped = b.op('Clip', [qa, b.scalar('lo', -7, DataType.INT8), b.scalar('hi', 7, DataType.INT8)]);
      b.op('DequantizeLinear', [clipped, sa, za], { attrs: { axis: 1 } });
      b.op('QuantizeLinear', [x, s]);
    },
  },
  {
    name: 'Q/DQ blocked INT4 and UINT4 (opset 21)',
    opset: 21,
    build: (b) => {
      const x = b.input('x', F, [4, 6]);
      const s = b.constant('s', F, [4, 2], [0.1, 0.2, 0.3, 0.1, 0.05, 0.2, 0.15, 0.25]);
      const zp = b.tensor(makeTensor(b.fresh('zp'), DataType.INT4, [4, 2], [0, 1, -1, 2, 0, 0, -3, 1]));
      const q = b.op('QuantizeLinear', [x, s, zp], { attrs: { axis: 1, block_size: 3 } });
      b.op('DequantizeLinear', [q, s, zp], { attrs: { axis: 1, block_size: 3 } });
      const w = b.tensor(makeTensor(b.fresh('w'), DataType.UINT4, [2, 5], [0, 1, 2, 3, 15, 7, 8, 9, 10, 4]));
      const sw = b.constant('s', F, [1, 5], [0.1, 0.2, 0.3, 0.4, 0.5]);
      const zw = b.tensor(makeTensor(b.fresh('zw'), DataType.UINT4, [1, 5], [8, 8, 7, 0, 15]));
      b.op('DequantizeLinear', [w, sw, zw], { attrs: { axis: 0, block_size: 2 } });
      b.op('DequantizeLinear', [b.tensor(makeTensor(b.fresh('w4'), DataType.INT4, [3], [-8, 7, 3])), b.scalar('s', 0.5)]);
    },
  },
];
