import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkModel } from '../../../src/check/check-model.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { makeTensor } from '../../../src/onnx/ir/tensor.js';
import { poison } from '../../helpers/poison.js';

const nonFinite = (m: ReturnType<typeof buildTinyDetector>) => checkModel(m).findings.filter((f) => f.rule === 'non-finite-value');

test('NaN or Inf in a Conv weight or bias is an error naming the node that reads it', () => {
  for (const [name, value] of [
    ['down.weight', Number.NaN],
    ['stem.weight', Number.POSITIVE_INFINITY],
    ['head.bias', Number.NEGATIVE_INFINITY],
  ] as const) {
    const r = checkModel(poison(buildTinyDetector('float'), name, 5, value));
    const f = r.findings.find((x) => x.rule === 'non-finite-value');
    assert.ok(r.errors >= 1 && f?.severity === 'error', name);
    assert.equal(f!.node, name.split('.')[0]);
    assert.match(
      f!.message,
      new RegExp(`"${name.replace('.', '\\.')}" holds 1 (NaN|\\+Inf|-Inf) value \\(read by ${name.split('.')[0]}\\)`),
    );
  }
  assert.deepEqual(nonFinite(buildTinyDetector('float')), [], 'a clean model has no such finding');
});

test('-Inf outside a weight (a mask, a Clip bound) is only a warning; NaN anywhere is an error', () => {
  const build = (value: number) => {
    const b = new GraphBuilder('mask');
    const x = b.input('x', DataType.FLOAT, [1, 4]);
    const mask = b.tensor(makeTensor('mask', DataType.FLOAT, [1, 4], new Float32Array([0, value, 0, 0])));
    b.node('Add', [x, mask], ['y']);
    b.output('y', DataType.FLOAT, [1, 4]);
    return b.model(13);
  };
  const inf = checkModel(build(Number.NEGATIVE_INFINITY)).findings.filter((f) => f.rule === 'non-finite-value');
  assert.equal(inf.length, 1);
  assert.equal(inf[0]!.severity, 'warning');
  const nan = checkModel(build(Number.NaN)).findings.filter((f) => f.rule === 'non-finite-value');
  assert.equal(nan[0]!.severity, 'error');
});
