import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { runReference } from '../reference-impl/run-reference.js';
import { f32, i64, kernel, run1, typed, values } from './kernel-helpers.js';

/** Hand-checked cases for elementwise, shape, layout and reduction kernels, Cast, and the runner itself. */

const INT64_MAX = 9.223372036854776e18;

test('elementwise: broadcasting, integer division truncates, activations', () => {
  const a = f32([2, 1], [1, 10]);
  const b = f32([3], [1, 2, 3]);
  const sum = run1('Add', [a, b]);
  assert.deepEqual(sum.dims, [2, 3]);
  assert.deepEqual(values(sum), [2, 3, 4, 11, 12, 13]);
  assert.deepEqual(values(run1('Div', [i64([7, -7]), i64([2])])), [3, -3]);
  assert.deepEqual(values(run1('Sigmoid', [f32([1], [0])])), [0.5]);
  assert.deepEqual(values(run1('HardSwish', [f32([3], [3, -3, 1])])), [3, 0, Math.fround(2 / 3)]);
  assert.deepEqual(values(run1('LeakyRelu', [f32([2], [-2, 2])], { alpha: { float: 0.5 } })), [-1, 2]);
  assert.deepEqual(values(run1('Clip', [f32([3], [-2, 0.5, 9])], { min: { float: -1 }, max: { float: 1 } }, 6)), [-1, 0.5, 1]);
  assert.deepEqual(values(run1('Clip', [f32([3], [-2, 0.5, 9]), undefined, f32([], [1])])), [-2, 0.5, 1]);
  assert.deepEqual(values(run1('Where', [typed(DataType.BOOL, [2], [1, 0]), f32([2], [1, 2]), f32([], [9])])), [1, 9]);
  assert.deepEqual(values(run1('Round', [f32([4], [0.5, 1.5, 2.5, -2.5])])), [0, 2, 2, -2]);
  assert.equal(run1('Greater', [f32([1], [2]), f32([1], [1])]).dtype, DataType.BOOL);
});

test('Cast: float16 rounding and overflow, truncation to integers, bool', () => {
  const h = run1('Cast', [f32([3], [0.1, 65520, 1 / 3])], { to: DataType.FLOAT16 });
  assert.deepEqual(values(h), [0.0999755859375, Infinity, 0.333251953125]);
  assert.equal(h.dtype, DataType.FLOAT16);
  assert.deepEqual(values(run1('Cast', [f32([2], [-2.7, 2.7])], { to: DataType.INT64 })), [-2, 2]);
  assert.deepEqual(values(run1('Cast', [f32([3], [0, -0.5, 2])], { to: DataType.BOOL })), [0, 1, 1]);
  // A FLOAT16 op rounds its result: 1 + 2^-11 is a tie between 1 and 1 + 2^-10, and goes to even (1).
  const one = typed(DataType.FLOAT16, [1], [1]);
  assert.deepEqual(values(run1('Add', [one, typed(DataType.FLOAT16, [1], [2 ** -11])])), [1]);
});

test('Reshape (0 and −1), Flatten, Squeeze/Unsqueeze in attribute and input forms', () => {
  const x = f32(
    [2, 3, 4],
    Array.from({ length: 24 }, (_, i) => i),
  );
  assert.deepEqual(run1('Reshape', [x, i64([0, -1])]).dims, [2, 12]);
  assert.deepEqual(run1('Flatten', [x], { axis: 2 }).dims, [6, 4]);
  const one = f32([2, 1, 3], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(run1('Squeeze', [one], { axes: [1] }, 11).dims, [2, 3]);
  assert.deepEqual(run1('Squeeze', [one, i64([-2])]).dims, [2, 3]);
  assert.deepEqual(run1('Unsqueeze', [one], { axes: [0, 4] }, 11).dims, [1, 2, 1, 3, 1]);
  assert.deepEqual(run1('Unsqueeze', [one, i64([-1])]).dims, [2, 1, 3, 1]);
});

test('Slice: negative steps, INT64_MAX ends, clamping; Split in every form', () => {
  const x = f32(
    [10],
    Array.from({ length: 10 }, (_, i) => i),
  );
  assert.deepEqual(values(run1('Slice', [x, i64([-1]), i64([-INT64_MAX]), i64([0]), i64([-2])])), [9, 7, 5, 3, 1]);
  assert.deepEqual(values(run1('Slice', [x, i64([2]), i64([INT64_MAX])])), [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(values(run1('Slice', [x], { starts: [-3], ends: [100] }, 9)), [7, 8, 9]);
  const six = f32([6], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(kernel('Split', [six], {}, 13, 2).map(values), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(kernel('Split', [six, i64([1, 5])], {}, 13, 2).map(values), [[1], [2, 3, 4, 5, 6]]);
  assert.deepEqual(kernel('Split', [six], { split: [4, 2] }, 11, 2).map(values), [
    [1, 2, 3, 4],
    [5, 6],
  ]);
  const seven = f32([7], [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(kernel('Split', [seven], { num_outputs: 3 }, 18, 3).map(values), [[1, 2, 3], [4, 5, 6], [7]]);
});

test('Transpose, Concat, Gather (negative indices), GatherElements, Tile, Expand, Pad', () => {
  const m = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(values(run1('Transpose', [m])), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(values(run1('Concat', [m, f32([2, 1], [7, 8])], { axis: -1 })), [1, 2, 3, 7, 4, 5, 6, 8]);
  assert.deepEqual(values(run1('Gather', [m, i64([-1, 0])], { axis: 1 })), [3, 1, 6, 4]);
  assert.deepEqual(values(run1('GatherElements', [m, i64([2, 0, 1, -1], [2, 2])], { axis: 1 })), [3, 1, 5, 6]);
  assert.deepEqual(values(run1('Tile', [f32([2], [1, 2]), i64([3])])), [1, 2, 1, 2, 1, 2]);
  assert.deepEqual(values(run1('Expand', [f32([2, 1], [1, 2]), i64([2, 3])])), [1, 1, 1, 2, 2, 2]);
  assert.deepEqual(values(run1('Pad', [f32([3], [1, 2, 3]), i64([2, 1])], { mode: 'reflect' })), [3, 2, 1, 2, 3, 2]);
  assert.deepEqual(values(run1('Pad', [f32([2], [1, 2]), i64([1, 2]), f32([], [9])])), [9, 1, 2, 9, 9]);
});

test('Shape, Range, ConstantOfShape, reductions, ArgMax, TopK (ties keep the lower index)', () => {
  const x = f32([2, 3], [1, 5, 3, 4, 2, 6]);
  assert.deepEqual(values(run1('Shape', [x])), [2, 3]);
  assert.deepEqual(values(run1('Range', [i64([1], []), i64([10], []), i64([3], [])])), [1, 4, 7]);
  assert.deepEqual(values(run1('ConstantOfShape', [i64([2])])), [0, 0]);
  assert.deepEqual(values(run1('ReduceMax', [x], { axes: [1], keepdims: 0 })), [5, 6]);
  assert.deepEqual(values(run1('ReduceSum', [x, i64([0])])), [5, 7, 9]);
  assert.deepEqual(values(run1('ReduceMean', [x, i64([])], { noop_with_empty_axes: 1 }, 18)), [1, 5, 3, 4, 2, 6]);
  assert.deepEqual(values(run1('ArgMax', [x], { axis: 1 })), [1, 2]);
  const [v, i] = kernel('TopK', [f32([4], [3, 1, 3, 2]), i64([2])], {}, 13, 2);
  assert.deepEqual(
    [values(v!), values(i!)],
    [
      [3, 3],
      [0, 2],
    ],
  );
});

test('runReference: intermediate outputs, and an unsupported op is named', () => {
  const b = new GraphBuilder();
  const x = b.input('x', DataType.FLOAT, [2]);
  const y = b.op('Relu', [x]);
  b.op('Neg', [y], { name: 'neg' });
  b.graph.nodes.at(-1)!.outputs[0] = 'out';
  b.output('out', DataType.FLOAT, [2]);
  const feeds = { x: { dims: [2], data: Float32Array.of(-1, 2) } };
  const r = runReference(b.model(13), feeds, { outputs: [y, 'out'] });
  assert.deepEqual(
    [values(r[y]!), values(r.out!)],
    [
      [0, 2],
      [0, -2],
    ],
  );
  b.op('NonMaxSuppression', ['out']);
  assert.throws(() => runReference(b.model(13), feeds), /unsupported op NonMaxSuppression/);
  assert.throws(() => runReference(b.model(13), {}), /no feed for graph input x/);
});
