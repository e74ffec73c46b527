import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CandidateBuffer, pushAnchor, toDetections } from '../../src/yolo/candidates.js';

test('the buffer grows and keeps what was pushed', () => {
  const b = new CandidateBuffer(1);
  for (let i = 0; i < 5; i++) b.push(i, i + 1, i + 2, i + 3, i / 10, i);
  assert.equal(b.count, 5);
  assert.deepEqual(toDetections(b, [4]), [{ x1: 4, y1: 5, x2: 6, y2: 7, score: Math.fround(0.4), classIndex: 4 }]);
});

test('pushAnchor: multi-label adds each class above conf, single-label the best; centre form becomes corners', () => {
  const cls = { data: Float32Array.from([0.5, 0.001, 0.9, 0.2]), base: 0, stride: 1, numClasses: 4 };
  const multi = new CandidateBuffer();
  pushAnchor(multi, 10, 20, 4, 6, 0.5, cls, 0.05, true);
  assert.deepEqual(
    toDetections(multi, [0, 1, 2]).map((d) => [d.classIndex, d.score]),
    [
      [0, 0.25],
      [2, Math.fround(0.9) * 0.5],
      [3, Math.fround(0.2) * 0.5],
    ].map(([k, s]) => [k, Math.fround(s!)]),
  );
  assert.equal(multi.count, 3);
  assert.deepEqual([...multi.boxes.subarray(0, 4)], [8, 17, 12, 23]);
  const single = new CandidateBuffer();
  pushAnchor(single, 10, 20, 4, 6, 0.5, cls, 0.05, false);
  assert.equal(single.count, 1);
  assert.equal(single.classes[0], 2);
  const none = new CandidateBuffer();
  pushAnchor(none, 0, 0, 1, 1, 0.01, cls, 0.05, true);
  assert.equal(none.count, 0);
});

test('pushAnchor reads strided (channel-major) class scores', () => {
  // 2 anchors × 3 classes, channel-major: class k of anchor i at 2k + i
  const data = Float32Array.from([0.1, 0.6, 0.7, 0.2, 0.3, 0.9]);
  const b = new CandidateBuffer();
  pushAnchor(b, 0, 0, 2, 2, 1, { data, base: 1, stride: 2, numClasses: 3 }, 0.5, true);
  assert.deepEqual([...b.classes.subarray(0, b.count)], [0, 2]);
});
