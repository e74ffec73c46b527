import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Dim } from '../../src/onnx/ir/graph.js';
import { loadModel } from '../../src/onnx/serde/model-io.js';
import { detectFamily, modelSignature, type ModelSignature } from '../../src/yolo/detect.js';
import { sharedDataDir } from '../helpers/paths.js';

const COCO_NAMES = `{${Array.from({ length: 80 }, (_, i) => `${i}: 'c${i}'`).join(', ')}}`;

function sig(
  inShape: Dim[] | undefined,
  outShape: Dim[] | undefined,
  metadata: Array<[string, string]> = [],
  elemType: number = DataType.FLOAT,
): ModelSignature {
  const input = inShape ? { name: 'images', elemType, shape: inShape } : { name: 'images', elemType };
  const output = outShape ? { name: 'output0', elemType, shape: outShape } : { name: 'output0', elemType };
  return { inputs: [input], outputs: [output], metadata };
}

test('output shape alone tells the four families apart', () => {
  assert.equal(detectFamily(sig([1, 3, 416, 416], [1, 3549, 85])).family, 'yolox');
  assert.equal(detectFamily(sig([1, 3, 640, 640], [1, 25200, 85])).family, 'yolov5');
  assert.equal(detectFamily(sig([1, 3, 640, 640], [1, 84, 8400])).family, 'yolov8');
  assert.equal(detectFamily(sig([1, 3, 640, 640], [1, 300, 6])).family, 'yolov10');
  const x = detectFamily(sig([1, 3, 416, 416], [1, 3549, 85]));
  assert.match(x.reason, /fits only yolox/);
  assert.deepEqual(
    [x.inputName, x.outputName, x.numClasses, x.input],
    ['images', 'output0', 80, { width: 416, height: 416, dtype: 'float32' }],
  );
});

test('FP16 input and non-square sizes come from the model', () => {
  const d = detectFamily(sig([1, 3, 384, 640], [1, 3 * (48 * 80 + 24 * 40 + 12 * 20), 85], [], DataType.FLOAT16));
  assert.equal(d.family, 'yolov5');
  assert.deepEqual(d.input, { width: 640, height: 384, dtype: 'float16' });
});

test('symbolic shapes fall back on metadata: stride/names → yolov5, task → yolov8, end2end → yolov10', () => {
  const dyn: Dim[] = ['batch', 3, 'height', 'width'];
  const out: Dim[] = ['batch', 'anchors', 'values'];
  const v5 = detectFamily(
    sig(dyn, out, [
      ['stride', '32'],
      ['names', COCO_NAMES],
    ]),
    { inputSize: 640 },
  );
  assert.equal(v5.family, 'yolov5');
  assert.match(v5.reason, /YOLOv5-style metadata/);
  const v8 = detectFamily(
    sig(dyn, out, [
      ['task', 'detect'],
      ['imgsz', '[640, 640]'],
      ['stride', '32'],
    ]),
  );
  assert.equal(v8.family, 'yolov8');
  assert.deepEqual(v8.input, { width: 640, height: 640, dtype: 'float32' });
  assert.equal(
    detectFamily(
      sig(
        dyn,
        [1, 300, 6],
        [
          ['task', 'detect'],
          ['imgsz', '[640, 640]'],
          ['end2end', 'True'],
        ],
      ),
    ).family,
    'yolov10',
  );
});

test('ambiguity, wrong overrides and unusable models are InputErrors that say what to do', () => {
  assert.throws(
    () => detectFamily(sig([1, 3, 640, 640], ['b', 'n', 'c'])),
    (e) => e instanceof InputError && /cannot tell which YOLO family.*yolox, yolov5, yolov8, yolov10.*pass --family/.test(e.message),
  );
  assert.throws(
    () => detectFamily(sig([1, 3, 640, 640], [1, 25200, 85]), { family: 'yolox' }),
    (e) => e instanceof InputError && /does not fit family yolox/.test(e.message),
  );
  assert.throws(
    () => detectFamily(sig([1, 3, 'h', 'w'], [1, 84, 8400])),
    (e) => e instanceof InputError && /pass an input size/.test(e.message),
  );
  assert.throws(
    () => detectFamily(sig([1, 3, 640, 640], [1, 116, 8400], [['task', 'segment']])),
    (e) => e instanceof InputError && /only detection/.test(e.message),
  );
  assert.throws(
    () => detectFamily(sig([1, 3, 640, 640], [1, 84, 8400], [], DataType.UINT8)),
    (e) => e instanceof InputError && /UINT8/.test(e.message),
  );
  assert.throws(
    () => detectFamily(sig([1, 640, 640, 3], [1, 84, 8400])),
    (e) => e instanceof InputError && /expected \[1, 3, H, W\]/.test(e.message),
  );
});

test('an override that fits is used as given', () => {
  const d = detectFamily(sig([1, 3, 640, 640], ['b', 'n', 85]), { family: 'yolox' });
  assert.deepEqual([d.family, d.reason], ['yolox', 'given']);
});

test('shared models are recognised from their files', (t) => {
  const models = join(sharedDataDir, 'models');
  if (!existsSync(join(models, 'yolox_nano.onnx')) || !existsSync(join(models, 'yolov5n_fp16.onnx'))) {
    t.skip(`shared models not found in ${models}`);
    return;
  }
  const x = detectFamily(modelSignature(loadModel(join(models, 'yolox_nano.onnx'))));
  assert.deepEqual([x.family, x.input.width, x.input.dtype, x.numClasses], ['yolox', 416, 'float32', 80]);
  const v5 = detectFamily(modelSignature(loadModel(join(models, 'yolov5n_fp16.onnx'))));
  assert.deepEqual(
    [v5.family, v5.input.width, v5.input.dtype, v5.metadata.names?.length, v5.metadata.stride],
    ['yolov5', 640, 'float16', 80, 32],
  );
});
