import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFixed, meanOfValid, pairwiseSum } from '../../../src/eval/coco/summarize.js';

test('pairwise sum follows numpy blocking (differs from a running sum where numpy does)', () => {
  // np.sum(np.array([1.0] + [1e-16] * 15)) == 1.0000000000000016 (a running sum gives 1.0)
  const a = [1, ...new Array<number>(15).fill(1e-16)];
  assert.equal(pairwiseSum(a), 1.0000000000000016);
  assert.equal(
    a.reduce((s, x) => s + x, 0),
    1,
  );
  assert.equal(pairwiseSum([]), 0);
  assert.equal(pairwiseSum([1, 2, 3]), 6);
});

test('mean over entries > -1, -1 when none', () => {
  assert.equal(meanOfValid([-1, -1]), -1);
  assert.equal(meanOfValid([]), -1);
  assert.equal(meanOfValid([-1, 0.5, 0, 1]), 0.5);
});

test("Python's fixed-point formatting, ties to even", () => {
  assert.equal(formatFixed(0.0625, 3), '0.062');
  assert.equal(formatFixed(0.1875, 3), '0.188');
  assert.equal(formatFixed(-1, 3), '-1.000');
  assert.equal(formatFixed(0.95, 2), '0.95');
  assert.equal(formatFixed(0.8999999999999999, 2), '0.90');
  assert.equal(formatFixed(0.2786, 3), '0.279');
});
