import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { evaluateCoco } from '../../../src/eval/coco/index.js';
import type { CocoAnnotation, CocoBox, CocoDetection, CocoGroundTruth } from '../../../src/eval/coco/index.js';

function groundTruth(anns: Array<[imageId: number, categoryId: number, box: CocoBox]>, categories = [1]): CocoGroundTruth {
  const annotations: CocoAnnotation[] = anns.map(([imageId, categoryId, bbox], n) => ({
    id: n + 1,
    imageId,
    categoryId,
    bbox,
    area: bbox[2] * bbox[3],
    iscrowd: false,
  }));
  const imageIds = [...new Set([1, ...anns.map((a) => a[0])])];
  return {
    images: imageIds.map((id) => ({ id, fileName: `${id}.jpg`, width: 640, height: 480 })),
    categories: categories.map((id) => ({ id, name: id === 1 ? 'person' : `c${id}` })),
    annotations,
  };
}

/** Precision carries pycocotools' +eps in its denominator, so a perfect score is 1 − 2e-16, not 1. */
function near(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) < 1e-12, `[${i}]: ${a} vs ${expected[i]}`));
}

const det = (imageId: number, categoryId: number, bbox: CocoBox, score: number): CocoDetection => ({ imageId, categoryId, bbox, score });

test('one perfect detection of a medium object', () => {
  const r = evaluateCoco(groundTruth([[1, 1, [10, 10, 50, 50]]]), [det(1, 1, [10, 10, 50, 50], 0.9)]);
  near(r.stats, [1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1]);
  assert.deepEqual(r.statNames, ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']);
  assert.deepEqual(
    r.perClass.map((c) => [c.categoryId, c.name]),
    [[1, 'person']],
  );
  near([r.perClass[0]!.ap, r.perClass[0]!.ap50], [1, 1]);
  assert.deepEqual([...r.dims], [10, 101, 1, 4, 3]);
  assert.equal(r.precision.length, 10 * 101 * 4 * 3);
  assert.equal(r.recall.length, 10 * 4 * 3);
});

test('a higher-scored false positive halves precision', () => {
  const r = evaluateCoco(groundTruth([[1, 1, [10, 10, 50, 50]]]), [det(1, 1, [10, 10, 50, 50], 0.5), det(1, 1, [300, 300, 50, 50], 0.9)]);
  near([r.stats[1]!], [0.5]); // AP50
  assert.equal(r.stats[6], 0); // AR1: the single best detection is the false positive
  assert.equal(r.stats[7], 1); // AR10
});

test('only ground-truth categories are scored (person-only ground truth gives person AP only)', () => {
  const gt = groundTruth([
    [1, 1, [10, 10, 50, 50]],
    [2, 1, [100, 100, 80, 120]],
  ]);
  const person = [det(1, 1, [12, 10, 50, 50], 0.9), det(2, 1, [100, 90, 80, 120], 0.8), det(2, 1, [0, 0, 20, 20], 0.7)];
  const others = [det(1, 3, [10, 10, 50, 50], 0.95), det(2, 62, [100, 100, 80, 120], 0.99)];
  const onlyPerson = evaluateCoco(gt, person);
  const mixed = evaluateCoco(gt, [...others, ...person]);
  assert.deepEqual(mixed.stats, onlyPerson.stats);
  assert.deepEqual(
    mixed.perClass.map((c) => c.categoryId),
    [1],
  );
});

test('no detections: zeros, not -1', () => {
  const r = evaluateCoco(groundTruth([[1, 1, [10, 10, 50, 50]]]), []);
  assert.deepEqual(r.stats, [0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1]);
});

test('a category without ground truth is -1 in the per-class list', () => {
  const r = evaluateCoco(groundTruth([[1, 1, [10, 10, 50, 50]]], [1, 2]), [det(1, 2, [10, 10, 50, 50], 0.9)]);
  assert.deepEqual(
    r.perClass.map((c) => [c.categoryId, c.ap]),
    [
      [1, 0],
      [2, -1],
    ],
  );
});

test('a detection on an image the ground truth lacks is an input error', () => {
  const gt = groundTruth([[1, 1, [10, 10, 50, 50]]]);
  assert.throws(
    () => evaluateCoco(gt, [det(7, 1, [0, 0, 1, 1], 0.5)]),
    (e: unknown) => e instanceof InputError && /image_id 7/.test(e.message),
  );
});

test('params.imgIds restricts the images evaluated', () => {
  const gt = groundTruth([
    [1, 1, [10, 10, 50, 50]],
    [2, 1, [10, 10, 50, 50]],
  ]);
  const r = evaluateCoco(gt, [det(1, 1, [10, 10, 50, 50], 0.9)], { imgIds: [1] });
  near([r.stats[0]!], [1]);
  assert.equal(evaluateCoco(gt, [det(1, 1, [10, 10, 50, 50], 0.9)]).stats[8], 0.5);
});
