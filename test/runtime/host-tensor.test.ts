import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float32ToHalfBits, halfBitsToFloat32, hostTensor, toFloatTensor } from '../../src/runtime/host-tensor.js';

test('float16 bit patterns convert both ways exactly', () => {
  const values = [0, 1, -2, 0.5, 65504, 1 / 3, 114 / 255];
  const bits = float32ToHalfBits(values);
  assert.deepEqual([...bits.slice(0, 5)], [0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff]);
  const back = halfBitsToFloat32(bits);
  assert.equal(back[5], 0.333251953125);
  assert.ok(Math.abs(back[6]! - 114 / 255) < 2 ** -11);
});

test('toFloatTensor reads float32 without copying and converts other dtypes', () => {
  const f = hostTensor('float32', [2], new Float32Array([1, 2]));
  assert.equal(toFloatTensor(f).data, f.data);
  assert.deepEqual([...toFloatTensor(hostTensor('float16', [1, 2], new Uint16Array([0x3c00, 0x4000]))).data], [1, 2]);
  assert.deepEqual([...toFloatTensor(hostTensor('int64', [2], new BigInt64Array([3n, -4n]))).data], [3, -4]);
  assert.throws(() => hostTensor('float32', [3], new Float32Array(2)), RangeError);
});
