import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { repoRoot, sharedDataDir } from '../helpers/paths.js';
import { goldenPython } from '../helpers/python.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-evalbench-'));
const tiny = join(dir, 'tiny.onnx');
writeFileSync(tiny, modelToBytes(buildTinyDetector('int4')));

test('bench --ep cpu prints latency and a placement report', () => {
  const r = runCli(['bench', '--model', tiny, '--warmup', '1', '--runs', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.latencyMs.mean > 0 && j.latencyMs.p99 >= j.latencyMs.p50);
  assert.ok(j.placement.providers.CPUExecutionProvider > 0);
  assert.match(j.loadNote, /weights prepared at load/);
  const text = runCli(['bench', '--model', tiny, '--warmup', '0', '--runs', '2']);
  assert.match(text.stdout, /placement: CPUExecutionProvider \d+ nodes/);
});

test('bench --ep cuda without the CUDA EP: one line saying how to install it, exit 2', () => {
  for (const ep of ['cuda', 'tensorrt']) {
    const r = runCli(['bench', '--model', tiny, '--ep', ep]);
    assert.ok(isCleanInputError(r), JSON.stringify(r));
    assert.match(r.stderr, /onnxruntime-node/);
  }
});

test('eval bad input: missing model, missing ground truth, unknown family', () => {
  const gt = join(sharedDataDir, 'coco', 'val100', 'instances_val100.json');
  for (const args of [
    ['eval', '--model', join(dir, 'nope.onnx'), '--coco', gt, '--images', dir],
    ['eval', '--model', tiny, '--coco', join(dir, 'nope.json'), '--images', dir],
    ['eval', '--model', tiny, '--images', dir],
    ['eval', '--model', tiny, '--coco', gt, '--family', 'yolo99'],
  ])
    assert.ok(isCleanInputError(runCli(args)), args.join(' '));
});

test('eval with no readable image: one line, exit 2, no detections file', () => {
  const gt = join(dir, 'broken.json');
  writeFileSync(
    gt,
    JSON.stringify({
      images: [
        { id: 1, file_name: 'a.jpg', width: 64, height: 48 },
        { id: 2, file_name: 'b.jpg', width: 64, height: 48 },
      ],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 10, 10], area: 100, iscrowd: 0 }],
      categories: [{ id: 1, name: 'person' }],
    }),
  );
  writeFileSync(join(dir, 'a.jpg'), Buffer.from('not a jpeg'));
  const det = join(dir, 'broken.detections.json');
  const r = runCli([
    'eval',
    '--model',
    join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx'),
    '--coco',
    gt,
    '--images',
    dir,
    '--detections',
    det,
  ]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.match(r.stderr, /none of the 2 evaluation images could be read/);
  assert.ok(!existsSync(det));
});

test('eval names a skipped image on stderr; --strict makes it an error (exit 2)', async () => {
  const own = mkdtempSync(join(tmpdir(), 'yoloq-eval-strict-'));
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toFile(join(own, 'good.png'));
  writeFileSync(join(own, 'bad.jpg'), Buffer.from('not a jpeg'));
  const gt = join(own, 'instances.json');
  writeFileSync(
    gt,
    JSON.stringify({
      // The unreadable image first: --strict stops before any progress, so stderr is the one error line.
      images: [
        { id: 1, file_name: 'bad.jpg', width: 64, height: 48 },
        { id: 2, file_name: 'good.png', width: 64, height: 48 },
      ],
      annotations: [{ id: 1, image_id: 2, category_id: 1, bbox: [1, 1, 10, 10], area: 100, iscrowd: 0 }],
      categories: [{ id: 1, name: 'person' }],
    }),
  );
  const model = join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx');
  const base = ['eval', '--model', model, '--coco', gt, '--detections', join(own, 'd.json')];
  const r = runCli([...base, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout) as { skipped: Array<{ path: string }> }).skipped.map((s) => s.path),
    [join(own, 'bad.jpg')],
  );
  assert.match(r.stderr, /1 evaluation image could not be read and was skipped \(--strict makes this an error\): \S*bad\.jpg/);
  const strict = runCli([...base, '--strict']);
  assert.ok(isCleanInputError(strict), JSON.stringify(strict));
  assert.match(strict.stderr, /bad\.jpg.*--strict/);
});

const val = join(sharedDataDir, 'coco', 'val100');
const py = goldenPython();
for (const file of ['yolox_nano.onnx', 'yolov5n_fp16.onnx']) {
  const model = join(sharedDataDir, 'models', file);
  const skip = !existsSync(model)
    ? `skipped: ${model} is absent`
    : !py
      ? 'skipped: pycocotools venv absent (bash python/install.sh)'
      : false;
  test(`eval ${file} on val100 equals pycocotools on the detections it wrote (1e-4)`, { skip }, () => {
    const dets = join(dir, `${file}.dets.json`);
    const gt = join(val, 'instances_val100.json');
    const r = runCli(['eval', '--model', model, '--coco', gt, '--images', join(val, 'images'), '--detections', dets, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout).statsArray as number[];
    const line = execFileSync(
      py!,
      [join(repoRoot, 'python', 'golden', 'coco_eval_bench.py'), '--impl', 'pycocotools', '--gt', gt, '--dt', dets],
      { encoding: 'utf8' },
    );
    const theirs = JSON.parse(line.trim().split('\n').at(-1)!).stats as number[];
    assert.equal(ours.length, 12);
    ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) <= 1e-4, `stat ${i}: ours ${v}, pycocotools ${theirs[i]}`));
    assert.ok(ours[0]! > 0.25, `mAP ${ours[0]}`);
    assert.ok(readFileSync(dets, 'utf8').startsWith('['));
  });
}
