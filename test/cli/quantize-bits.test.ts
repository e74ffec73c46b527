import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { modelFromBytes, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { runTiny, tinyInput } from '../helpers/run-tiny.js';
import { readPlanFiles } from '../../src/quant/plan-file.js';

/**
 * `quantize --bits B`: the block sizes and 8-bit layers are chosen under an all-in bits budget, and the file
 * written spends what the plan said — as `inspect` counts it — in the FP16 GPU graph and the FP32 twin alike.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-bits-'));
const model = join(dir, 'tiny.onnx');
writeFileSync(model, modelToBytes(buildTinyDetector('float')));
const calib = join(dir, 'calib');

async function images(): Promise<void> {
  if (existsSync(calib)) return;
  mkdirSync(calib);
  const rnd = seededRandom(9);
  for (let i = 0; i < 4; i++) {
    const px = Buffer.from(Array.from({ length: 40 * 40 * 3 }, () => Math.floor(rnd() * 256)));
    await sharp(px, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(join(calib, `img${i}.png`));
  }
}

// The tiny detector's stem and head hold 28% of its Conv weights: all four layers are budgeted.
const base = ['quantize', '--model', model, '--scheme', 'w4a16', '--format', 'int4-compact', '--recipe', 'none', '--no-keep-first-last'];

test('--bits: the file spends at most the budget, exactly what the plan said, in both W4A16 graphs; same bytes twice', async () => {
  await images();
  for (const actDtype of ['fp16', 'fp32']) {
    const out = join(dir, `w4a16-${actDtype}.onnx`);
    const args = [...base, '--act-dtype', actDtype, '--calib', calib, '--budget', '0.7', '--bits', '5', '--sqnr-images', '0', '-o', out];
    const r = runCli(args);
    assert.equal(r.code, 0, r.stderr);
    const line =
      /bits budget 5: ([\d.]+) bits per Conv weight planned \(float(16|32) scales\), ([\d.]+)% of Conv weight parameters at 4 bits; chosen layers: (.*)/.exec(
        r.stderr,
      );
    assert.ok(line, r.stderr);
    assert.equal(line[2], actDtype === 'fp16' ? '16' : '32');
    const inspected = inspectModel(modelFromBytes(readFileSync(out)));
    assert.ok(inspected.bitsPerWeight <= 5, `${actDtype}: ${inspected.bitsPerWeight}`);
    assert.ok(Math.abs(inspected.bitsPerWeight - Number(line[1])) < 1e-3, `${actDtype}: ${inspected.bitsPerWeight} vs ${line[1]}`);
    assert.ok(Number(line[3]) >= 70);
    // More than one way was chosen: the budget buys finer blocks for some layers only.
    assert.ok(line[4]!.split(', ').length > 1, line[4]);
    const again = join(dir, `w4a16-${actDtype}-again.onnx`);
    const json = runCli([...args.slice(0, -1), again, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(out));
    const summary = JSON.parse(json.stdout) as {
      bitsPerWeight: number;
      bitsBudget: { target: number; bitsPerWeight: number; floatBits: number };
    };
    assert.equal(summary.bitsBudget.target, 5);
    assert.equal(summary.bitsBudget.floatBits, actDtype === 'fp16' ? 16 : 32);
    assert.ok(Math.abs(summary.bitsBudget.bitsPerWeight - summary.bitsPerWeight) < 1e-9);
  }
});

test('--bits refusals: one line, exit 2, nothing written', async () => {
  await images();
  const out = join(dir, 'refused.onnx');
  const cases: Array<[string[], RegExp]> = [
    [
      [...base, '--calib', calib, '--bits', '4', '--act-dtype', 'fp32'],
      /--bits 4: the fewest this model's Conv weights can take is 4\.9\d+ bits per weight/,
    ],
    [[...base, '--bits', '5'], /--bits needs calibration images \(--calib\)/],
    [[...base.slice(0, 4), 'w8a8', ...base.slice(5), '--calib', calib, '--bits', '5'], /--bits spends a 4-bit budget/],
    [
      [...base.slice(0, 6), 'qcdq', ...base.slice(7), '--calib', calib, '--bits', '5'],
      /--bits chooses each 4-bit layer's block size: it needs blocked scales/,
    ],
    [[...base, '--calib', calib, '--bits', 'many'], /--bits/],
  ];
  for (const [args, message] of cases) {
    const r = runCli([...args, '-o', out]);
    assert.ok(isCleanInputError(r), JSON.stringify(r));
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out));
  }
});

test('int4-compact-fp8 under the default recipe: GPTQ and correction stay on the e4m3 grid; the plan applied as int4 gives the same outputs', async () => {
  await images();
  const out = join(dir, 'fp8.onnx');
  const planFile = join(dir, 'fp8.plan.json');
  const args = ['quantize', '--model', model, '--scheme', 'w4a16', '--act-dtype', 'fp32', '--format', 'int4-compact-fp8'];
  const r = runCli([
    ...args,
    '--calib',
    calib,
    '--no-keep-first-last',
    '--bits',
    '5',
    '--sqnr-images',
    '0',
    '--plan',
    planFile,
    '-o',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const plan = readPlanFiles(planFile);
  const twoLevel = plan.weights.filter((w) => w.blockScales);
  assert.ok(twoLevel.length > 0);
  for (const w of twoLevel) {
    assert.equal(w.blockScales!.codeType, 'e4m3', w.node);
    assert.ok(w.algorithm.name === 'gptq' && 'correction' in w.algorithm, w.node);
  }
  const summary = JSON.parse(r.stdout) as { bitsPerWeight: number };
  assert.ok(summary.bitsPerWeight <= 5, `${summary.bitsPerWeight}`);
  const int4 = join(dir, 'fp8-as-int4.onnx');
  const applied = runCli(['apply', '--plan', planFile, model, '--format', 'int4', '--act-dtype', 'fp32', '-o', int4]);
  assert.equal(applied.code, 0, applied.stderr);
  const input = tinyInput(5);
  assert.deepEqual(
    Array.from(await runTiny(modelFromBytes(readFileSync(out)), input)),
    Array.from(await runTiny(modelFromBytes(readFileSync(int4)), input)),
  );
});
