import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_SCHEMES, familyFromName, resolveModelInput, stageArgs } from '../../src/brevitas/stage-args.js';
import { isInputError } from '../../src/errors.js';
import { SCHEMES } from '../../src/quant/scheme.js';

test('family from an ultralytics / YOLOv5 file name', () => {
  assert.equal(familyFromName('/m/yolov10m.yaml'), 'yolov10');
  assert.equal(familyFromName('yolov10n.pt'), 'yolov10');
  assert.equal(familyFromName('yolov5n.pt'), 'yolov5');
  assert.equal(familyFromName('yolov5nu.pt'), 'yolov8');
  assert.equal(familyFromName('yolo11s.pt'), 'yolov8');
  assert.equal(familyFromName('yolov8n.yaml'), 'yolov8');
});

test('a bundled ultralytics YAML resolves to its family and preprocessing without a file', async () => {
  const m = await resolveModelInput({ model: 'yolov10m.yaml', imgsz: 320 });
  assert.equal(m.family, 'yolov10');
  assert.equal(m.letterbox.width, 320);
  assert.equal(m.letterbox.channelOrder, 'rgb');
  assert.equal(m.letterbox.pixelRange, 'unit');
  assert.equal((await resolveModelInput({ model: 'yolov8n.yaml' })).letterbox.width, 640, 'default size');
  assert.equal((await resolveModelInput({ model: 'custom.yaml', family: 'yolov10' })).family, 'yolov10', 'a given family wins');
});

const input = { path: '/m.onnx', kind: 'onnx' as const, family: 'yolox' as const, letterbox: {} as never };
const paths = { qcdq: '/o/q.onnx', work: '/o/q.work' };

test("stage arguments: typed settings become the stage's flags, in a fixed order; absent ones are not passed", () => {
  const a = stageArgs(
    { steps: 5, batch: 2, scheme: 'w4a16', ptq: ['calibrate'], device: 'cpu', lr: 0.0001, scaleLr: 0.002, resume: true },
    input,
    '/o/data',
    paths,
  );
  assert.deepEqual(a, [
    '--model',
    '/m.onnx',
    '--data',
    '/o/data',
    '-o',
    '/o/q.onnx',
    '--checkpoint',
    join('/o/q.work', 'qat.ckpt'),
    '--steps',
    '5',
    '--batch',
    '2',
    '--lr',
    '0.0001',
    '--scale-lr',
    '0.002',
    '--scheme',
    'w4a16',
    '--ptq',
    'calibrate',
    '--device',
    'cpu',
    '--resume',
  ]);
  assert.deepEqual(stageArgs({ steps: 0 }, input, '/d', paths).slice(8), ['--steps', '0']);
  const all = stageArgs(
    {
      steps: 1,
      emaDecay: 0.9,
      calibCount: 3,
      gptqCount: 2,
      seed: 7,
      threads: 4,
      checkpointEvery: 10,
      loss: 'distill',
      weightScaling: 'mse',
      ptq: [],
      keepFirstLast: false,
    },
    input,
    '/d',
    paths,
  ).slice(10);
  assert.deepEqual(all, [
    '--ema-decay',
    '0.9',
    '--calib-count',
    '3',
    '--gptq-count',
    '2',
    '--seed',
    '7',
    '--threads',
    '4',
    '--checkpoint-every',
    '10',
    '--loss',
    'distill',
    '--weight-scaling',
    'mse',
    '--ptq',
    'none',
    '--no-keep-first-last',
  ]);
  assert.ok(!stageArgs({ steps: 1, keepFirstLast: true }, input, '/d', paths).includes('--no-keep-first-last'));
});

test('a device the stage cannot take is an InputError', () => {
  for (const device of ['auto', 'cpu', 'cuda', 'cuda:1']) assert.ok(stageArgs({ steps: 1, device }, input, '/d', paths).includes(device));
  assert.throws(
    () => stageArgs({ steps: 1, device: 'tpu' }, input, '/d', paths),
    (e: unknown) => isInputError(e) && /--device tpu/.test((e as Error).message),
  );
});

test("the Brevitas stage's schemes are rows of the scheme table", () => {
  for (const s of STAGE_SCHEMES) assert.equal(SCHEMES[s].name, s);
});

test('model input errors are InputErrors naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-'));
  await assert.rejects(
    resolveModelInput({ model: join(dir, 'missing.onnx') }),
    (e: unknown) => isInputError(e) && /no such file/.test((e as Error).message),
  );
  await assert.rejects(resolveModelInput({ model: join(dir, 'missing.pt') }), /no such file/);
  await assert.rejects(resolveModelInput({ model: join(dir, 'm.tflite') }), /expected a \.pt/);
  await assert.rejects(resolveModelInput({ model: 'yolov8n.yaml', imgsz: 100 }), /multiple of 32/);
  await assert.rejects(resolveModelInput({ model: 'yolox.yaml', family: 'yolox' }), /YOLOX PyTorch checkpoints/);
});
