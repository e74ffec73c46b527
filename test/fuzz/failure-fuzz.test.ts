import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { checkModel } from '../../src/check/check-model.js';
import { readCocoGroundTruth } from '../../src/data/coco-json.js';
import { cocoImagePaths } from '../../src/data/coco-images.js';
import { InputError } from '../../src/errors.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { checkOutputPath, parseTempName, writeOutputs } from '../../src/io/atomic-write.js';
import { loadModel, loadModelBytes, modelFromBytes, modelToBytes, saveModel } from '../../src/onnx/serde/model-io.js';
import { makePlan } from '../../src/workflow/quantize.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { poison } from '../helpers/poison.js';

/**
 * Every failure a clean one (docs/reliability.md): seeded cases from four classes of bad input — output paths,
 * external data, non-finite weights, JSON that is not a COCO file — each of which must end in one InputError (the
 * CLI's one line and exit 2) and leave no output and no temporary file behind; never a crash. A few cases go
 * through the CLI as a user would. The long campaign (real full and read-only file systems, kills mid-write, two
 * runs on one folder) is `bench/fault-campaign.ts`.
 */

const rnd = seededRandom(20261221);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const sandbox = mkdtempSync(join(tmpdir(), 'yoloq-failure-fuzz-'));

const oneLineInputError = (e: unknown) => e instanceof InputError && !e.message.includes('\n');

/** Every yoloq temporary file under `dir`. */
function temps(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => parseTempName(e.name))
    .map((e) => join(e.parentPath, e.name));
}

test('output paths: bad ones refused before any work; a write that fails midway leaves nothing (40 seeded cases)', () => {
  const root = join(sandbox, 'paths');
  mkdirSync(root);
  const CODES = ['ENOSPC', 'EROFS', 'EDQUOT', 'EIO', 'EACCES'];
  for (let k = 0; k < 40; k++) {
    const base = join(root, `case${k}`);
    mkdirSync(base);
    writeFileSync(join(base, 'file'), 'a file');
    writeFileSync(join(base, 'existing.onnx'), 'old');
    mkdirSync(join(base, 'folder'));
    const shape = int(6);
    const depth = 1 + int(3);
    const tail = Array.from({ length: depth }, (_, i) => `d${i}`);
    const path = [
      join(base, 'folder'), // an existing folder as the output file (EISDIR)
      join(base, 'file', ...tail, 'q.onnx'), // a path through a file (ENOTDIR / EEXIST)
      `${join(base, ...tail)}/`, // a folder name, not a file name
      join(base, ...tail, 'q.onnx'), // missing folders: fine, created at the end
      join(base, 'existing.onnx'), // overwrite: fine
      join(base, 'q.onnx'),
    ][shape]!;
    const refused = shape <= 2;
    if (refused) {
      assert.throws(() => checkOutputPath(path, '-o'), oneLineInputError, path);
      continue;
    }
    checkOutputPath(path, '-o');
    // The work is done; now the disk fails on one of the outputs.
    const code = pick(CODES);
    const failAt = int(3);
    const outs = [path, join(base, 'plan.json'), join(base, ...tail, 'side.data')];
    assert.throws(
      () =>
        writeOutputs((b) => {
          outs.forEach((o, i) => {
            if (i === failAt) {
              b.addWith(o, () => {
                throw Object.assign(new Error(`${code}: injected`), { code });
              });
            } else b.add(o, `content ${i}`);
          });
        }),
      (e: unknown) => oneLineInputError(e) && (e as Error).message.includes(`(${code})`),
      `${path}: ${code} at ${failAt}`,
    );
    assert.equal(readFileSync(join(base, 'existing.onnx'), 'utf8'), 'old', 'an existing output is untouched');
    assert.ok(!existsSync(join(base, 'plan.json')) && !existsSync(join(base, 'q.onnx')));
    assert.ok(!existsSync(join(base, 'd0')), 'folders created for the outputs are removed again');
    assert.deepEqual(temps(base), []);
  }
});

test('output paths through the CLI: exit 2, one line, before any work, nothing written', () => {
  const base = join(sandbox, 'cli-paths');
  mkdirSync(join(base, 'folder'), { recursive: true });
  writeFileSync(join(base, 'file'), 'x');
  const model = join(base, 'tiny.onnx');
  saveModel(buildTinyDetector('float'), model);
  // (The other shapes of bad path are the seeded cases above; two spawns keep this test fast.)
  for (const args of [
    ['quantize', '--model', model, '--scheme', 'w4a16', '-o', join(base, 'q.onnx'), '--plan', join(base, 'file', 'p.json')],
    ['eval', '--model', model, '--coco', join(base, 'i.json'), '--images', base, '--detections', join(base, 'folder')],
  ]) {
    const r = runCli(args);
    assert.ok(isCleanInputError(r), `${args.join(' ')}: ${JSON.stringify(r)}`);
  }
  assert.deepEqual(readdirSync(base).sort(), ['file', 'folder', 'tiny.onnx']);
  assert.deepEqual(readdirSync(join(base, 'folder')), []);
});

test('external data: damaged side files are one InputError; valid ones are read next to the model, never the working directory', () => {
  const root = join(sandbox, 'external');
  mkdirSync(root);
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    for (let k = 0; k < 12; k++) {
      const dir = join(root, `case${k}`);
      mkdirSync(dir);
      const path = join(dir, 'm.onnx');
      saveModel(buildTinyDetector('float'), path, { externalData: { location: 'm.data', sizeThreshold: 16 + int(200) } });
      const damage = int(5);
      if (damage === 0) {
        truncateSync(join(dir, 'm.data'), int(readFileSync(join(dir, 'm.data')).length));
      } else if (damage === 1) {
        writeFileSync(join(dir, 'm.data'), '');
      } else if (damage === 2) {
        const m = modelFromBytes(readFileSync(path));
        const t = m.graph!.initializers.find((x) => x.external)!;
        const location = pick(['/etc/passwd', '../m.data', 'missing.data', '']);
        t.external!.location = location;
        t.external!.entries = t.external!.entries.map(([key, v]) => [key, key === 'location' ? location : v]);
        writeFileSync(path, modelToBytes(m));
      }
      const ok = damage >= 3;
      for (const read of [() => loadModel(path), () => loadModelBytes(path)]) {
        if (ok) read();
        else assert.throws(read, oneLineInputError, `case ${k}, damage ${damage}`);
      }
      if (ok) {
        const inline = modelFromBytes(loadModelBytes(path));
        assert.ok(inline.graph!.initializers.every((t) => !t.external && t.data.byteLength > 0));
      }
    }
  } finally {
    process.chdir(cwd);
  }
});

test('external data through the CLI: quantize from another folder reads the weights next to the model', () => {
  const dir = join(sandbox, 'external-cli');
  mkdirSync(dir);
  saveModel(buildTinyDetector('float'), join(dir, 'inline.onnx'));
  saveModel(buildTinyDetector('float'), join(dir, 'ext.onnx'), { externalData: { location: 'ext.onnx.data', sizeThreshold: 64 } });
  const other = runCli(['quantize', '--model', join(dir, 'ext.onnx'), '--scheme', 'w4a16', '-o', join(dir, 'from-other.onnx')], {
    cwd: tmpdir(),
  });
  assert.equal(other.code, 0, other.stderr);
  const inline = runCli(['quantize', '--model', 'inline.onnx', '--scheme', 'w4a16', '-o', 'from-inline.onnx'], { cwd: dir });
  assert.equal(inline.code, 0, inline.stderr);
  // The weights were read: the same quantized model as from the inline file.
  const want = readFileSync(join(dir, 'from-inline.onnx'));
  assert.ok(readFileSync(join(dir, 'from-other.onnx')).equals(want));
});

test('non-finite weights: check names the node, quantize refuses, --allow-nonfinite keeps them float (16 seeded cases)', async () => {
  const names = buildTinyDetector('float').graph!.initializers.map((t) => t.name);
  for (let k = 0; k < 16; k++) {
    const name = pick(names);
    const value = pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    const model = poison(buildTinyDetector('float'), name, int(1000), value);
    const layer = name.split('.')[0]!;
    const finding = checkModel(model).findings.find((f) => f.rule === 'non-finite-value');
    assert.equal(finding?.severity, 'error', `${name} = ${value}`);
    assert.equal(finding?.node, layer);
    const bytes = modelToBytes(model);
    await assert.rejects(
      makePlan(bytes, { scheme: 'w4a16' }),
      (e: unknown) => oneLineInputError(e) && (e as Error).message.includes(layer),
    );
    const { plan } = await makePlan(bytes, { scheme: pick(['w4a16', 'w8a16'] as const), nonFinite: 'keep-float' });
    assert.ok(plan.float.some((f) => f.node === layer));
    assert.ok(plan.weights.every((w) => w.node !== layer && w.scales.every(Number.isFinite)));
  }
});

test('JSON that is not a COCO file (null, lists, nulls inside) is one InputError for calibration and evaluation', async () => {
  const dir = join(sandbox, 'json');
  mkdirSync(dir);
  const values: unknown[] = [
    null,
    0,
    'images',
    true,
    [],
    [null],
    {},
    { images: null },
    { images: [null] },
    { images: [{}] },
    { images: [{ file_name: 5 }] },
    { images: 'a.jpg' },
    { images: [{ file_name: 'a.jpg', id: null }], annotations: null },
  ];
  for (const [i, v] of values.entries()) {
    const path = join(dir, `${i}.json`);
    writeFileSync(path, JSON.stringify(v));
    const calibrationOk = (() => {
      try {
        cocoImagePaths(path);
        return true;
      } catch (e) {
        assert.ok(oneLineInputError(e), `${JSON.stringify(v)}: ${e}`);
        return false;
      }
    })();
    assert.equal(calibrationOk, i === values.length - 1, JSON.stringify(v));
    await assert.rejects(readCocoGroundTruth(path), oneLineInputError, JSON.stringify(v));
  }
  const model = join(dir, 'tiny.onnx');
  saveModel(buildTinyDetector('float'), model);
  const r = runCli(['quantize', '--model', model, '--scheme', 'w4a8', '--calib', join(dir, '0.json'), '-o', join(dir, 'q.onnx')]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.ok(!existsSync(join(dir, 'q.onnx')));
  assert.deepEqual(
    temps(sandbox).map((p) => relative(sandbox, p)),
    [],
  );
});
