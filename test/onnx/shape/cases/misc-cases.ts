import { DataType } from '../../../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../../../src/onnx/ir/tensor.js';
import { B, F, F16, I32, I64, I8, U8, f, int64s, t, zerosInit, type ShapeCase } from './case.js';

/** MatMul/Gemm/Einsum, reductions, TopK, dtype-changing and constant-making ops, normalization, Q/DQ. */
export const miscCases: ShapeCase[] = [
  {
    name: 'MatMul: batched, 1-D on either side, broadcast batch',
    opset: 13,
    build(b) {
      const a = b.input('a', F, [2, 3, 4]);
      const w = zerosInit(b, 'w', [4, 5]);
      const v = b.input('v', F, [4]);
      const c = b.input('c', F, [1, 3, 4]);
      const d = b.input('d', F, [2, 4, 6]);
      return {
        [b.op('MatMul', [a, w])]: f(2, 3, 5),
        [b.op('MatMul', [v, w])]: f(5),
        [b.op('MatMul', [a, v])]: f(2, 3),
        [b.op('MatMul', [c, d])]: f(2, 3, 6),
        [b.op('MatMul', [v, v])]: f(),
      };
    },
  },
  {
    name: 'Gemm with transA and transB',
    opset: 13,
    build(b) {
      const a = b.input('a', F, [4, 3]);
      const w = zerosInit(b, 'w', [5, 4]);
      return { [b.op('Gemm', [a, w, zerosInit(b, 'c', [5])], { attrs: { transA: 1, transB: 1 } })]: f(3, 5) };
    },
  },
  {
    name: 'Einsum: batched matmul, transpose, implicit output, ellipsis',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 3, 4]);
      const y = b.input('y', F, [2, 4, 5]);
      const m = b.input('m', F, [3, 4]);
      const e = b.input('e', F, [2, 3, 4, 5]);
      return {
        [b.op('Einsum', [x, y], { attrs: { equation: 'bij,bjk->bik' } })]: f(2, 3, 5),
        [b.op('Einsum', [m], { attrs: { equation: 'ij->ji' } })]: f(4, 3),
        [b.op('Einsum', [m, b.input('n', F, [4, 6])], { attrs: { equation: 'ij,jk' } })]: f(3, 6),
        [b.op('Einsum', [e], { attrs: { equation: '...ij->...ji' } })]: f(2, 3, 5, 4),
      };
    },
  },
  {
    name: 'reductions with attribute axes (opset 13) and keepdims',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 64, 20, 20]);
      return {
        [b.op('ReduceMean', [x], { attrs: { axes: [2, 3] } })]: f(1, 64, 1, 1),
        [b.op('ReduceMax', [x], { attrs: { axes: [-1], keepdims: 0 } })]: f(1, 64, 20),
        [b.op('ReduceSum', [x, int64s(b, 'ax', [1])], { attrs: { keepdims: 0 } })]: f(1, 20, 20),
        [b.op('ReduceSum', [x])]: f(1, 1, 1, 1),
        [b.op('ReduceSum', [x], { attrs: { noop_with_empty_axes: 1 } })]: f(1, 64, 20, 20),
      };
    },
  },
  {
    name: 'reductions with input axes (opset 18)',
    opset: 18,
    build(b) {
      const x = b.input('x', F, [2, 5, 7]);
      return {
        [b.op('ReduceMax', [x, int64s(b, 'ax', [0, 2])])]: f(1, 5, 1),
        [b.op('ReduceMean', [x, int64s(b, 'ax2', [1])], { attrs: { keepdims: 0 } })]: f(2, 7),
        [b.op('ReduceMax', [x], { attrs: { keepdims: 0 } })]: f(),
      };
    },
  },
  {
    name: 'ReduceSum with attribute axes (opset 11)',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [2, 5, 7]);
      return { [b.op('ReduceSum', [x], { attrs: { axes: [1], keepdims: 0 } })]: f(2, 7) };
    },
  },
  {
    name: 'ArgMax to INT64; TopK with K input (opset 11) and k attribute (opset 1 form)',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 80, 100]);
      const [vals, idx] = b.node('TopK', [x, int64s(b, 'k', [10])], 2) as [string, string];
      return {
        [b.op('ArgMax', [x], { attrs: { axis: 1, keepdims: 0 } })]: t(I64, [1, 100]),
        [b.op('ArgMax', [x], { attrs: { axis: -1 } })]: t(I64, [1, 80, 1]),
        [vals]: f(1, 80, 10),
        [idx]: t(I64, [1, 80, 10]),
      };
    },
  },
  {
    name: 'TopK with the k attribute (opset 9)',
    opset: 9,
    build(b) {
      const x = b.input('x', F, [3, 50]);
      const [vals, idx] = b.node('TopK', [x], 2, { attrs: { k: 5, axis: 1 } }) as [string, string];
      return { [vals]: f(3, 5), [idx]: t(I64, [3, 5]) };
    },
  },
  {
    name: 'Cast, Constant (tensor, value_float, value_ints), Shape with start, Size, ConstantOfShape',
    opset: 15,
    build(b) {
      const x = b.input('x', F, [1, 3, 40, 40]);
      const c = b.node('Constant', [], 1, { attrs: { value: makeTensor('k', DataType.INT32, [2, 2], [1, 2, 3, 4]) } })[0]!;
      const vf = b.node('Constant', [], 1, { floatAttrs: { value_float: 0.5 } })[0]!;
      const vi = b.node('Constant', [], 1, { attrs: { value_ints: [4, 5, 6] } })[0]!;
      const cs = b.op('ConstantOfShape', [int64s(b, 'dims', [2, 3])], { attrs: { value: makeTensor('v', DataType.INT32, [1], [7]) } });
      const cf = b.op('ConstantOfShape', [b.op('Shape', [x], { attrs: { start: 2 } })]);
      return {
        [b.op('Cast', [x], { attrs: { to: F16 } })]: t(F16, [1, 3, 40, 40]),
        [b.op('Cast', [x], { attrs: { to: I64 } })]: t(I64, [1, 3, 40, 40]),
        [c]: t(I32, [2, 2]),
        [vf]: f(),
        [vi]: t(I64, [3]),
        [b.op('Shape', [x], { attrs: { start: -2 } })]: t(I64, [2]),
        [b.op('Size', [x])]: t(I64, []),
        [cs]: t(I32, [2, 3]),
        [cf]: f(40, 40),
      };
    },
  },
  {
    name: 'BatchNormalization, Dropout with mask, Softmax, Identity',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 16, 8, 8]);
      const c = () => zerosInit(b, 'bn', [16]);
      const bn = b.op('BatchNormalization', [x, c(), c(), c(), c()]);
      const [d, mask] = b.node('Dropout', [x], 2) as [string, string];
      return { [bn]: f(1, 16, 8, 8), [d]: f(1, 16, 8, 8), [mask]: t(B, [1, 16, 8, 8]) };
    },
  },
  {
    name: 'QuantizeLinear dtype from the zero point (INT8), default UINT8; DequantizeLinear dtype from the scale',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 8, 4, 4]);
      const q8 = b.op('QuantizeLinear', [x, b.scalar('s', 0.1), b.constant('zp', I8, [], [0])]);
      const qu = b.op('QuantizeLinear', [x, b.scalar('s2', 0.1)]);
      const dq = b.op('DequantizeLinear', [q8, b.scalar('s3', 0.1), b.constant('zp2', I8, [], [0])]);
      return { [q8]: t(I8, [1, 8, 4, 4]), [qu]: t(U8, [1, 8, 4, 4]), [dq]: f(1, 8, 4, 4) };
    },
  },
  {
    name: 'QuantizeLinear output_dtype (opset 21) and a FLOAT16 scale (opset 21)',
    opset: 21,
    build(b) {
      const x = b.input('x', F16, [2, 4]);
      const q = b.op('QuantizeLinear', [x, b.scalar('s', 0.1, F16)], { attrs: { output_dtype: I8 } });
      const dq = b.op('DequantizeLinear', [q, b.scalar('s2', 0.1, F16)]);
      return { [q]: t(I8, [2, 4]), [dq]: t(F16, [2, 4]) };
    },
  },
  {
    name: 'unknown ops, other domains and malformed attributes leave outputs out',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [2, 3]);
      const custom = b.op('FancyOp', [x]);
      const other = b.op('Relu', [x], { domain: 'com.example' });
      const badCast = b.op('Cast', [x], { attrs: { to: 'FLOAT' } });
      const badPerm = b.op('Transpose', [x], { attrs: { perm: 'no' } });
      const after = b.op('Relu', [custom]);
      return { [custom]: null, [other]: null, [badCast]: null, [badPerm]: null, [after]: null };
    },
  },
];
