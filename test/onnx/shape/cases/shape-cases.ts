import { DataType } from '../../../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../../../src/onnx/ir/tensor.js';
import { F, I64, f, int64s, t, zerosInit, type ShapeCase } from './case.js';

/** Reshape, Transpose, Flatten, Squeeze/Unsqueeze, Concat, Expand, Tile, Pad, and shape-computing chains. */
export const shapeCases: ShapeCase[] = [
  {
    name: 'Reshape to a constant target with -1 and 0',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 255, 20, 20]);
      const heads = b.op('Reshape', [x, int64s(b, 'shape', [1, 3, 85, -1])]);
      const keep = b.op('Reshape', [x, int64s(b, 'shape0', [0, -1])]);
      return { [heads]: f(1, 3, 85, 400), [keep]: f(1, 102000) };
    },
  },
  {
    name: 'Reshape target from Shape → Gather → Unsqueeze → Concat carries the symbolic batch and solves -1',
    opset: 13,
    build(b) {
      const x = b.input('x', F, ['N', 255, 20, 20]);
      const shape = b.op('Shape', [x]);
      const n = b.op('Gather', [shape, b.constant('zero', I64, [], [0])], { attrs: { axis: 0 } });
      const nu = b.op('Unsqueeze', [n, int64s(b, 'axes', [0])]);
      const target = b.op('Concat', [nu, int64s(b, 'rest', [3, 85, 400])], { attrs: { axis: 0 } });
      const flat = b.op('Concat', [nu, int64s(b, 'rest2', [-1, 85])], { attrs: { axis: 0 } });
      return {
        [shape]: t(I64, [4]),
        [n]: t(I64, []),
        [nu]: t(I64, [1]),
        [target]: t(I64, [4]),
        [b.op('Reshape', [x, target])]: f('N', 3, 85, 400),
        [b.op('Reshape', [x, flat])]: f('N', 1200, 85),
      };
    },
  },
  {
    name: 'Reshape to a target only known at run time keeps the target length',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [2, 6]);
      const s = b.input('s', I64, [3]);
      return { [b.op('Reshape', [x, s])]: f(null, null, null) };
    },
  },
  {
    name: 'Transpose with and without perm',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 80, 80]);
      const y = b.input('y', F, [2, 3, 4]);
      return { [b.op('Transpose', [x], { attrs: { perm: [0, 2, 3, 1] } })]: f(1, 80, 80, 3), [b.op('Transpose', [y])]: f(4, 3, 2) };
    },
  },
  {
    name: 'Flatten at axis 1, 0 and -1',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 3, 4, 5]);
      return {
        [b.op('Flatten', [x])]: f(2, 60),
        [b.op('Flatten', [x], { attrs: { axis: 0 } })]: f(1, 120),
        [b.op('Flatten', [x], { attrs: { axis: -1 } })]: f(24, 5),
      };
    },
  },
  {
    name: 'Squeeze / Unsqueeze with attribute axes (opset 11)',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [2, 1, 3]);
      const y = b.input('y', F, [1, 3, 1, 5]);
      return {
        [b.op('Squeeze', [x], { attrs: { axes: [1] } })]: f(2, 3),
        [b.op('Squeeze', [y])]: f(3, 5),
        [b.op('Unsqueeze', [x], { attrs: { axes: [0, 4] } })]: f(1, 2, 1, 3, 1),
        [b.op('Unsqueeze', [x], { attrs: { axes: [-1] } })]: f(2, 1, 3, 1),
      };
    },
  },
  {
    name: 'Squeeze / Unsqueeze with input axes (opset 13)',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 1, 3]);
      const y = b.input('y', F, [1, 3, 1, 5]);
      return {
        [b.op('Squeeze', [x, int64s(b, 'ax', [-2])])]: f(2, 3),
        [b.op('Squeeze', [y])]: f(3, 5),
        [b.op('Unsqueeze', [x, int64s(b, 'ax2', [0, 4])])]: f(1, 2, 1, 3, 1),
      };
    },
  },
  {
    name: 'Concat along channels and along -1',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 64, 40, 40]);
      const y = b.input('y', F, [1, 128, 40, 40]);
      const p = b.input('p', F, [2, 3]);
      const q = b.input('q', F, [2, 5]);
      return {
        [b.op('Concat', [x, y, x], { attrs: { axis: 1 } })]: f(1, 256, 40, 40),
        [b.op('Concat', [p, q], { attrs: { axis: -1 } })]: f(2, 8),
      };
    },
  },
  {
    name: 'Expand to a constant target and to one built from ConstantOfShape/Mul/Equal/Where',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [3, 1]);
      const direct = b.op('Expand', [x, int64s(b, 'to', [2, 1, 6])]);
      const v = b.input('v', F, [3]);
      const target = b.op('Concat', [int64s(b, 'two', [2]), int64s(b, 'three', [3])], { attrs: { axis: 0 } });
      const ones = b.op('ConstantOfShape', [b.op('Shape', [target])], { attrs: { value: makeTensor('one', DataType.INT64, [1], [1]) } });
      const neg = b.op('Mul', [ones, b.constant('m1', I64, [], [-1])]);
      const eq = b.op('Equal', [target, neg]);
      const shape = b.op('Where', [eq, ones, target]);
      return { [direct]: f(2, 3, 6), [ones]: t(I64, [2]), [shape]: t(I64, [2]), [b.op('Expand', [v, shape])]: f(2, 3) };
    },
  },
  {
    name: 'Tile multiplies each axis',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 3]);
      return { [b.op('Tile', [x, int64s(b, 'r', [2, 3])])]: f(4, 9) };
    },
  },
  {
    name: 'Pad with input pads (opset 11) and with the pads attribute (opset 2 style)',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 3, 10, 10]);
      return { [b.op('Pad', [x, int64s(b, 'pads', [0, 0, 1, 2, 0, 0, 1, 2])])]: f(1, 3, 12, 14) };
    },
  },
  {
    name: 'Pad with the pads attribute (opset 10)',
    opset: 10,
    build(b) {
      const x = b.input('x', F, [1, 3, 10, 10]);
      return { [b.op('Pad', [x], { attrs: { pads: [0, 0, 2, 0, 0, 0, 2, 0] } })]: f(1, 3, 14, 10) };
    },
  },
  {
    name: 'Pad with axes (opset 18)',
    opset: 18,
    build(b) {
      const x = b.input('x', F, [1, 3, 10, 10]);
      return { [b.op('Pad', [x, int64s(b, 'pads', [1, 1, 2, 2]), '', int64s(b, 'axes', [2, 3])])]: f(1, 3, 13, 13) };
    },
  },
  {
    name: 'Range over int64 and float scalars',
    opset: 13,
    build(b) {
      const r = b.op('Range', [b.constant('s', I64, [], [0]), b.constant('l', I64, [], [10]), b.constant('d', I64, [], [3])]);
      const g = b.op('Range', [b.scalar('fs', 0.5), b.scalar('fl', 2), b.scalar('fd', 0.5)]);
      const x = b.input('x', I64, []);
      const dyn = b.op('Range', [b.constant('s0', I64, [], [0]), x, b.constant('d1', I64, [], [1])]);
      return { [r]: t(I64, [4]), [g]: f(3), [dyn]: t(I64, [null]) };
    },
  },
  {
    name: 'a mismatched Concat and a Reshape that cannot split stay unknown',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [2, 3]);
      const y = b.input('y', F, [4, 3, 1]);
      return {
        [b.op('Concat', [x, y], { attrs: { axis: 0 } })]: null,
        [b.op('Reshape', [x, int64s(b, 's', [4, -1])])]: null,
        [b.op('Unsqueeze', [x])]: null,
        [b.op('Transpose', [x], { attrs: { perm: [0, 0] } })]: null,
      };
    },
  },
  {
    name: 'Flatten after a broadcast Add',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 8, 2, 2]);
      const y = b.op('Flatten', [b.op('Add', [x, zerosInit(b, 'z', [8, 1, 1])])]);
      return { [y]: f(1, 32) };
    },
  },
];
