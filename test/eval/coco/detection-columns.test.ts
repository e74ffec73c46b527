import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectionColumnsBuilder, evaluateCoco, toDetectionColumns } from '../../../src/eval/coco/index.js';
import type { CocoDetection, CocoGroundTruth } from '../../../src/eval/coco/index.js';
import { seededRandom } from '../../../src/util/seeded-random.js';

test('the builder grows past its capacity and keeps every row in order', () => {
  const b = new DetectionColumnsBuilder(1);
  for (let n = 0; n < 5; n++) b.push(n, 10 + n, n, n + 1, n + 2, n + 3, 0.5 + n / 10);
  const c = b.finish();
  assert.equal(c.length, 5);
  assert.deepEqual([...c.imageId], [0, 1, 2, 3, 4]);
  assert.deepEqual([...c.categoryId], [10, 11, 12, 13, 14]);
  assert.deepEqual([...c.box.subarray(8, 12)], [2, 3, 4, 5]);
  const again = new DetectionColumnsBuilder(2);
  again.append(c, 3, 5);
  assert.deepEqual([...again.finish().score], [0.8, 0.9]);
});

test('evaluateCoco gives the same arrays for columns as for detection objects (ties included)', () => {
  const rnd = seededRandom(7);
  const gt: CocoGroundTruth = {
    images: [1, 2, 3].map((id) => ({ id, fileName: `${id}.jpg`, width: 200, height: 200 })),
    categories: [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ],
    annotations: Array.from({ length: 12 }, (_, n) => {
      const w = 10 + rnd() * 80;
      const h = 10 + rnd() * 80;
      return {
        id: n + 1,
        imageId: 1 + (n % 3),
        categoryId: 1 + (n % 2),
        bbox: [rnd() * 100, rnd() * 100, w, h],
        area: w * h,
        iscrowd: false,
      };
    }),
  };
  // Scores on a coarse grid, so equal scores are common and their order matters.
  const dets: CocoDetection[] = Array.from({ length: 60 }, (_, n) => ({
    imageId: 1 + (n % 3),
    categoryId: 1 + (n % 2),
    bbox: [rnd() * 100, rnd() * 100, 10 + rnd() * 80, 10 + rnd() * 80],
    score: Math.round(rnd() * 4) / 4,
  }));
  const a = evaluateCoco(gt, dets);
  const b = evaluateCoco(gt, toDetectionColumns(dets));
  assert.deepEqual(b.stats, a.stats);
  assert.deepEqual(b.precision, a.precision);
  assert.deepEqual(b.scores, a.scores);
  assert.ok(a.stats[0]! > 0, 'the case must score something');
});
