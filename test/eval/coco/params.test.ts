import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCocoParams, linspace, resolveCocoParams } from '../../../src/eval/coco/params.js';
import { InputError } from '../../../src/errors.js';
import type { CocoGroundTruth } from '../../../src/eval/coco/types.js';

const gt: CocoGroundTruth = {
  images: [
    { id: 9, fileName: 'a.jpg', width: 10, height: 10 },
    { id: 2, fileName: 'b.jpg', width: 10, height: 10 },
  ],
  categories: [
    { id: 5, name: 'b' },
    { id: 1, name: 'a' },
  ],
  annotations: [],
};

test('IoU thresholds are numpy linspace values bit for bit', () => {
  // repr() of np.linspace(.5, 0.95, 10) under numpy 2.4
  const numpy = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95];
  assert.deepEqual(defaultCocoParams().iouThrs, numpy);
});

test('recall thresholds are numpy linspace(0, 1, 101) bit for bit', () => {
  const r = defaultCocoParams().recThrs;
  assert.equal(r.length, 101);
  assert.equal(r[0], 0);
  assert.equal(r[1], 0.01);
  assert.equal(r[3], 0.03); // 3 * 0.01 = 0.03 exactly in float64, like numpy
  assert.equal(r[7], 0.07);
  assert.equal(r[99], 0.99);
  assert.equal(r[100], 1);
});

test('linspace edge counts', () => {
  assert.deepEqual([...linspace(2, 3, 1)], [2]);
  assert.deepEqual([...linspace(1, 1, 3)], [1, 1, 1]);
});

test('resolve sorts ids and maxDets, keeps area ranges', () => {
  const p = resolveCocoParams(gt, { maxDets: [100, 1, 10] });
  assert.deepEqual(p.imgIds, [2, 9]);
  assert.deepEqual(p.catIds, [1, 5]);
  assert.deepEqual(p.maxDets, [1, 10, 100]);
  assert.deepEqual(p.areaRng, [
    [0, 1e10],
    [0, 1024],
    [1024, 9216],
    [9216, 1e10],
  ]);
  assert.deepEqual(p.areaRngLbl, ['all', 'small', 'medium', 'large']);
});

test('resolve rejects unusable parameters', () => {
  assert.throws(() => resolveCocoParams(gt, { maxDets: [0] }), InputError);
  assert.throws(() => resolveCocoParams(gt, { recThrs: [0.5, 0.1] }), InputError);
  assert.throws(() => resolveCocoParams(gt, { iouThrs: [] }), InputError);
  assert.throws(() => resolveCocoParams(gt, { iouThrs: new Array(33).fill(0.5) }), InputError);
  assert.throws(() => resolveCocoParams(gt, { areaRng: [[0, 1]], areaRngLbl: [] }), InputError);
});
