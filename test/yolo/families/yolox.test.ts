import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yolox } from '../../../src/yolo/families/yolox.js';
import { post, rounded } from './helpers.js';

// A 64×64 input has grids 8², 4², 2² at strides 8/16/32: 84 anchors; 3 classes → 8 values per anchor.
const input = { width: 64, height: 64, dtype: 'float32' as const };
const C = 8;

function output(rows: Record<number, number[]>): { data: Float32Array; dims: number[] } {
  const data = new Float32Array(84 * C);
  for (const [i, row] of Object.entries(rows)) data.set(row, Number(i) * C);
  return { data, dims: [1, 84, C] };
}

// Anchor 73 = stride 16 level (starts at 64), row 2, column 1.
// xy = (p + grid)·16 = ((0.5 + 1)·16, (0.25 + 2)·16) = (24, 36); wh = exp(p)·16 = (32, 16) → [8, 28, 40, 44]
const anchor73 = [0.5, 0.25, Math.log(2), 0, 0.8, 0.1, 0.9, 0.5];

test('yolox decode: grid offsets and log sizes by stride, score = obj × cls, multi-label', () => {
  const dets = yolox.decode(output({ 73: anchor73, 0: [0, 0, 0, 0, 0.001, 1, 1, 1] }), input, post({ confThreshold: 0.05 }));
  assert.deepEqual(dets.map(rounded), [
    { x1: 8, y1: 28, x2: 40, y2: 44, score: 0.72, classIndex: 1 },
    { x1: 8, y1: 28, x2: 40, y2: 44, score: 0.4, classIndex: 2 },
    { x1: 8, y1: 28, x2: 40, y2: 44, score: 0.08, classIndex: 0 },
  ]);
});

test('yolox decode: single-label keeps the best class; stride-8 anchors use an 8-pixel grid', () => {
  // anchor 9 = stride 8, row 1, column 1: centre ((0 + 1)·8, (0 + 1)·8) = (8, 8), size 8×8
  const dets = yolox.decode(
    output({ 73: anchor73, 9: [0, 0, 0, 0, 0.5, 0.2, 0.1, 0.1] }),
    input,
    post({ multiLabel: false, confThreshold: 0.05 }),
  );
  assert.deepEqual(dets.map(rounded), [
    { x1: 8, y1: 28, x2: 40, y2: 44, score: 0.72, classIndex: 1 },
    { x1: 4, y1: 4, x2: 12, y2: 12, score: 0.1, classIndex: 0 },
  ]);
});

test('yolox layout and preprocessing', () => {
  assert.deepEqual(yolox.layout([1, 3549, 85], { width: 416, height: 416 }), { ok: true, anchors: 3549, numClasses: 80 });
  assert.equal(yolox.layout([1, 8400, 85], { width: 416, height: 416 }).ok, false);
  assert.equal(yolox.layout([1, 'n', 85], { width: 416, height: 416 }).ok, true);
  assert.throws(() => yolox.decode({ data: new Float32Array(85 * 10), dims: [1, 10, 85] }, input, post()), RangeError);
  assert.deepEqual(yolox.letterboxOptions({ width: 416, height: 416, dtype: 'float32' }), {
    width: 416,
    height: 416,
    placement: 'top-left',
    padValue: 114,
    channelOrder: 'bgr',
    pixelRange: 'byte',
    dtype: 'float32',
    sizeRounding: 'floor',
  });
});
