import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { DEFAULTS, parseVariants, readConfigFile, resolveConfig } from '../../src/pipeline/config.js';
import { parseYamlLite } from '../../src/pipeline/yaml-lite.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-config-'));

test('yaml-lite: scalars, inline and block lists, one nested mapping, comments, JSON', () => {
  const text = [
    '# a run',
    'model: "models/a b.onnx"  # quoted',
    'variants: [fp32, w4a8]',
    'runs: 20',
    'ratio: 0.5',
    'flag: true',
    'nothing: ~',
    'calib:',
    '  - x',
    '  - y',
    'bench:',
    '  warmup: 3',
    '  names:',
    "  tag: 'it''s'",
  ].join('\n');
  assert.deepEqual(parseYamlLite(text, 'f'), {
    model: 'models/a b.onnx',
    variants: ['fp32', 'w4a8'],
    runs: 20,
    ratio: 0.5,
    flag: true,
    nothing: null,
    calib: ['x', 'y'],
    bench: { warmup: 3, names: null, tag: "it's" },
  });
  assert.deepEqual(parseYamlLite('{"runs": 3}', 'f'), { runs: 3 });
  for (const bad of ['a: 1\na: 2', '  a: 1', 'a: &anchor 1', '- x', 'a: [1, 2', 'key value', 'a:\n  b:\n    c: 1']) {
    assert.throws(
      () => parseYamlLite(bad, 'run.yaml'),
      (e: unknown) => e instanceof InputError && /run\.yaml:\d+/.test((e as Error).message),
      bad,
    );
  }
});

test('variants: default formats per EP, NAME:FORMAT, errors', () => {
  assert.deepEqual(
    parseVariants('fp32,w8a16,w8a8,w4a16,w4a8', 'cpu').map((v) => [v.id, v.kind === 'ptq' ? v.format : '']),
    [
      ['fp32', ''],
      ['w8a16', 'qdq'],
      ['w8a8', 'qdq'],
      ['w4a16', 'int4'],
      ['w4a8', 'int4'],
    ],
  );
  assert.deepEqual(
    parseVariants('w4a8', 'tensorrt').map((v) => (v.kind === 'ptq' ? v.format : '')),
    ['qdq'],
  );
  assert.deepEqual(
    parseVariants('w4a8,w4a8:qcdq', 'cpu').map((v) => v.id),
    ['w4a8', 'w4a8-qcdq'],
  );
  assert.deepEqual(parseVariants('qat-w4a8', 'cpu')[0], { id: 'qat-w4a8', name: 'qat-w4a8', kind: 'qat', scheme: 'w4a8' });
  for (const bad of ['w3a8', 'w4a8:zip', 'fp32:int4', 'w4a8,w4a8', '']) assert.throws(() => parseVariants(bad, 'cpu'), InputError, bad);
});

test('resolveConfig: defaults, then the file, then the command line; inputs that do not fit together are refused', () => {
  const d = resolveConfig({});
  assert.equal(d.model, undefined);
  assert.deepEqual(
    d.variants.map((v) => v.id),
    ['fp32', 'w8a16', 'w8a8', 'w4a16', 'w4a8'],
  );
  assert.equal(d.ep, 'cpu');
  assert.equal(d.runs, DEFAULTS.runs);
  const file = join(dir, 'run.yaml');
  writeFileSync(file, 'variants: [fp32, w4a16]\nrunsx: 3\n');
  assert.throws(() => readConfigFile(file), /unknown key runsx/);
  writeFileSync(file, 'variants:\n  - fp32\n  - w4a16\nwarmup: 2\nsyntheticVal: 10\n');
  const fromFile = readConfigFile(file);
  const c = resolveConfig({ ...fromFile, warmup: '4' });
  assert.deepEqual([c.variants.map((v) => v.id), c.warmup, c.syntheticVal], [['fp32', 'w4a16'], 4, 10]);
  assert.throws(() => resolveConfig({ model: 'm.onnx' }), /--coco/);
  assert.throws(() => resolveConfig({ model: 'm.onnx', coco: 'i.json' }), /--calib/);
  assert.doesNotThrow(() => resolveConfig({ model: 'm.onnx', coco: 'i.json', variants: 'fp32,w4a16' }));
  assert.throws(() => resolveConfig({ ep: 'tpu' }), /ep tpu/);
  assert.throws(() => resolveConfig({ runs: '0' }), /runs 0/);
});

test('numbers are strict, and --max-images 0 is refused as in `yoloq eval` (not "all")', () => {
  for (const [key, value] of [
    ['max-images', '0'],
    ['calib-count', '0x2'],
    ['calib-count', ' 2 '],
    ['runs', '1e1'],
    ['warmup', ''],
    ['workers', '0'],
  ] as const) {
    assert.throws(
      () => resolveConfig({ [key]: value }),
      (e: unknown) => e instanceof InputError && e.message.startsWith(`${key} `),
      `${key}=${JSON.stringify(value)}`,
    );
  }
  assert.equal(resolveConfig({ 'max-images': '5', 'calib-count': 12 }).maxImages, 5);
  assert.equal(resolveConfig({}).maxImages, undefined);
  assert.equal(resolveConfig({}).workers, 1);
  assert.equal(resolveConfig({ workers: '2' }).workers, 2);
});

test("--target: variants take the target row's formats and its EP; a contradicting --ep is refused", async () => {
  const { resolveConfig } = await import('../../src/pipeline/config.js');
  const trt = resolveConfig({ target: 'tensorrt', variants: 'fp32,w4a16,w8a16' });
  assert.equal(trt.ep, 'tensorrt');
  assert.equal(trt.target, 'tensorrt');
  assert.deepEqual(
    trt.variants.map((v) => [v.id, v.kind === 'ptq' ? v.format : '']),
    [
      ['fp32', ''],
      ['w4a16', 'qdq'],
      ['w8a16', 'qdq'],
    ],
  );
  const brevitas = resolveConfig({ target: 'brevitas', variants: 'w4a16' });
  assert.deepEqual([brevitas.ep, brevitas.variants[0]!.kind === 'ptq' && brevitas.variants[0]!.format], ['cpu', 'qcdq']);
  assert.throws(
    () => resolveConfig({ target: 'ort-cuda', ep: 'cpu' }),
    (e: unknown) => e instanceof InputError && /--ep cpu: --target ort-cuda runs on the cuda EP/.test(e.message),
  );
  assert.equal(resolveConfig({}).target, undefined);
});
