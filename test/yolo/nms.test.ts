import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/runtime/feeds.js';
import { CandidateBuffer } from '../../src/yolo/candidates.js';
import { iouAt, nms, scoreOrder, selectDetections } from '../../src/yolo/nms.js';

function buf(rows: Array<[number, number, number, number, number, number]>): CandidateBuffer {
  const b = new CandidateBuffer(2);
  for (const r of rows) b.push(...r);
  return b;
}

test('IoU by hand: half overlap, containment, disjoint, degenerate', () => {
  const b = buf([
    [0, 0, 10, 10, 1, 0],
    [5, 0, 15, 10, 1, 0], // overlap 50 / union 150
    [2, 2, 4, 4, 1, 0], // inside: 4 / 100
    [20, 20, 30, 30, 1, 0],
    [3, 3, 3, 8, 1, 0], // zero width
  ]);
  assert.equal(iouAt(b.boxes, 0, b.boxes, 1), 50 / 150);
  assert.equal(iouAt(b.boxes, 0, b.boxes, 2), 4 / 100);
  assert.equal(iouAt(b.boxes, 0, b.boxes, 3), 0);
  assert.equal(iouAt(b.boxes, 0, b.boxes, 4), 0);
  assert.equal(iouAt(b.boxes, 0, b.boxes, 0), 1);
});

test('class-aware: an overlapping box of the same class is suppressed, of another class kept', () => {
  const b = buf([
    [0, 0, 10, 10, 0.9, 0],
    [1, 0, 11, 10, 0.8, 0], // IoU 90/110 = 0.818 with #0 → suppressed
    [1, 0, 11, 10, 0.7, 1], // other class → kept
    [50, 50, 60, 60, 0.6, 0], // far away → kept
  ]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.65, maxDetections: 300 })], [0, 2, 3]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.65, maxDetections: 300, classAware: false })], [0, 3]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.9, maxDetections: 300 })], [0, 1, 2, 3]);
});

test('suppression needs IoU strictly above the threshold (torchvision semantics)', () => {
  const b = buf([
    [0, 0, 10, 10, 0.9, 3],
    [5, 0, 15, 10, 0.8, 3], // IoU exactly 1/3
  ]);
  assert.deepEqual([...nms(b, { iouThreshold: 1 / 3, maxDetections: 10 })], [0, 1]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.33, maxDetections: 10 })], [0]);
});

test('output is in score order, ties keep input order; maxDetections and maxCandidates cap', () => {
  const b = buf([
    [0, 0, 1, 1, 0.5, 0],
    [10, 0, 11, 1, 0.9, 0],
    [20, 0, 21, 1, 0.5, 0],
    [30, 0, 31, 1, 0.7, 0],
  ]);
  assert.deepEqual([...scoreOrder(b.scores, b.count)], [1, 3, 0, 2]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.5, maxDetections: 300 })], [1, 3, 0, 2]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.5, maxDetections: 2 })], [1, 3]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.5, maxDetections: 300, maxCandidates: 3 })], [1, 3, 0]);
  const dets = selectDetections(b, { iouThreshold: 0.5, maxDetections: 1 });
  assert.deepEqual(dets, [{ x1: 10, y1: 0, x2: 11, y2: 1, score: Math.fround(0.9), classIndex: 0 }]);
});

test('suppression chains only through kept boxes (greedy)', () => {
  // A overlaps B, B overlaps C, A does not overlap C: B is suppressed by A, so C survives.
  const b = buf([
    [0, 0, 10, 10, 0.9, 0],
    [4, 0, 14, 10, 0.8, 0], // IoU(A,B) = 60/140 = 0.43
    [8, 0, 18, 10, 0.7, 0], // IoU(B,C) = 0.43, IoU(A,C) = 20/180
  ]);
  assert.deepEqual([...nms(b, { iouThreshold: 0.4, maxDetections: 10 })], [0, 2]);
});

// Timed as a diagnostic only: a wall-clock bound is one a busy machine can reach with correct code.
test('25,200 anchors × 80 classes of candidates: 300 kept, the time reported', (t) => {
  const rand = seededRandom(7);
  const b = new CandidateBuffer();
  for (let i = 0; i < 25200; i++) {
    const cx = rand() * 640,
      cy = rand() * 640,
      w = 10 + rand() * 200,
      h = 10 + rand() * 200;
    for (let k = 0; k < 80; k++) if (rand() < 0.05) b.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, rand(), k);
  }
  assert.ok(b.count > 90000);
  const t0 = performance.now();
  const kept = nms(b, { iouThreshold: 0.65, maxDetections: 300, maxCandidates: 30000 });
  const ms = performance.now() - t0;
  assert.equal(kept.length, 300);
  t.diagnostic(`NMS took ${ms.toFixed(0)} ms`);
});
