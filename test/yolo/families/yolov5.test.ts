import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yolov5 } from '../../../src/yolo/families/yolov5.js';
import { post, rounded } from './helpers.js';

// A 64×64 input: 3 anchors × (8² + 4² + 2²) = 252 rows; 2 classes → 7 values per row.
const input = { width: 64, height: 64, dtype: 'float16' as const };

function output(rows: Record<number, number[]>): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(252 * 7);
  for (const [i, row] of Object.entries(rows)) data.set(row, Number(i) * 7);
  return { data, dims: [1, 252, 7] };
}

test('yolov5 decode: decoded cx, cy, w, h; score = obj × cls; class-aware NMS', () => {
  const dets = yolov5.decode(
    output({
      10: [32, 32, 20, 10, 0.9, 0.2, 0.8], // → [22, 27, 42, 37]: class 1 0.72, class 0 0.18
      11: [33, 32, 20, 10, 0.8, 0.0, 0.8], // class 1 0.64, IoU 0.905 with row 10 → suppressed
      12: [100, 100, 4, 4, 0.05, 1, 1], // objectness below conf
    }),
    input,
    post({ confThreshold: 0.1 }),
  );
  assert.deepEqual(dets.map(rounded), [
    { x1: 22, y1: 27, x2: 42, y2: 37, score: 0.72, classIndex: 1 },
    { x1: 22, y1: 27, x2: 42, y2: 37, score: 0.18, classIndex: 0 },
  ]);
});

test('yolov5 layout: 3 anchors per cell, P6 too; ultralytics preprocessing with the model dtype', () => {
  assert.deepEqual(yolov5.layout([1, 25200, 85], { width: 640, height: 640 }), { ok: true, anchors: 25200, numClasses: 80 });
  assert.equal(yolov5.layout([1, 3 * (160 ** 2 + 80 ** 2 + 40 ** 2 + 20 ** 2), 85], { width: 1280, height: 1280 }).ok, true);
  assert.equal(yolov5.layout([1, 3549, 85], { width: 416, height: 416 }).ok, false);
  const lb = yolov5.letterboxOptions({ width: 640, height: 640, dtype: 'float16' });
  assert.deepEqual(
    [lb.placement, lb.channelOrder, lb.pixelRange, lb.padValue, lb.dtype, lb.sizeRounding],
    ['centre', 'rgb', 'unit', 114, 'float16', 'round'],
  );
});
