import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { Detector } from '../../src/yolo/detector.js';
import { constantOutputModel, matmulReluModel } from '../helpers/tiny-onnx.js';

test('a Detector takes family preprocessing and postprocessing defaults, with overrides', async () => {
  const d = await Detector.create(constantOutputModel({ size: 32, rows: [[4, 4, 8, 8, 0.5, 2]] }), {
    postprocess: { iouThreshold: 0.5 },
    letterbox: { padValue: 0 },
  });
  try {
    assert.equal(d.model.family, 'yolov10');
    assert.deepEqual(d.postprocess, {
      confThreshold: 0.001,
      iouThreshold: 0.5,
      maxDetections: 300,
      maxCandidates: 30000,
      classAware: true,
      multiLabel: false,
    });
    assert.deepEqual(d.letterboxOptions, {
      width: 32,
      height: 32,
      placement: 'centre',
      padValue: 0,
      channelOrder: 'rgb',
      pixelRange: 'unit',
      dtype: 'float32',
      sizeRounding: 'round',
    });
    // a 16×16 image is scaled ×2 with no padding: [4, 4, 8, 8] → [2, 2, 4, 4]
    const r = await d.detect({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 3), reoriented: false });
    assert.deepEqual(r.detections, [{ x1: 2, y1: 2, x2: 4, y2: 4, score: 0.5, classIndex: 2 }]);
    assert.equal(r.geometry.scale, 2);
  } finally {
    await d.dispose();
  }
});

test('missing files and models that are not YOLO detectors are InputErrors', async () => {
  await assert.rejects(
    Detector.create('/nonexistent/model.onnx'),
    (e) => e instanceof InputError && /cannot read model file/.test(e.message),
  );
  await assert.rejects(
    Detector.create(modelToBytes(matmulReluModel())),
    (e) => e instanceof InputError && /expected \[1, 3, H, W\]/.test(e.message),
  );
});
