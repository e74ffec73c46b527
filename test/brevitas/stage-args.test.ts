import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { familyFromName, resolveModelInput, stageArgs } from '../../src/brevitas/stage-args.js';
import { isInputError } from '../../src/errors.js';
import type { ParsedArgs } from '../../src/cli/command.js';

const args = (values: ParsedArgs['values']): ParsedArgs => ({ values, positionals: [] });

test('family from an ultralytics / YOLOv5 file name', () => {
  assert.equal(familyFromName('/m/yolov10m.yaml'), 'yolov10');
  assert.equal(familyFromName('yolov10n.pt'), 'yolov10');
  assert.equal(familyFromName('yolov5n.pt'), 'yolov5');
  assert.equal(familyFromName('yolov5nu.pt'), 'yolov8');
  assert.equal(familyFromName('yolo11s.pt'), 'yolov8');
  assert.equal(familyFromName('yolov8n.yaml'), 'yolov8');
});

test('a bundled ultralytics YAML resolves to its family and preprocessing without a file', async () => {
  const m = await resolveModelInput(args({ model: 'yolov10m.yaml', imgsz: '320' }));
  assert.equal(m.family, 'yolov10');
  assert.equal(m.letterbox.width, 320);
  assert.equal(m.letterbox.channelOrder, 'rgb');
  assert.equal(m.letterbox.pixelRange, 'unit');
});

test('stage arguments pass options through, validated', () => {
  const input = { path: '/m.onnx', kind: 'onnx' as const, family: 'yolox' as const, letterbox: {} as never };
  const paths = { qcdq: '/o/q.onnx', work: '/o/q.work' };
  const a = stageArgs(args({ steps: '5', batch: '2', scheme: 'w4a16', ptq: 'calibrate', device: 'cpu', lr: '0.0001', resume: true }), input, '/o/data', paths);
  assert.deepEqual(a.slice(0, 10), ['--model', '/m.onnx', '--data', '/o/data', '-o', '/o/q.onnx', '--checkpoint', join('/o/q.work', 'qat.ckpt'), '--steps', '5']);
  for (const pair of [['--batch', '2'], ['--scheme', 'w4a16'], ['--ptq', 'calibrate'], ['--device', 'cpu'], ['--lr', '0.0001']]) {
    const i = a.indexOf(pair[0]!);
    assert.equal(a[i + 1], pair[1]);
  }
  assert.ok(a.includes('--resume'));
  for (const bad of [{ scheme: 'w3a3' }, { ptq: 'calibrate,adaround' }, { device: 'tpu' }, { steps: '-1' }, { batch: '0' }, { loss: 'focal' }]) {
    assert.throws(() => stageArgs(args(bad), input, '/d', paths), (e: unknown) => isInputError(e), JSON.stringify(bad));
  }
});

test('model input errors are InputErrors naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-'));
  await assert.rejects(resolveModelInput(args({})), /--model/);
  await assert.rejects(resolveModelInput(args({ model: join(dir, 'missing.onnx') })), /no such file/);
  await assert.rejects(resolveModelInput(args({ model: join(dir, 'm.tflite') })), /expected a \.pt/);
  await assert.rejects(resolveModelInput(args({ model: 'yolov8n.yaml', imgsz: '100' })), /multiple of 32/);
});
