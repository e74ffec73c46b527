import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxIou, SHAPE_CLASSES, shapeBox, signedDistance, type ShapeSpec } from '../../src/synthetic/shapes.js';

const at = (cls: ShapeSpec['cls'], angle = 0): ShapeSpec => ({ cls, cx: 50, cy: 50, radius: 20, angle });

test('signed distance: negative inside, positive outside, zero on the outline (hand-checked points)', () => {
  assert.equal(signedDistance(at('circle'), 50, 50), -20);
  assert.equal(signedDistance(at('circle'), 80, 50), 10);
  // Ring: the hole is outside (inner radius 0.55 · 20 = 11).
  assert.ok(signedDistance(at('ring'), 50, 50) > 0);
  assert.ok(Math.abs(signedDistance(at('ring'), 65, 50) + 4) < 1e-9);
  // Square of circumradius 20: half side 20/√2.
  assert.ok(Math.abs(signedDistance(at('square'), 50 + 20 / Math.SQRT2, 50)) < 1e-9);
  // Triangle: inradius 10, the edge opposite the top vertex lies below the centre (y grows downwards).
  assert.ok(Math.abs(signedDistance(at('triangle'), 50, 60)) < 1e-9);
  assert.ok(signedDistance(at('triangle'), 50, 35) < 0);
  // Cross: the centre is inside, the corner between two arms is outside.
  assert.ok(signedDistance(at('cross'), 50, 50) < 0);
  assert.ok(signedDistance(at('cross'), 64, 64) > 0);
});

test('the box is tight: every inside pixel lies in it and the outline touches each side', () => {
  for (const cls of SHAPE_CLASSES) {
    for (const angle of [0, 0.4, 1.3, 2.9]) {
      const s = at(cls, angle);
      const b = shapeBox(s);
      let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let y = 0; y < 100; y += 0.25) {
        for (let x = 0; x < 100; x += 0.25) {
          if (signedDistance(s, x, y) > 0) continue;
          [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
        }
      }
      assert.ok(
        minX >= b.x1 - 1e-9 && maxX <= b.x2 + 1e-9 && minY >= b.y1 - 1e-9 && maxY <= b.y2 + 1e-9,
        `${cls} ${angle}: inside points leave the box`,
      );
      assert.ok(minX - b.x1 < 0.5 && b.x2 - maxX < 0.5 && minY - b.y1 < 0.5 && b.y2 - maxY < 0.5, `${cls} ${angle}: box not tight`);
    }
  }
});

test('boxIou', () => {
  assert.equal(boxIou({ x1: 0, y1: 0, x2: 2, y2: 2 }, { x1: 1, y1: 0, x2: 3, y2: 2 }), 1 / 3);
  assert.equal(boxIou({ x1: 0, y1: 0, x2: 1, y2: 1 }, { x1: 1, y1: 1, x2: 2, y2: 2 }), 0);
});
