import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yolov10 } from '../../../src/yolo/families/yolov10.js';
import { post, rounded } from './helpers.js';

const input = { width: 640, height: 640, dtype: 'float32' as const };

test('yolov10 decode: corner boxes, score, class; no NMS; threshold and cap', () => {
  const rows = [
    [1, 2, 3, 4, 0.9, 5],
    [1, 2, 3, 4, 0.0005, 1],
    [1, 2, 3, 4, 0.95, 0], // same box as row 0, different class: both kept, no NMS
    [10, 20, 30, 40, 0.5, 2],
  ];
  const out = { data: Float32Array.from(rows.flat()), dims: [1, 4, 6] };
  assert.deepEqual(yolov10.decode(out, input, post()).map(rounded), [
    { x1: 1, y1: 2, x2: 3, y2: 4, score: 0.95, classIndex: 0 },
    { x1: 1, y1: 2, x2: 3, y2: 4, score: 0.9, classIndex: 5 },
    { x1: 10, y1: 20, x2: 30, y2: 40, score: 0.5, classIndex: 2 },
  ]);
  assert.equal(yolov10.decode(out, input, post({ maxDetections: 2 })).length, 2);
});

test('yolov10 layout', () => {
  assert.deepEqual(yolov10.layout([1, 300, 6], { width: 640, height: 640 }), { ok: true, anchors: 300, numClasses: 80 });
  assert.equal(yolov10.layout([1, 300, 7], { width: 640, height: 640 }).ok, false);
  assert.equal(yolov10.layout([300, 6], { width: 640, height: 640 }).ok, false);
});
