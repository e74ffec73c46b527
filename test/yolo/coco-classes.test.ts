import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COCO80_NAMES, COCO80_TO_91, cocoCategoryId, cocoClassIndex } from '../../src/yolo/coco-classes.js';

test('80 names and 80 increasing ids in 1–90, frozen', () => {
  assert.equal(COCO80_NAMES.length, 80);
  assert.equal(COCO80_TO_91.length, 80);
  assert.ok(Object.isFrozen(COCO80_NAMES) && Object.isFrozen(COCO80_TO_91));
  for (let i = 1; i < 80; i++) assert.ok(COCO80_TO_91[i]! > COCO80_TO_91[i - 1]!);
  // The 11 ids of the 91-category paper list without detection annotations.
  const missing = Array.from({ length: 90 }, (_, i) => i + 1).filter((id) => !COCO80_TO_91.includes(id));
  assert.deepEqual(missing, [12, 26, 29, 30, 45, 66, 68, 69, 71, 83]);
});

test('well-known pairs map both ways', () => {
  assert.equal(cocoCategoryId(0), 1); // person
  assert.equal(cocoCategoryId(5), 6); // bus
  assert.equal(COCO80_NAMES[11], 'stop sign');
  assert.equal(cocoCategoryId(11), 13);
  assert.equal(cocoCategoryId(79), 90); // toothbrush
  assert.equal(cocoClassIndex(90), 79);
  assert.equal(cocoClassIndex(12), undefined);
  assert.throws(() => cocoCategoryId(80), RangeError);
});
