import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RgbImage } from '../../src/data/images.js';
import { halfBitsToFloat32 } from '../../src/runtime/host-tensor.js';
import { boxToImage, letterbox, letterboxGeometry, resizeBilinear, type LetterboxOptions } from '../../src/yolo/preprocess.js';

const ultra: LetterboxOptions = {
  width: 640,
  height: 640,
  placement: 'centre',
  padValue: 114,
  channelOrder: 'rgb',
  pixelRange: 'unit',
  dtype: 'float32',
  sizeRounding: 'round',
};
const yolox: LetterboxOptions = {
  width: 416,
  height: 416,
  placement: 'top-left',
  padValue: 114,
  channelOrder: 'bgr',
  pixelRange: 'byte',
  dtype: 'float32',
  sizeRounding: 'floor',
};

test('geometry: bus.jpg (810×1080) into 640, centred, as ultralytics computes it', () => {
  const g = letterboxGeometry(810, 1080, ultra);
  assert.equal(g.scale, 640 / 1080);
  assert.deepEqual([g.resizedWidth, g.resizedHeight, g.padX, g.padY], [480, 640, 80, 0]);
});

test('geometry: odd padding goes right/bottom; rounding vs truncation of the resized size', () => {
  // 1000×333 → r = 0.64, 333·0.64 = 213.12 → 213; dh = (640 − 213)/2 = 213.5 → top 213 (ultralytics round(213.5 − 0.1))
  const g = letterboxGeometry(1000, 333, ultra);
  assert.deepEqual([g.resizedWidth, g.resizedHeight, g.padX, g.padY], [640, 213, 0, 213]);
  // zidane.jpg 1280×720 into 416 top-left: r = 0.325, 720·0.325 = 234 exactly; YOLOX truncates
  const z = letterboxGeometry(1280, 720, yolox);
  assert.deepEqual([z.resizedWidth, z.resizedHeight, z.padX, z.padY], [416, 234, 0, 0]);
  // 640×427 → r = 0.65, 427·0.65 = 277.55: YOLOX's int() gives 277, ultralytics' round() 278
  assert.equal(letterboxGeometry(640, 427, yolox).resizedHeight, 277);
  assert.equal(letterboxGeometry(640, 427, { ...yolox, sizeRounding: 'round' }).resizedHeight, 278);
});

test('boxes map back to the image: (x − pad) / r, unclipped', () => {
  const g = letterboxGeometry(810, 1080, ultra);
  const [x1, y1, x2, y2] = boxToImage([80, 0, 560, 640], g);
  assert.ok(Math.abs(x1) < 1e-9 && Math.abs(y1) < 1e-9 && Math.abs(x2 - 810) < 1e-9 && Math.abs(y2 - 1080) < 1e-9);
  assert.ok(boxToImage([0, 0, 10, 10], g)[0] < 0);
});

test('bilinear resize uses OpenCV half-pixel centres: 2× up and 2× down by hand', () => {
  // 2×1 image [0, 100] → 4×1: dst x maps to src (x + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamp/interp → 0, 25, 75, 100
  assert.deepEqual([...resizeBilinear(Uint8Array.from([0, 100]), 2, 1, 4, 1, 1)], [0, 25, 75, 100]);
  // 4×2 → 2×1: each output is the mean of a 2×2 block
  const src = Uint8Array.from([0, 10, 100, 200, 20, 30, 50, 51]);
  assert.deepEqual([...resizeBilinear(src, 4, 2, 2, 1, 1)], [15, 100]); // (0+10+20+30)/4, (100+200+50+51)/4 = 100.25
  // same size is the identity; 3 channels stay interleaved
  const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...resizeBilinear(rgb, 2, 1, 2, 1, 3)], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...resizeBilinear(rgb, 2, 1, 1, 1, 3)], [3, 4, 5]); // 2.5 rounds up
});

function image(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data, reoriented: false };
}

test('letterbox lays out NCHW with channel order, range, padding and placement', () => {
  const img = image(4, 2, [255, 0, 51]);
  const centred = letterbox(img, { ...ultra, width: 4, height: 4 });
  assert.deepEqual(centred.tensor.dims, [1, 3, 4, 4]);
  const d = centred.tensor.data as Float32Array;
  const pad = Math.fround(114 / 255);
  // rows 0 and 3 are padding, rows 1–2 the image; channel 0 = R = 1, channel 2 = B = 0.2
  assert.deepEqual([...d.subarray(0, 16)], [pad, pad, pad, pad, 1, 1, 1, 1, 1, 1, 1, 1, pad, pad, pad, pad]);
  assert.equal(d[2 * 16 + 4], Math.fround(51 / 255));
  const tl = letterbox(img, { ...yolox, width: 4, height: 4 });
  const t = tl.tensor.data as Float32Array;
  // BGR 0–255, image in rows 0–1, padding 114 below
  assert.deepEqual([...t.subarray(0, 16)], [51, 51, 51, 51, 51, 51, 51, 51, 114, 114, 114, 114, 114, 114, 114, 114]);
  assert.equal(t[2 * 16], 255);
});

test('float16 output holds binary16 bit patterns of the same values', () => {
  const img = image(2, 2, [0, 255, 114]);
  const { tensor } = letterbox(img, { ...ultra, width: 2, height: 2, dtype: 'float16' });
  assert.equal(tensor.dtype, 'float16');
  const values = halfBitsToFloat32(tensor.data as Uint16Array);
  assert.deepEqual([...values.subarray(0, 4)], [0, 0, 0, 0]);
  assert.deepEqual([...values.subarray(4, 8)], [1, 1, 1, 1]);
  assert.ok(Math.abs(values[8]! - 114 / 255) < 2 ** -11);
});

test('bad options are RangeErrors', () => {
  assert.throws(() => letterbox(image(2, 2, [0, 0, 0]), { ...ultra, padValue: 300 }), RangeError);
  assert.throws(() => letterbox(image(2, 2, [0, 0, 0]), { ...ultra, width: 0 }), RangeError);
  assert.throws(() => letterboxGeometry(0, 10, ultra), RangeError);
});
