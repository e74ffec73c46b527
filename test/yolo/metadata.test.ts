import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNames, parseUltralyticsMetadata } from '../../src/yolo/metadata.js';

test('class names from Python dict and list reprs, quotes and escapes included', () => {
  assert.deepEqual(parseNames("{0: 'person', 1: 'bicycle', 2: \"it's\", 3: 'a\\'b'}"), ['person', 'bicycle', "it's", "a'b"]);
  assert.deepEqual(parseNames("['cat', 'dog']"), ['cat', 'dog']);
  assert.equal(parseNames('nonsense'), undefined);
});

test('ultralytics metadata: stride, names, task, imgsz, end2end', () => {
  const m = parseUltralyticsMetadata([
    ['author', 'Ultralytics'],
    ['stride', '32'],
    ['task', 'detect'],
    ['imgsz', '[480, 640]'],
    ['names', "{0: 'person', 1: 'bicycle'}"],
    ['end2end', 'True'],
  ]);
  assert.deepEqual(m, {
    present: true,
    author: 'Ultralytics',
    stride: 32,
    task: 'detect',
    imgsz: [480, 640],
    names: ['person', 'bicycle'],
    end2end: true,
  });
  assert.deepEqual(parseUltralyticsMetadata([['producer', 'x']]), { present: false });
});
