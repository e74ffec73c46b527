import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { loadModel, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { getInt } from '../../src/onnx/ir/attributes.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { sharedDataDir } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-quantize-'));
const yolox = join(sharedDataDir, 'models', 'yolox_nano.onnx');
const v5 = join(sharedDataDir, 'models', 'yolov5n_fp16.onnx');
const train = join(sharedDataDir, 'coco', 'train209', 'images');
const shared = existsSync(yolox) && existsSync(train) ? false : `skipped: ${sharedDataDir} is absent`;

function outputsIn(d: string): string[] {
  return readdirSync(d).filter((f) => f.endsWith('.onnx') || f.endsWith('.json'));
}

/** A calibration folder of its own (each test makes one): the first three train209 images, plus `extra` files. */
function calibFolder(extra: Record<string, Buffer> = {}): string {
  const calib = mkdtempSync(join(tmpdir(), 'yoloq-quantize-calib-'));
  for (const f of readdirSync(train).sort().slice(0, 3)) copyFileSync(join(train, f), join(calib, f));
  for (const [name, bytes] of Object.entries(extra)) writeFileSync(join(calib, name), bytes);
  return calib;
}

test('a model with nothing to quantize: one line, exit 2, no output file', () => {
  const b = new GraphBuilder('relu');
  const x = b.input('x', DataType.FLOAT, [1, 3, 8, 8]);
  b.node('Relu', [x], ['y']);
  b.output('y', DataType.FLOAT, [1, 3, 8, 8]);
  const m = join(dir, 'relu.onnx');
  writeFileSync(m, modelToBytes(b.model(13)));
  const out = join(dir, 'out-relu');
  mkdirSync(out);
  const r = runCli(['quantize', '--model', m, '--scheme', 'w4a16', '-o', join(out, 'q.onnx')]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.match(r.stderr, /nothing to quantize/);
  assert.deepEqual(outputsIn(out), []);
});

test('usage errors: unknown scheme, A8 without calibration, bad granularity, --correct without calibration or not a count', () => {
  for (const args of [
    ['quantize', '--model', join(dir, 'x.onnx'), '--scheme', 'w3a8', '-o', join(dir, 'q.onnx')],
    ['quantize', '--model', yolox, '--scheme', 'w4a8', '-o', join(dir, 'q.onnx')],
    ['quantize', '--model', yolox, '--scheme', 'w4a16', '--granularity', 'block:x', '-o', join(dir, 'q.onnx')],
    ['quantize', '--model', yolox, '--scheme', 'w4a16', '--correct', '4', '-o', join(dir, 'q.onnx')],
    ['quantize', '--model', yolox, '--scheme', 'w4a16', '--correct', 'x', '-o', join(dir, 'q.onnx')],
  ]) {
    if (args.includes(yolox) && shared) continue;
    assert.ok(isCleanInputError(runCli(args)), args.join(' '));
  }
});

test('an empty calibration folder: one line, exit 2, no output', { skip: shared }, () => {
  const empty = join(dir, 'empty-calib');
  mkdirSync(empty);
  const out = join(dir, 'out-empty');
  mkdirSync(out);
  const r = runCli(['quantize', '--model', yolox, '--scheme', 'w4a8', '--calib', empty, '-o', join(out, 'q.onnx')]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.match(r.stderr, /no images/);
  assert.deepEqual(outputsIn(out), []);
});

test('an undecodable calibration image is skipped, counted and named; the plan re-applies; another model is refused', {
  skip: shared,
}, () => {
  const calib = calibFolder({ 'broken.jpg': Buffer.from('not a jpeg at all') });
  const q = join(dir, 'yolox-w4a8.onnx');
  const plan = join(dir, 'yolox-w4a8.plan.json');
  const r = runCli([
    'quantize',
    '--model',
    yolox,
    '--scheme',
    'w4a8',
    '--calib',
    calib,
    '--recipe',
    'none',
    '--sqnr-images',
    '2',
    '--plan',
    plan,
    '-o',
    q,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.calibration.images, 3);
  assert.equal(s.calibration.skipped, 1);
  assert.equal(s.skippedImages.length, 1);
  assert.ok(s.skippedImages[0].startsWith(`${join(calib, 'broken.jpg')}: `), s.skippedImages[0]);
  // Named on stderr too (a note event under --json), and the observers the plan chose are counted.
  assert.match(r.stderr, /1 calibration image could not be read and was skipped.*broken\.jpg/);
  assert.deepEqual(s.observers, { minmax: s.activations });
  assert.ok(s.percentConvParamsAt4Bits >= 90);
  assert.ok(Number.isFinite(s.sqnrDb));
  const a = runCli(['apply', '--plan', plan, yolox, '--format', 'int4', '-o', join(dir, 'applied.onnx'), '--json']);
  assert.equal(a.code, 0, a.stderr);
  if (existsSync(v5)) {
    const out = join(dir, 'out-other');
    mkdirSync(out);
    const bad = runCli(['apply', '--plan', plan, v5, '-o', join(out, 'x.onnx')]);
    assert.ok(isCleanInputError(bad), JSON.stringify(bad));
    assert.match(bad.stderr, /made for another model/);
    assert.deepEqual(outputsIn(out), []);
  }
});

test('--strict: an unreadable calibration image is an error naming it (exit 2), and nothing is written', { skip: shared }, () => {
  // Named to sort first: calibration stops at the first image, before any progress line.
  const calib = calibFolder({ '0-broken.jpg': Buffer.from('not a jpeg at all') });
  const out = mkdtempSync(join(tmpdir(), 'yoloq-quantize-strict-'));
  const r = runCli([
    'quantize',
    '--model',
    yolox,
    '--scheme',
    'w4a8',
    '--recipe',
    'none',
    '--calib',
    calib,
    '--strict',
    '-o',
    join(out, 'q.onnx'),
  ]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.match(r.stderr, /broken\.jpg.*--strict/);
  assert.deepEqual(readdirSync(out), []);
});

test('same inputs and seed give byte-identical quantized files', { skip: shared }, () => {
  const calib = calibFolder();
  const files = [1, 2].map((k) => join(dir, `det-${k}.onnx`));
  for (const f of files) {
    const r = runCli([
      'quantize',
      '--model',
      yolox,
      '--scheme',
      'w4a8',
      '--format',
      'int4',
      '--calib',
      calib,
      '--sqnr-images',
      '0',
      '-o',
      f,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const [a, b] = files.map((f) => readFileSync(f));
  assert.ok(a!.equals(b!));
  // Native INT4 under the default recipe: 4-bit weights with one scale per 16 input elements.
  const blocks = loadModel(files[0]!)
    .graph!.nodes.filter((n) => n.opType === 'DequantizeLinear')
    .map((n) => getInt(n, 'block_size'));
  assert.ok(blocks.filter((v) => v === 16).length > 10, JSON.stringify(blocks));
});

test('a format that cannot carry the request exits 2 before any calibration image is read', () => {
  // The calibration folder holds no image: reading it would fail with "no images found", so the granularity
  // message proves the request was refused first.
  const empty = mkdtempSync(join(tmpdir(), 'yoloq-no-images-'));
  const m = join(dir, 'tiny-for-format.onnx');
  const b = new GraphBuilder('conv');
  const x = b.input('images', DataType.FLOAT, [1, 3, 8, 8]);
  const w = b.constant('w', DataType.FLOAT, [4, 3, 3, 3], new Array(108).fill(0.1));
  b.node('Conv', [x, w], ['y']);
  b.output('y', DataType.FLOAT, [1, 4, 6, 6]);
  writeFileSync(m, modelToBytes(b.model(13)));
  const out = mkdtempSync(join(tmpdir(), 'yoloq-format-out-'));
  for (const format of ['qcdq', 'qdq']) {
    const r = runCli([
      'quantize',
      '--model',
      m,
      '--scheme',
      'w4a16',
      '--format',
      format,
      '--granularity',
      'block:16',
      '--calib',
      empty,
      '-o',
      join(out, 'q.onnx'),
    ]);
    assert.ok(isCleanInputError(r), JSON.stringify(r));
    assert.match(r.stderr, new RegExp(`--granularity block:16: --format ${format} cannot carry blocked scales`));
  }
  assert.deepEqual(readdirSync(out), []);
});
