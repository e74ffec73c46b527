import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromFloat8E4M3FNBits } from '../../../src/onnx/ir/float8.js';
import { E4M3_CODE_MAX, E4M3_MAX_VALUE, e4m3Nearest, e4m3Value } from '../../../src/quant/weights/e4m3.js';

test('E4M3FN bytes by hand: subnormals, normals, the largest finite value, NaN and the sign', () => {
  assert.equal(fromFloat8E4M3FNBits(0x00), 0);
  assert.equal(fromFloat8E4M3FNBits(0x01), 2 ** -9, 'smallest subnormal: 1/8 · 2^-6');
  assert.equal(fromFloat8E4M3FNBits(0x07), (7 / 8) * 2 ** -6, 'largest subnormal');
  assert.equal(fromFloat8E4M3FNBits(0x08), 2 ** -6, 'smallest normal');
  assert.equal(fromFloat8E4M3FNBits(0x38), 1, 'exponent 7 = bias: 1.0');
  assert.equal(fromFloat8E4M3FNBits(0x3c), 1.5);
  assert.equal(fromFloat8E4M3FNBits(0x7e), 448, '1.75 · 2^8');
  assert.ok(Number.isNaN(fromFloat8E4M3FNBits(0x7f)));
  assert.ok(Number.isNaN(fromFloat8E4M3FNBits(0xff)));
  assert.equal(fromFloat8E4M3FNBits(0xb8), -1);
  assert.equal(E4M3_MAX_VALUE, 448);
  assert.equal(e4m3Value(E4M3_CODE_MAX), 448);
});

test('positive E4M3FN values increase with the byte, so nearest-value search is over bytes 1…126', () => {
  for (let c = 1; c < E4M3_CODE_MAX; c++) assert.ok(e4m3Value(c + 1) > e4m3Value(c), `${c}`);
});

test('nearest code by hand: ties to the even byte, saturation at 448, never code 0', () => {
  assert.equal(e4m3Nearest(1), 0x38);
  // Between 1 (0x38) and 1.125 (0x39): 1.0625 is a tie → the even byte 0x38; 1.07 is nearer 1.125.
  assert.equal(e4m3Nearest(1.0625), 0x38);
  assert.equal(e4m3Nearest(1.07), 0x39);
  // Between 1.125 (0x39) and 1.25 (0x3a): the tie 1.1875 goes up to the even byte.
  assert.equal(e4m3Nearest(1.1875), 0x3a);
  assert.equal(e4m3Nearest(1000), E4M3_CODE_MAX);
  assert.equal(e4m3Nearest(448), E4M3_CODE_MAX);
  assert.equal(e4m3Nearest(0), 1);
  assert.equal(e4m3Nearest(2 ** -12), 1);
  // Subnormal spacing 2^-9: 3.4 · 2^-9 → byte 3.
  assert.equal(e4m3Nearest(3.4 * 2 ** -9), 3);
  // Every value is its own nearest code.
  for (let c = 1; c <= E4M3_CODE_MAX; c++) assert.equal(e4m3Nearest(e4m3Value(c)), c);
});
