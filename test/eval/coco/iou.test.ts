import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxIou, boxIouMatrix } from '../../../src/eval/coco/iou.js';

test('IoU of hand-checked pairs', () => {
  assert.equal(boxIou(0, 0, 10, 10, 0, 0, 10, 10, false), 1);
  assert.equal(boxIou(0, 0, 10, 10, 0, 0, 10, 20, false), 0.5);
  assert.equal(boxIou(0, 0, 10, 10, 5, 0, 10, 10, false), 50 / 150);
  assert.equal(boxIou(0, 0, 10, 10, 10, 0, 10, 10, false), 0); // touching edges
  assert.equal(boxIou(0, 0, 10, 10, 20, 20, 10, 10, false), 0);
});

test('crowd ground truth: union is the detection area', () => {
  assert.equal(boxIou(10, 10, 10, 10, 0, 0, 100, 100, true), 1);
  assert.equal(boxIou(90, 0, 20, 10, 0, 0, 100, 100, true), 0.5);
  assert.equal(boxIou(10, 10, 10, 10, 0, 0, 100, 100, false), 0.01);
});

test('zero-area boxes give 0', () => {
  assert.equal(boxIou(0, 0, 0, 10, 0, 0, 0, 10, false), 0);
  assert.equal(boxIou(0, 0, 10, 0, 0, 0, 10, 10, true), 0);
});

test('matrix layout is [D × G] row-major, matching maskUtils.iou', () => {
  // maskUtils.iou([[0,0,2,2],[1,1,2,2]], [[0,0,1,1],[0,0,4,4]], [0,1]) = [[0.25, 1], [0, 1]]
  const m = boxIouMatrix(
    [
      [0, 0, 2, 2],
      [1, 1, 2, 2],
    ],
    [
      [0, 0, 1, 1],
      [0, 0, 4, 4],
    ],
    [false, true],
  );
  assert.deepEqual([...m], [0.25, 1, 0, 1]);
});
