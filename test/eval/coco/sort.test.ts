import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stableSortByScoreDesc } from '../../../src/eval/coco/sort.js';

function reference(score: Float64Array, idx: number[]): number[] {
  // Array.prototype.sort is stable: the order numpy's argsort(-score, kind='mergesort') gives
  return [...idx].sort((a, b) => score[b]! - score[a]!);
}

test('sorts descending and keeps input order among equal scores', () => {
  const score = Float64Array.from([0.5, 0.9, 0.5, 0.1, 0.9, 0.5]);
  const idx = Int32Array.from([0, 1, 2, 3, 4, 5]);
  stableSortByScoreDesc(idx, score);
  assert.deepEqual([...idx], [1, 4, 0, 2, 5, 3]);
});

test('matches a stable reference on many sizes with heavy ties, sub-ranges untouched outside', () => {
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (const n of [0, 1, 2, 23, 24, 25, 47, 48, 49, 100, 1000, 5003]) {
    const score = Float64Array.from({ length: n }, () => Math.round(rand() * 20) / 20);
    const idx = Int32Array.from({ length: n + 6 }, (_, i) => (i < 3 || i >= n + 3 ? -1 : i - 3));
    stableSortByScoreDesc(idx, score, 3, n + 3);
    const expected = reference(
      score,
      Array.from({ length: n }, (_, i) => i),
    );
    assert.deepEqual([...idx.subarray(3, n + 3)], expected, `n=${n}`);
    assert.deepEqual([...idx.subarray(0, 3), ...idx.subarray(n + 3)], [-1, -1, -1, -1, -1, -1]);
  }
});

test('-0 and 0 are equal scores', () => {
  const score = Float64Array.from([-0, 0, -0]);
  const idx = Int32Array.from([0, 1, 2]);
  stableSortByScoreDesc(idx, score);
  assert.deepEqual([...idx], [0, 1, 2]);
});
