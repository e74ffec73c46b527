import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';

/**
 * A detector whose head yoloq does not know (NanoDet-style: [1, anchors, classes + 4·bins], here [1, 16, 40] on a
 * 32×32 input — no family's grid): quantization needs no box decoding, so it calibrates with the default letterbox
 * and measures every output tensor, saying both in one line each; eval still needs a family and names the ones it
 * knows.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-generic-head-'));

function genericHeadModel(): Uint8Array {
  const rnd = seededRandom(3);
  const b = new GraphBuilder('nanodet_like');
  let x = b.input('data', DataType.FLOAT, [1, 3, 32, 32]);
  const layers = [
    { name: 'stem', cin: 3, cout: 8, act: true },
    { name: 'down', cin: 8, cout: 16, act: true },
    { name: 'head', cin: 16, cout: 40, act: false },
  ];
  for (const l of layers) {
    const n = l.cout * l.cin * 9;
    const w = b.constant(
      `${l.name}.weight`,
      DataType.FLOAT,
      [l.cout, l.cin, 3, 3],
      Float32Array.from({ length: n }, (_, i) => ((rnd() * 2 - 1) * (0.5 + Math.floor(i / (l.cin * 9)) / l.cout)) / Math.sqrt(l.cin * 9)),
    );
    const bias = b.constant(
      `${l.name}.bias`,
      DataType.FLOAT,
      [l.cout],
      Float32Array.from({ length: l.cout }, () => (rnd() - 0.5) * 0.1),
    );
    const y = b.op('Conv', [x, w, bias], { name: l.name, attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
    x = l.act ? b.op('Mul', [y, b.op('Sigmoid', [y], { name: `${l.name}.sigmoid` })], { name: `${l.name}.silu` }) : y;
  }
  const shape = b.constant('flat_shape', DataType.INT64, [3], [1, 40, 16]);
  const flat = b.op('Reshape', [x, shape], { name: 'flatten' });
  b.node('Transpose', [flat], ['output'], { name: 'to_anchors', attrs: { perm: [0, 2, 1] } });
  b.output('output', DataType.FLOAT, [1, 16, 40]);
  return modelToBytes(b.model(17));
}

async function calibrationImages(folder: string, count: number): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const rnd = seededRandom(9);
  for (let i = 0; i < count; i++) {
    const [w, h] = [48 + 8 * i, 40];
    const px = Buffer.from(Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256)));
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(join(folder, `img${i}.png`));
  }
}

test('quantize and sensitivity on an unrecognised head: default letterbox, every output measured, one line each; eval names the families', async () => {
  const model = join(dir, 'nanodet-like.onnx');
  writeFileSync(model, genericHeadModel());
  const calib = join(dir, 'calib');
  await calibrationImages(calib, 4);
  const out = join(dir, 'w4a8.onnx');
  const q = runCli([
    'quantize',
    '--model',
    model,
    '--scheme',
    'w4a8',
    '--format',
    'int4',
    '--calib',
    calib,
    '--recipe',
    'none',
    '--budget',
    '0.5',
    '--sqnr-images',
    '2',
    '-o',
    out,
  ]);
  assert.equal(q.code, 0, q.stderr);
  assert.ok(existsSync(out));
  const lines = q.stderr.split('\n');
  const pre = lines.filter((l) => /calibration: .*fits no YOLO family/.test(l));
  assert.equal(pre.length, 1, q.stderr);
  assert.match(pre[0]!, /default 32x32 letterbox \(centred, padded with 114\), RGB, \/255/);
  assert.equal(lines.filter((l) => /sensitivity: .*every output tensor, averaged over the 1 output/.test(l)).length, 1, q.stderr);
  assert.match(q.stdout, /raw-output SQNR vs the float model: [\d.]+ dB on 2 images/);

  const s = runCli(['sensitivity', '--model', model, '--calib', calib, '--images', '2', '--json']);
  assert.equal(s.code, 0, s.stderr);
  // The stem and the prediction layer stay at 8 bits (the default layer policy): one 4-bit candidate.
  assert.deepEqual(
    (JSON.parse(s.stdout) as { layers: Array<{ node: string }> }).layers.map((l) => l.node),
    ['down'],
  );
  assert.match(s.stderr, /every output tensor/);

  const e = runCli(['eval', '--model', model, '--labels', calib, '--images', calib]);
  assert.ok(isCleanInputError(e), JSON.stringify(e));
  assert.match(e.stderr, /cannot tell which YOLO family.*yolox, yolov5, yolov8, yolov10.*pass --family/);
});
