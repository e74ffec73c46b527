import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelStem, parseYoloLabels, readYoloLabelDir, yoloLabelsToGroundTruth } from '../../src/data/yolo-labels.js';
import { InputError } from '../../src/errors.js';
import type { CocoImage } from '../../src/data/coco-types.js';

const images: CocoImage[] = [
  { id: 42, fileName: 'images/000042.jpg', width: 200, height: 100 },
  { id: 7, fileName: '000007.png', width: 640, height: 480 },
];
const classes = [
  { categoryId: 1, name: 'person' },
  { categoryId: 3, name: 'car' },
];

function throwsInput(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InputError && pattern.test(e.message), `expected InputError matching ${pattern}`);
}

test('normalized cx cy w h become pixel x y w h', () => {
  const anns = parseYoloLabels('1 0.5 0.5 0.25 0.5\n\n0 0.1 0.2 0.2 0.4\n', images[0]!, classes, 'a.txt', 5);
  assert.deepEqual(anns, [
    { id: 5, imageId: 42, categoryId: 3, bbox: [75, 25, 50, 50], area: 2500, iscrowd: false },
    { id: 6, imageId: 42, categoryId: 1, bbox: [0, 0, 40, 40], area: 1600, iscrowd: false },
  ]);
});

test('ground truth from label texts: ids from 1, images without a label file have no objects', () => {
  const gt = yoloLabelsToGroundTruth(new Map([['000007', '0 0.5 0.5 0.1 0.1\r\n0 0.2 0.2 0.1 0.1']]), images, classes);
  assert.deepEqual(gt.categories, [
    { id: 1, name: 'person' },
    { id: 3, name: 'car' },
  ]);
  assert.deepEqual(
    gt.annotations.map((a) => [a.id, a.imageId]),
    [
      [1, 7],
      [2, 7],
    ],
  );
  assert.equal(gt.images.length, 2);
  assert.equal(labelStem('a/b/c.d.jpg'), 'c.d');
});

test('bad label lines are input errors naming file and line', () => {
  const img = images[0]!;
  throwsInput(
    () => parseYoloLabels('0 0.5 0.5 0.1', img, classes, 'x.txt', 1),
    /^x\.txt:1: expected "class cx cy w h" \(5 values\), got 4/,
  );
  throwsInput(
    () => parseYoloLabels('\n2 0.5 0.5 0.1 0.1', img, classes, 'x.txt', 1),
    /^x\.txt:2: class 2 is not an index into the 2 classes/,
  );
  throwsInput(() => parseYoloLabels('0 320 240 20 20', img, classes, 'x.txt', 1), /outside 0–1; YOLO labels are normalized/);
  throwsInput(() => parseYoloLabels('0 0.5 abc 0.1 0.1', img, classes, 'x.txt', 1), /not a number/);
  throwsInput(
    () => yoloLabelsToGroundTruth(new Map(), [...images, { id: 9, fileName: 'x/000042.png', width: 1, height: 1 }], classes),
    /share the file stem "000042"/,
  );
  throwsInput(
    () => yoloLabelsToGroundTruth(new Map(), images, [...classes, { categoryId: 1, name: 'human' }]),
    /category id 1 is given two names/,
  );
});

test('reads a label folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yoloq-yolo-labels-'));
  try {
    await writeFile(join(dir, '000042.txt'), '1 0.5 0.5 0.25 0.5\n');
    await writeFile(join(dir, 'stray.txt'), '0 0.5 0.5 0.25 0.5\n');
    const gt = await readYoloLabelDir(dir, images, classes);
    assert.deepEqual(gt.annotations, [{ id: 1, imageId: 42, categoryId: 3, bbox: [75, 25, 50, 50], area: 2500, iscrowd: false }]);
    await assert.rejects(readYoloLabelDir(join(dir, 'nope'), images, classes), InputError);
  } finally {
    await rm(dir, { recursive: true });
  }
});
