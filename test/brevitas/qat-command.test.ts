import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs, type CommandIo } from '../../src/cli/command.js';
import { qatCommand, type QatSummary } from '../../src/cli/commands/qat.js';
import { pythonDir, venvIsCurrent } from '../../src/brevitas/venv.js';
import { isInputError } from '../../src/errors.js';
import { sharedDataDir } from '../helpers/paths.js';

/**
 * `yoloq qat` through its Command object (src/cli/main.ts registers it). The end-to-end cases run the real Python
 * stage, so they need the pinned venv (python/install.sh, which the test script runs first) and ../shared/data.
 */

function capture(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), progress: () => {}, note: (t) => stderr.push(t) };
}

const run = (argv: string[], io = capture()) => qatCommand.run(parseCommandArgs(qatCommand, argv), io);
const images = join(sharedDataDir, 'images');
const venv = join(pythonDir(), '.venv');
const ready =
  (existsSync(images) && (process.env.YOLOQ_PYTHON !== undefined || venvIsCurrent(pythonDir(), venv))) ||
  'needs ../shared/data and the Python venv (bash python/install.sh)';

test('bad input fails before Python starts, as an InputError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-'));
  const cases: Array<[string[], RegExp]> = [
    [['--images', images, '-o', join(dir, 'o.onnx')], /--model/],
    [['--model', join(dir, 'nope.onnx'), '--images', images, '-o', join(dir, 'o.onnx')], /no such file/],
    [['--model', 'yolov8n.yaml', '-o', join(dir, 'o.onnx')], /--images/],
    [['--model', 'yolov8n.yaml', '--images', images], /-o/],
    [['--model', 'yolov8n.yaml', '--images', join(dir, 'none'), '-o', join(dir, 'o.onnx')], /does not exist|no images/],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(run(argv), (e: unknown) => isInputError(e) && message.test((e as Error).message), argv.join(' '));
  }
  assert.throws(
    () => parseCommandArgs(qatCommand, ['--bogus']),
    (e: unknown) => isInputError(e),
  );
});

test('bad stage options fail before anything is written, as InputErrors naming the flag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-'));
  const base = ['--model', 'yolov8n.yaml', '--images', images, '-o', join(dir, 'o.onnx')];
  const cases: Array<[string[], RegExp]> = [
    [['--scheme', 'w3a3'], /--scheme w3a3: expected one of w4a8, w4a16/],
    [['--scheme', 'w8a8'], /--scheme w8a8/],
    [['--ptq', 'calibrate,adaround'], /unknown step adaround/],
    [['--device', 'tpu'], /--device tpu/],
    [['--steps=-1'], /--steps -1/],
    [['--batch', '0'], /--batch/],
    [['--loss', 'focal'], /--loss focal/],
    [['--ema-decay', '1'], /--ema-decay/],
    [['--family', 'rtdetr'], /unknown model family/],
    [['--imgsz', '100'], /multiple of 32/],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(run([...base, ...extra]), (e: unknown) => isInputError(e) && message.test((e as Error).message), extra.join(' '));
  }
  assert.ok(!existsSync(join(dir, 'o.work')), 'no work folder');
});

test('ONNX source end to end: W4A8 PTQ + 2 QAT steps → QCDQ that yoloq checks, inspects, converts and evaluates', {
  skip: ready === true ? false : ready,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-e2e-'));
  const model = join(dir, 'tiny.onnx');
  execFileSync(
    join(venv, 'bin', 'python'),
    ['-c', `from yoloq_brevitas.tiny import export_tiny_onnx; export_tiny_onnx(${JSON.stringify(model)})`],
    { env: { ...process.env, PYTHONPATH: pythonDir() }, stdio: 'ignore' },
  );
  const gt = {
    images: [
      { id: 1, file_name: 'bus.jpg', width: 810, height: 1080 },
      { id: 2, file_name: 'zidane.jpg', width: 1280, height: 720 },
    ],
    categories: [{ id: 1, name: 'person' }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [50, 400, 200, 500], area: 100000, iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 1, bbox: [700, 40, 400, 680], area: 272000, iscrowd: 0 },
    ],
  };
  writeFileSync(join(dir, 'gt.json'), JSON.stringify(gt));
  const io = capture();
  const out = join(dir, 'tiny-qat.onnx');
  const code = await run(
    [
      '--model',
      model,
      '--family',
      'yolox',
      '--images',
      images,
      '--steps',
      '2',
      '--batch',
      '2',
      '--calib-count',
      '2',
      '--ptq',
      'calibrate,bias-correction',
      '--eval',
      join(dir, 'gt.json'),
      '--eval-images',
      images,
      '-o',
      out,
      '--json',
    ],
    io,
  );
  assert.equal(code, 0);
  const s = JSON.parse(io.stdout.join('\n')) as QatSummary;
  assert.equal(s.family, 'yolox');
  assert.equal(s.images, 2);
  assert.equal(s.post.check.errors, 0);
  assert.ok(s.post.inspect.percentConvParamsAt4Bits > 50);
  assert.equal(s.post.int4?.converted, 7);
  assert.ok(existsSync(join(dir, 'tiny-qat.int4.onnx')));
  assert.ok(s.post.eval && s.post.eval.images === 2 && s.post.eval.map >= 0);
  assert.equal((s.stage as { qat: { steps: number } }).qat.steps, 2);
  const meta = JSON.parse(readFileSync(join(dir, 'tiny-qat.work', 'data', 'meta.json'), 'utf8')) as {
    channelOrder: string;
    pixelScale: number;
  };
  assert.deepEqual([meta.channelOrder, meta.pixelScale], ['bgr', 1], 'YOLOX preprocessing: BGR, 0–255');
});

test("ultralytics YAML end to end: YOLO txt labels → label-based QAT with ultralytics' loss", {
  skip: ready === true ? false : ready,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-ul-'));
  mkdirSync(join(dir, 'labels'));
  writeFileSync(join(dir, 'labels', 'bus.txt'), '0 0.5 0.6 0.3 0.5\n5 0.5 0.45 0.9 0.5\n');
  writeFileSync(join(dir, 'labels', 'zidane.txt'), '0 0.75 0.5 0.3 0.9\n');
  const io = capture();
  const code = await run(
    [
      '--model',
      'yolov8n.yaml',
      '--imgsz',
      '64',
      '--images',
      images,
      '--labels',
      join(dir, 'labels'),
      '--steps',
      '2',
      '--batch',
      '2',
      '--calib-count',
      '2',
      '--ptq',
      'calibrate',
      '-o',
      join(dir, 'v8.onnx'),
      '--json',
    ],
    io,
  );
  assert.equal(code, 0);
  const s = JSON.parse(io.stdout.join('\n')) as QatSummary;
  assert.equal(s.family, 'yolov8');
  assert.equal(s.labelledBoxes, 3);
  assert.equal((s.stage as { qat: { loss: string } }).qat.loss, 'labels');
  assert.deepEqual((s.stage as { outputShape: number[] }).outputShape, [1, 84, 84]);
  assert.equal(s.post.check.errors, 0);
  const meta = JSON.parse(readFileSync(join(dir, 'v8.work', 'data', 'meta.json'), 'utf8')) as { channelOrder: string; pixelScale: number };
  assert.deepEqual([meta.channelOrder, meta.pixelScale], ['rgb', 1 / 255], 'ultralytics preprocessing: RGB, /255');
});
