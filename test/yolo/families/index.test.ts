import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { FAMILIES, FAMILY_NAMES, familyAdapter, isFamilyName, parseFamilyName } from '../../../src/yolo/families/index.js';

test('the registry is explicit and frozen, one adapter per family', () => {
  assert.deepEqual([...FAMILY_NAMES], ['yolox', 'yolov5', 'yolov8', 'yolov10']);
  assert.ok(Object.isFrozen(FAMILIES));
  for (const name of FAMILY_NAMES) assert.equal(familyAdapter(name).name, name);
});

test('family names parse case-insensitively with aliases', () => {
  assert.equal(parseFamilyName('YOLOX'), 'yolox');
  assert.equal(parseFamilyName('yolo11'), 'yolov8');
  assert.ok(isFamilyName('yolov10') && !isFamilyName('yolo11'));
  assert.throws(
    () => parseFamilyName('ssd'),
    (e) => e instanceof InputError && /yolox, yolov5, yolov8, yolov10/.test(e.message),
  );
});
