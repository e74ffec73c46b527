import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yolov8 } from '../../../src/yolo/families/yolov8.js';
import { post, rounded } from './helpers.js';

// A 64×64 input: 84 anchor points; 3 classes → [1, 7, 84] channel-major.
const input = { width: 64, height: 64, dtype: 'float32' as const };

test('yolov8 decode reads channel-major [1, 4+C, N] without objectness', () => {
  const n = 84;
  const data = new Float32Array(7 * n);
  const set = (i: number, values: number[]): void => values.forEach((v, c) => (data[c * n + i] = v));
  set(5, [10, 12, 4, 6, 0, 0.6, 0.3]);
  set(80, [50, 50, 10, 10, 0.2, 0, 0]);
  const dets = yolov8.decode({ data, dims: [1, 7, n] }, input, post({ confThreshold: 0.25 }));
  assert.deepEqual(dets.map(rounded), [
    { x1: 8, y1: 9, x2: 12, y2: 15, score: 0.6, classIndex: 1 },
    { x1: 8, y1: 9, x2: 12, y2: 15, score: 0.3, classIndex: 2 },
  ]);
});

test('yolov8 layout', () => {
  assert.deepEqual(yolov8.layout([1, 84, 8400], { width: 640, height: 640 }), { ok: true, anchors: 8400, numClasses: 80 });
  assert.equal(yolov8.layout([1, 25200, 85], { width: 640, height: 640 }).ok, false);
  assert.equal(yolov8.layout([1, 84, 8400], { width: 416, height: 416 }).ok, false);
  assert.throws(() => yolov8.decode({ data: new Float32Array(7 * 10), dims: [1, 7, 10] }, input, post()), RangeError);
});
