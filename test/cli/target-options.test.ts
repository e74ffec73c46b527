import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTargetDefaults } from '../../src/cli/commands/target-options.js';
import { InputError } from '../../src/errors.js';

const args = (values: Record<string, string | boolean>) => ({
  values: { ...values } as Record<string, string | boolean | undefined>,
  positionals: [],
});

test('--target fills the options it implies and leaves the rest alone', () => {
  const trt = args({ target: 'tensorrt' });
  applyTargetDefaults(trt, 'w4a16', { planning: true });
  assert.deepEqual(trt.values, {
    target: 'tensorrt',
    format: 'qdq',
    'act-dtype': 'fp16',
    granularity: 'per-channel',
    'asym-weights': 'off',
    'act-mode': 'symmetric',
  });
  const cuda = args({ target: 'ort-cuda' });
  applyTargetDefaults(cuda, 'w4a8', { planning: true });
  assert.deepEqual(cuda.values, { target: 'ort-cuda', format: 'int4-cuda' });
  const cpu8 = args({ target: 'ort-cpu' });
  applyTargetDefaults(cpu8, 'w8a16', { planning: false });
  assert.deepEqual(cpu8.values, { target: 'ort-cpu', format: 'qdq', 'act-dtype': 'fp32' });
  assert.equal(applyTargetDefaults(args({}), 'w4a8', { planning: true }), undefined);
});

test('an explicit option the target cannot take is refused before any work', () => {
  const refused = (values: Record<string, string | boolean>, re: RegExp) =>
    assert.throws(
      () => applyTargetDefaults(args(values), 'w4a8', { planning: true }),
      (e: unknown) => e instanceof InputError && re.test(e.message),
    );
  refused({ target: 'tensorrt', 'asym-weights': 'on' }, /--asym-weights on: --target tensorrt needs --asym-weights off/);
  refused({ target: 'tensorrt', format: 'int4' }, /--format int4: --target tensorrt needs --format qdq/);
  refused({ target: 'tensorrt', granularity: 'block:16' }, /--granularity block:16: --target tensorrt/);
  refused({ target: 'tensorrt', 'act-mode': 'asymmetric' }, /--act-mode asymmetric/);
  refused({ target: 'ort-cpu', 'cuda-layout': true }, /--cuda-layout: --target ort-cpu writes --format int4/);
  refused({ target: 'jetson' }, /--target jetson: expected one of ort-cpu, ort-cpu-integer, ort-cuda, tensorrt, brevitas/);
});
