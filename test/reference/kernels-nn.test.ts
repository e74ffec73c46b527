import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { fakeQuantize } from '../reference-impl/fake-quant.js';
import { f32, i64, kernel, run1, typed, values } from './kernel-helpers.js';

/** Hand-checked cases for Conv, pools, Resize, Softmax and Q/DQ. */

const x3 = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
const ones2 = f32([1, 1, 2, 2], [1, 1, 1, 1]);

test('Conv: plain, padded and strided, 1×1 depthwise with bias, SAME_UPPER/SAME_LOWER', () => {
  assert.deepEqual(values(run1('Conv', [x3, ones2])), [12, 16, 24, 28]);
  const padded = run1('Conv', [x3, ones2], { pads: [1, 1, 1, 1], strides: [2, 2] });
  assert.deepEqual(padded.dims, [1, 1, 2, 2]);
  assert.deepEqual(values(padded), [1, 5, 11, 28]);
  const x = f32([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
  const dw = run1('Conv', [x, f32([2, 1, 1, 1], [2, -1]), f32([2], [0.5, 0])], { group: 2 });
  assert.deepEqual(values(dw), [2.5, 4.5, 6.5, 8.5, -5, -6, -7, -8]);
  const row = f32([1, 1, 1, 4], [1, 2, 3, 4]);
  const k = f32([1, 1, 1, 2], [1, 1]);
  assert.deepEqual(values(run1('Conv', [row, k], { auto_pad: 'SAME_UPPER' })), [3, 5, 7, 4]);
  assert.deepEqual(values(run1('Conv', [row, k], { auto_pad: 'SAME_LOWER' })), [1, 3, 5, 7]);
  assert.deepEqual(values(run1('Conv', [row, k], { dilations: [1, 2] })), [4, 6]);
});

test('Conv accumulates in float64 and rounds once to float32', () => {
  // 1 + 2^-24 + 2^-24 is 1 + 2^-23 exactly; float32 running sums would lose both small terms.
  const x = f32([1, 3, 1, 1], [1, 2 ** -24, 2 ** -24]);
  const y = run1('Conv', [x, f32([1, 3, 1, 1], [1, 1, 1])]);
  assert.equal(y.data[0], 1 + 2 ** -23);
});

test('MaxPool, AveragePool (count_include_pad), global pools', () => {
  const x = f32(
    [1, 1, 4, 4],
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.deepEqual(values(run1('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] })), [6, 8, 14, 16]);
  const [, idx] = kernel('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, 13, 2);
  assert.deepEqual(values(idx!), [5, 7, 13, 15]);
  assert.equal(idx!.dtype, DataType.INT64);
  const small = f32([1, 1, 2, 2], [1, 2, 3, 4]);
  assert.deepEqual(values(run1('AveragePool', [small], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })), [2.5, 2.5, 2.5, 2.5]);
  const incl = run1('AveragePool', [small], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 });
  assert.deepEqual(values(incl), new Array(4).fill(Math.fround(10 / 9)));
  assert.deepEqual(values(run1('GlobalAveragePool', [x])), [8.5]);
  assert.deepEqual(values(run1('GlobalMaxPool', [x])), [16]);
  assert.deepEqual(
    run1('MaxPool', [f32([1, 1, 5], [1, 5, 2, 4, 3])], { kernel_shape: [2], strides: [2], ceil_mode: 1 }).data,
    Float32Array.of(5, 4, 3),
  );
});

test('Resize nearest: coordinate modes and nearest_mode tie rules', () => {
  const two = f32([1, 1, 1, 2], [10, 20]);
  const scales = f32([4], [1, 1, 1, 2]);
  const at = (mode: string, rule: string) =>
    values(run1('Resize', [two, undefined, scales], { coordinate_transformation_mode: mode, nearest_mode: rule }));
  assert.deepEqual(at('asymmetric', 'floor'), [10, 10, 20, 20]);
  assert.deepEqual(at('asymmetric', 'round_prefer_floor'), [10, 10, 20, 20]);
  assert.deepEqual(at('asymmetric', 'round_prefer_ceil'), [10, 20, 20, 20]);
  const three = f32([1, 1, 1, 3], [1, 2, 3]);
  const y = run1('Resize', [three, undefined, f32([4], [1, 1, 1, 3])], { coordinate_transformation_mode: 'half_pixel' });
  assert.deepEqual(values(y), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
  const sized = run1('Resize', [three, undefined, undefined, i64([1, 1, 1, 1])], { coordinate_transformation_mode: 'pytorch_half_pixel' });
  assert.deepEqual(values(sized), [1]);
  const lin = run1('Resize', [two, undefined, scales], { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
  assert.deepEqual(values(lin), [10, Math.fround(10 + 10 / 3), Math.fround(10 + 20 / 3), 20]);
  assert.deepEqual(values(run1('Upsample', [two, f32([4], [1, 1, 2, 2])], {}, 9)), [10, 10, 20, 20, 10, 10, 20, 20]);
});

test('Softmax: opset 13 along an axis; opset < 13 over the dims flattened from the axis', () => {
  const x = f32([1, 2], [0, Math.log(3)]);
  assert.deepEqual(values(run1('Softmax', [x])), [0.25, 0.75]);
  const z = f32([1, 2, 2], [0, 0, 0, 0]);
  assert.deepEqual(values(run1('Softmax', [z], { axis: 1 }, 11)), [0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(values(run1('Softmax', [z], { axis: 1 }, 13)), [0.5, 0.5, 0.5, 0.5]);
});

test('QuantizeLinear: round half to even, zero point, saturation, output types', () => {
  const x = f32([7], [0.5, 1.5, 2.5, -0.5, -1.5, 300, -300]);
  const q = run1('QuantizeLinear', [x, f32([], [1]), typed(DataType.INT8, [], [0])]);
  assert.equal(q.dtype, DataType.INT8);
  assert.deepEqual(values(q), [0, 2, 2, 0, -2, 127, -128]);
  const u = run1('QuantizeLinear', [f32([3], [-1, 0.004, 0.015]), f32([], [0.01]), typed(DataType.UINT8, [], [128])]);
  assert.deepEqual(values(u), [28, 128, 130]);
  assert.equal(run1('QuantizeLinear', [x, f32([], [1])]).dtype, DataType.UINT8);
  const i4 = run1('QuantizeLinear', [f32([2], [9, -9]), f32([], [1])], { output_dtype: DataType.INT4 }, 21);
  assert.deepEqual(values(i4), [7, -8]);
});

test('DequantizeLinear per axis and blocked; Clip on int8 codes', () => {
  const x = typed(DataType.INT8, [2, 2], [1, 2, 3, 4]);
  const y = run1('DequantizeLinear', [x, f32([2], [0.5, 2]), typed(DataType.INT8, [2], [0, 1])], { axis: 0 });
  assert.deepEqual(values(y), [0.5, 1, 4, 6]);
  const blocked = run1(
    'DequantizeLinear',
    [typed(DataType.INT4, [1, 4], [1, 2, 3, 4]), f32([1, 2], [1, 10])],
    { axis: 1, block_size: 2 },
    21,
  );
  assert.deepEqual(values(blocked), [1, 2, 30, 40]);
  const clipped = run1('Clip', [typed(DataType.INT8, [3], [-8, 0, 9]), typed(DataType.INT8, [], [-7]), typed(DataType.INT8, [], [7])]);
  assert.equal(clipped.dtype, DataType.INT8);
  assert.deepEqual(values(clipped), [-7, 0, 7]);
});

test("fakeQuantize: q = clamp(roundHalfEven(x / s) + zp), x' = (q − zp) · s in float32", () => {
  const y = fakeQuantize(f32([4], [0.26, -1, 10, 0.25]), { scale: 0.1, zeroPoint: 10, signed: false });
  assert.deepEqual(values(y), [Math.fround(3 * Math.fround(0.1)), -1, 10, Math.fround(2 * Math.fround(0.1))]);
  const s = fakeQuantize(f32([3], [3, -3, 1]), { scale: 1 / 64, zeroPoint: 0, signed: true });
  assert.deepEqual(values(s), [127 / 64, -2, 1]);
});
