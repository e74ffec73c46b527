import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import type { StageTiming } from '../../src/quant/stage-timer.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { runCli } from '../helpers/cli.js';

/**
 * `quantize` reports where its time went: `stages` in --json (names, images, nesting) and a by-stage list in text
 * mode; the timings never reach the plan file. A four-Conv model on a 32×32 input and four random images keep it small.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-quantize-stages-'));

function tinyModel(): Uint8Array {
  const rnd = seededRandom(5);
  const b = new GraphBuilder('tiny_stages');
  let x = b.input('images', DataType.FLOAT, [1, 3, 32, 32]);
  const layers: Array<[string, number, number]> = [
    ['stem', 3, 8],
    ['mid1', 8, 16],
    ['mid2', 16, 16],
    ['head', 16, 24],
  ];
  for (const [name, cin, cout] of layers) {
    const w = b.constant(
      `${name}.weight`,
      DataType.FLOAT,
      [cout, cin, 3, 3],
      Float32Array.from({ length: cout * cin * 9 }, () => (rnd() * 2 - 1) / Math.sqrt(cin * 9)),
    );
    const bias = b.constant(
      `${name}.bias`,
      DataType.FLOAT,
      [cout],
      Float32Array.from({ length: cout }, () => (rnd() - 0.5) * 0.1),
    );
    const y = b.op('Conv', [x, w, bias], { name, attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } });
    x = name === 'head' ? y : b.op('Mul', [y, b.op('Sigmoid', [y], { name: `${name}.sigmoid` })], { name: `${name}.silu` });
  }
  const shape = b.constant('flat_shape', DataType.INT64, [3], [1, 24, 4]);
  b.node('Reshape', [x, shape], ['output'], { name: 'flatten' });
  b.output('output', DataType.FLOAT, [1, 24, 4]);
  return modelToBytes(b.model(17));
}

async function images(folder: string, count: number): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const rnd = seededRandom(11);
  for (let i = 0; i < count; i++) {
    const px = Buffer.from(Array.from({ length: 40 * 36 * 3 }, () => Math.floor(rnd() * 256)));
    await sharp(px, { raw: { width: 40, height: 36, channels: 3 } })
      .png()
      .toFile(join(folder, `img${i}.png`));
  }
}

const names = (stages: readonly StageTiming[]) => stages.map((s) => s.name);

test('quantize --json carries its stages (default recipe: every measuring stage, GPTQ nested in weights); text mode lists them', async () => {
  const model = join(dir, 'tiny.onnx');
  writeFileSync(model, tinyModel());
  const calib = join(dir, 'calib');
  await images(calib, 4);
  const common = ['quantize', '--model', model, '--scheme', 'w4a8', '--format', 'int4', '--calib', calib, '--sqnr-images', '2'];
  const r = runCli([...common, '--recipe', 'default', '--plan', join(dir, 'p.json'), '-o', join(dir, 'q.onnx'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { stages: StageTiming[]; seconds: number };
  assert.deepEqual(names(s.stages), [
    'read model',
    'equalization',
    'sensitivity',
    'weights (gptq)',
    'calibration',
    'range search',
    'error correction',
    'export',
    'sqnr',
    'write',
    'inspect output',
  ]);
  const byName = new Map(s.stages.map((st) => [st.name, st]));
  assert.deepEqual(names(byName.get('weights (gptq)')!.stages ?? []), ['hessians', 'gptq']);
  assert.equal(byName.get('weights (gptq)')!.stages![0]!.images, 4);
  assert.equal(byName.get('calibration')!.images, 4);
  assert.equal(byName.get('sqnr')!.images, 2);
  for (const st of s.stages) assert.ok(st.seconds >= 0 && Number.isFinite(st.seconds), JSON.stringify(st));
  // Timings stay out of the plan, which must be byte-identical run to run.
  assert.doesNotMatch(readFileSync(join(dir, 'p.json'), 'utf8'), /"stages"|"seconds"|hessians/);

  const t = runCli([...common, '--recipe', 'none', '-o', join(dir, 'rtn.onnx')]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /s, by stage:\n {2}read model \d+\.\d s\n {2}weights \(rtn\) \d+\.\d s\n {2}calibration \d+\.\d s \(4 images\)\n/);
});
