import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { findPython, probePythonEnv } from '../../src/brevitas/venv.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { parseVariants, resolveConfig } from '../../src/pipeline/config.js';
import type { StageTiming } from '../../src/quant/stage-timer.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * `yoloq quantize --recipe learned` and the run's learned-* variants. Refusals and option parsing need nothing; the
 * end-to-end checks need the Python stage with torch (python/.venv, or $YOLOQ_PYTHON) and skip, saying so, without
 * it. They run on the Python tests' tiny YOLOX-shaped detector (yoloq_brevitas.tiny) and the embedded default model.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-quantize-learned-'));
process.env.YOLOQ_CACHE_DIR = join(dir, 'cache');
after(() => rmSync(dir, { recursive: true, force: true }));

const probe = probePythonEnv(findPython(join(repoRoot, 'python')));
// The CLI children use this interpreter as it is (no install.sh run from a test).
if (probe.ok) process.env.YOLOQ_PYTHON = probe.python;
const noPython = probe.ok ? false : `no Python stage: ${probe.reason ?? 'unknown'}`;

function tinyFloatModel(): string {
  const p = join(dir, 'tiny-detector.onnx');
  if (!existsSync(p)) writeFileSync(p, modelToBytes(buildTinyDetector('float')));
  return p;
}

test('bad combinations exit 2 with one line before any calibration image is read', () => {
  const model = tinyFloatModel();
  // No image in it: reading calibration would fail with "no images found", so the refusals come first.
  const empty = join(dir, 'no-images');
  mkdirSync(empty, { recursive: true });
  const out = join(dir, 'refused.onnx');
  const base = ['quantize', '--model', model, '--scheme', 'w4a8', '-o', out];
  const cases: Array<[string[], RegExp]> = [
    [['--recipe', 'learned'], /--recipe learned needs calibration images/],
    [['--calib', empty, '--learn-iters', '2'], /--learn-iters needs --recipe learned/],
    [['--calib', empty, '--recipe', 'default', '--device', 'cpu'], /--device needs --recipe learned/],
    [['--calib', empty, '--recipe', 'learned', '--device', 'tpu'], /--device tpu: expected auto, cpu, cuda or cuda:N/],
    [['--calib', empty, '--recipe', 'learned', '--learn-iters', '-1'], /--learn-iters/],
    [['--calib', empty, '--recipe', 'learned', '--learn-batch', '0'], /--learn-batch/],
    [['--calib', empty, '--recipe', 'learned', '--learn-qdrop', '1'], /--learn-qdrop/],
    [['--calib', empty, '--recipe', 'learned', '--learn-loss', 'iou'], /--learn-loss iou: expected mse or output/],
    [['--calib', empty, '--learn-loss', 'output'], /--learn-loss needs --recipe learned/],
    [['--calib', empty, '--recipe', 'adaround'], /--recipe adaround: expected none, default, learned/],
  ];
  for (const [extra, message] of cases) {
    const r = runCli([...base, ...extra]);
    assert.ok(isCleanInputError(r), `${extra.join(' ')}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /no images found/);
  }
  assert.ok(!existsSync(out), 'nothing is written');
});

test('learned-* variants: the PTQ format of their scheme, :format as for PTQ, kind learned; the run recipe stays none|default', () => {
  assert.deepEqual(parseVariants('w4a8,learned-w4a8,learned-w4a16:qcdq', 'cpu'), [
    { id: 'w4a8', name: 'w4a8', kind: 'ptq', scheme: 'w4a8', format: 'int4' },
    { id: 'learned-w4a8', name: 'learned-w4a8', kind: 'learned', scheme: 'w4a8', format: 'int4' },
    { id: 'learned-w4a16-qcdq', name: 'learned-w4a16', kind: 'learned', scheme: 'w4a16', format: 'qcdq' },
  ]);
  assert.deepEqual(parseVariants('learned-w4a8', 'cuda')[0], {
    id: 'learned-w4a8',
    name: 'learned-w4a8',
    kind: 'learned',
    scheme: 'w4a8',
    format: 'int4-cuda',
  });
  assert.equal(resolveConfig({}).learnIters, 200);
  assert.equal(resolveConfig({ 'learn-iters': '3' }).learnIters, 3);
  assert.throws(() => resolveConfig({ 'learn-iters': '-1' }), /learn-iters -1/);
  assert.throws(() => resolveConfig({ recipe: 'learned' }), /recipe learned: expected none or default/);
  assert.throws(() => parseVariants('learned-w8a8', 'cpu'), /variant learned-w8a8/);
});

/** The Python tests' tiny detector and six random images (the fixture of python/tests/test_learned.py). */
async function tinyFixture(): Promise<{ model: string; images: string }> {
  const model = join(dir, 'tiny.onnx');
  const r = spawnSync(
    probe.python,
    ['-c', 'import sys; from yoloq_brevitas.tiny import export_tiny_onnx; export_tiny_onnx(sys.argv[1])', model],
    { cwd: join(repoRoot, 'python'), encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const images = join(dir, 'imgs');
  mkdirSync(images, { recursive: true });
  const rnd = seededRandom(3);
  for (let i = 0; i < 6; i++) {
    const [w, h] = [64, 48 + 4 * i];
    const px = Buffer.from(Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256)));
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(join(images, `${i}.png`));
  }
  return { model, images };
}

test('quantize --recipe learned equals quantize + learn + apply by hand, byte for byte, and records learned-rounding', {
  skip: noPython,
}, async () => {
  const { model, images } = await tinyFixture();
  const common = ['--model', model, '--family', 'yolox', '--scheme', 'w4a8', '--calib', images, '--calib-count', '4', '--sqnr-images', '0'];
  // lr 1: two steps are enough to flip codes, so the comparison covers changed weights, not only the plan.
  const learnArgs = ['--iters', '2', '--batch', '2', '--lr', '1'];
  const q = runCli([
    'quantize',
    ...common,
    '--recipe',
    'learned',
    ...learnArgs.flatMap((a, i) => (i % 2 === 0 ? [a.replace('--', '--learn-')] : [a])),
    '--plan',
    join(dir, 'learned.json'),
    '-o',
    join(dir, 'learned.onnx'),
    '--json',
  ]);
  assert.equal(q.code, 0, q.stderr);
  const s = JSON.parse(q.stdout) as {
    recipe: string;
    stages: StageTiming[];
    learnedRounding: {
      changedWeights: number;
      iterations: number;
      images: number;
      blocks: Array<{ sqnrBefore?: number; sqnrAfter?: number }>;
    };
  };
  assert.equal(s.recipe, 'learned');
  assert.equal(s.learnedRounding.iterations, 2);
  assert.equal(s.learnedRounding.images, 4);
  assert.ok(s.learnedRounding.changedWeights > 0, 'some codes changed');
  assert.ok(s.learnedRounding.blocks.some((b) => b.sqnrBefore !== undefined && b.sqnrAfter !== undefined));
  const names = s.stages.map((st) => st.name);
  assert.ok(names.indexOf('error correction') < names.indexOf('learned rounding'), names.join(', '));
  assert.ok(names.indexOf('learned rounding') < names.indexOf('export'), names.join(', '));
  assert.equal(s.stages.find((st) => st.name === 'learned rounding')!.images, 4);
  const plan = JSON.parse(readFileSync(join(dir, 'learned.json'), 'utf8')) as { weights: Array<{ algorithm: { name: string } }> };
  assert.equal(plan.weights.filter((w) => w.algorithm.name === 'learned-rounding').length, s.learnedRounding.changedWeights);

  const base = runCli(['quantize', ...common, '--recipe', 'default', '--plan', join(dir, 'base.json'), '-o', join(dir, 'base.onnx')]);
  assert.equal(base.code, 0, base.stderr);
  const l = runCli([
    'learn',
    '--model',
    model,
    '--family',
    'yolox',
    '--plan',
    join(dir, 'base.json'),
    '--calib',
    images,
    '--calib-count',
    '4',
    ...learnArgs,
    '-o',
    join(dir, 'hand.json'),
  ]);
  assert.equal(l.code, 0, l.stderr);
  const a = runCli(['apply', '--plan', join(dir, 'hand.json'), model, '-o', join(dir, 'hand.onnx')]);
  assert.equal(a.code, 0, a.stderr);
  assert.ok(readFileSync(join(dir, 'hand.onnx')).equals(readFileSync(join(dir, 'learned.onnx'))), 'the same model bytes');
  assert.ok(readFileSync(join(dir, 'hand.safetensors')).equals(readFileSync(join(dir, 'learned.safetensors'))), 'the same plan sidecar');
  // The plan files differ only in the sidecar's file name.
  const strip = (p: string) => ({ ...JSON.parse(readFileSync(p, 'utf8')), sidecar: null });
  assert.deepEqual(strip(join(dir, 'hand.json')), strip(join(dir, 'learned.json')));
});

test('learn --prepare-only, the Python stage run by hand, then --from-job: the same plan as learn in one go', {
  skip: noPython,
}, async () => {
  const { model, images } = await tinyFixture();
  const w = (name: string) => join(dir, 'remote', name);
  mkdirSync(w(''), { recursive: true });
  const common = ['--model', model, '--family', 'yolox'];
  const base = runCli([
    'quantize',
    ...common,
    '--scheme',
    'w4a8',
    '--calib',
    images,
    '--calib-count',
    '4',
    '--sqnr-images',
    '0',
    '--plan',
    w('base.json'),
    '-o',
    w('base.onnx'),
  ]);
  assert.equal(base.code, 0, base.stderr);
  const learnArgs = ['--calib', images, '--calib-count', '4', '--iters', '2', '--batch', '2', '--lr', '1', '--seed', '3'];
  const once = runCli(['learn', ...common, '--plan', w('base.json'), ...learnArgs, '-o', w('once.json')]);
  assert.equal(once.code, 0, once.stderr);

  const job = w('job');
  const prep = runCli(['learn', ...common, '--plan', w('base.json'), ...learnArgs, '--work-dir', job, '--prepare-only', '--json']);
  assert.equal(prep.code, 0, prep.stderr);
  const command = (JSON.parse(prep.stdout) as { command: string }).command;
  assert.match(command, /^python -m yoloq_brevitas\.learned --job \S+ --iters 2 --batch 2 --seed 3 /);
  assert.ok(!existsSync(join(job, 'codes.safetensors')), 'nothing learned yet');
  const early = runCli(['learn', '--model', model, '--plan', w('base.json'), '--from-job', job, '-o', w('early.json')]);
  assert.ok(isCleanInputError(early), early.stderr);
  assert.match(early.stderr, /has not finished/);

  // What the user runs on the other machine, in yoloq's python/ folder.
  const py = spawnSync(probe.python, command.split(' ').slice(1), { cwd: join(repoRoot, 'python'), encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const back = runCli(['learn', '--model', model, '--plan', w('base.json'), '--from-job', job, '-o', w('remote.json'), '--json']);
  assert.equal(back.code, 0, back.stderr);
  assert.ok((JSON.parse(back.stdout) as { changedWeights: number }).changedWeights > 0, 'some codes changed');
  assert.ok(readFileSync(w('remote.safetensors')).equals(readFileSync(w('once.safetensors'))), 'the same plan sidecar');
  const strip = (p: string) => ({ ...JSON.parse(readFileSync(p, 'utf8')), sidecar: null });
  assert.deepEqual(strip(w('remote.json')), strip(w('once.json')));

  // The job belongs to base.json: merging it into another plan is refused, and so are learning options.
  const other = runCli(['learn', '--model', model, '--plan', w('once.json'), '--from-job', job, '-o', w('other.json')]);
  assert.ok(isCleanInputError(other), other.stderr);
  assert.match(other.stderr, /written for another plan or model/);
  const extra = runCli(['learn', '--model', model, '--plan', w('base.json'), '--from-job', job, '--iters', '5', '-o', w('other.json')]);
  assert.ok(isCleanInputError(extra), extra.stderr);
  assert.match(extra.stderr, /--iters belongs to the run that made it/);
  assert.ok(!existsSync(w('other.json')) && !existsSync(w('early.json')), 'no plan written on refusal');
});

test('run --variants fp32,learned-w4a8 --learn-iters 2 builds, evaluates and lists the learned variant; a second run reuses it', {
  skip: noPython,
}, () => {
  const out = join(dir, 'run');
  const argv = [
    'run',
    '--variants',
    'fp32,learned-w4a8',
    '--learn-iters',
    '2',
    '--synthetic-val',
    '6',
    '--synthetic-calib',
    '4',
    '--calib-count',
    '4',
    '--warmup',
    '1',
    '--runs',
    '2',
    '--sensitivity-images',
    '0',
    '--overlay-images',
    '0',
    '--threads',
    '1',
    '-o',
    out,
  ];
  const r = runCli(argv);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const row = JSON.parse(readFileSync(join(out, 'metrics', 'learned-w4a8.json'), 'utf8'));
  assert.equal(row.status, 'done');
  assert.equal(row.kind, 'learned');
  assert.equal(row.scheme, 'w4a8');
  assert.equal(row.format, 'int4');
  assert.ok(row.map > 0, `mAP ${row.map}`);
  assert.equal(row.build.recipe, 'learned');
  assert.equal(row.build.learned.planFrom, 'built');
  assert.equal(row.build.learned.iterations, 2);
  assert.ok(row.build.learned.blocks > 0);
  assert.ok(row.build.stages.some((st: StageTiming) => st.name === 'learned rounding'));
  assert.ok(existsSync(join(out, 'plans', 'learned-w4a8.json')) && existsSync(join(out, 'plans', 'learned-w4a8.safetensors')));
  assert.match(readFileSync(join(out, 'summary.md'), 'utf8'), /\| learned-w4a8 +\| 0\.\d{4}/);
  const again = runCli(argv);
  assert.equal(again.code, 0, again.stderr.slice(-2000));
  assert.match(again.stderr, /learned-w4a8 build reused/);
});
