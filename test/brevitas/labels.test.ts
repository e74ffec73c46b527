import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterboxLabels } from '../../src/brevitas/labels.js';
import type { CocoAnnotation } from '../../src/eval/coco/types.js';
import { letterboxGeometry } from '../../src/yolo/preprocess.js';

const ann = (bbox: [number, number, number, number], categoryId = 1, iscrowd = false): CocoAnnotation => ({
  id: 1,
  imageId: 1,
  categoryId,
  bbox,
  area: bbox[2] * bbox[3],
  iscrowd,
});

test('boxes follow the letterbox: scale, centre padding, normalized cx cy w h', () => {
  // 200x100 image into 64x64, centred: scale 0.32, resized 64x32, padY 16
  const g = letterboxGeometry(200, 100, { width: 64, height: 64, placement: 'centre', sizeRounding: 'round' });
  const [row] = letterboxLabels([ann([50, 25, 100, 50], 3)], g, (id) => id - 1);
  const [k, cx, cy, w, h] = row!;
  assert.equal(k, 2);
  assert.ok(Math.abs(cx! - 0.5) < 1e-9 && Math.abs(cy! - 0.5) < 1e-9);
  assert.ok(Math.abs(w! - 32 / 64) < 1e-9 && Math.abs(h! - 16 / 64) < 1e-9);
});

test('top-left placement, clipping to the image, and dropped boxes', () => {
  const g = letterboxGeometry(100, 50, { width: 64, height: 64, placement: 'top-left', sizeRounding: 'floor' });
  const rows = letterboxLabels(
    [ann([-10, 0, 30, 50]), ann([0, 0, 10, 10], 1, true), ann([0, 0, 10, 10], 99), ann([99.9, 49.9, 0.05, 0.05])],
    g,
    (id) => (id === 99 ? undefined : 0),
  );
  assert.equal(rows.length, 1, 'crowd, unknown category and sub-pixel boxes are dropped');
  const [, cx, , w] = rows[0]!;
  assert.ok(Math.abs(w! - (20 * 0.64) / 64) < 1e-9, 'clipped at the left edge');
  assert.ok(Math.abs(cx! - (10 * 0.64) / 64) < 1e-9);
});
