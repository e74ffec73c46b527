import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { applyPass, PassError, runPasses } from '../../../src/onnx/passes/pass-manager.js';
import type { Pass } from '../../../src/onnx/passes/pass.js';
import { passByName, passFactories } from '../../../src/onnx/passes/registry.js';

function model(): Model {
  const b = new GraphBuilder();
  const x = b.input('x', DataType.FLOAT, [2]);
  b.output(b.op('Relu', [x]), DataType.FLOAT, [2]);
  return b.model(13);
}

/** A pass that renames the graph (a visible, non-mutating change) and records that it ran. */
function renamer(name: string, spec: Partial<Pass> = {}, log: string[] = []): Pass {
  return {
    name,
    description: `renames the graph to ${name}`,
    run(m) {
      log.push(name);
      return { model: { ...m, graph: { ...m.graph!, name } }, modified: true };
    },
    ...spec,
  };
}

function noop(name: string, spec: Partial<Pass> = {}): Pass {
  return { name, description: 'does nothing', run: (m) => ({ model: m, modified: false }), ...spec };
}

test('passes run in order; the result records each one and the input model is untouched', () => {
  const log: string[] = [];
  const m = model();
  const r = runPasses(m, [renamer('a', {}, log), noop('n'), renamer('b', {}, log)]);
  assert.deepEqual(log, ['a', 'b']);
  assert.equal(r.model.graph!.name, 'b');
  assert.equal(m.graph!.name, 'graph');
  assert.deepEqual(
    r.ran.map((x) => [x.name, x.modified]),
    [
      ['a', true],
      ['n', false],
      ['b', true],
    ],
  );
  assert.equal(r.modified, true);
  assert.equal(runPasses(m, [noop('n')]).model, m);
  assert.equal(runPasses(m, []).modified, false);
});

test('requires are met by an earlier pass or by what the caller provides', () => {
  const m = model();
  const needs = noop('needs', { requires: ['sorted'] });
  assert.throws(() => runPasses(m, [needs]), /pass "needs" requires sorted, which no earlier pass ensures \(no passes ran before it\)/);
  assert.doesNotThrow(() => runPasses(m, [noop('sorter', { ensures: ['sorted'] }), needs]));
  assert.doesNotThrow(() => runPasses(m, [needs], { provided: ['sorted'] }));
  const r = runPasses(m, [noop('sorter', { ensures: ['sorted'] })], { provided: ['x'] });
  assert.deepEqual([...r.properties].sort(), ['sorted', 'x']);
});

test('a modifying pass drops the properties it does not preserve', () => {
  const m = model();
  const sorter = noop('sorter', { ensures: ['sorted'] });
  const needs = noop('needs', { requires: ['sorted'] });
  assert.throws(() => runPasses(m, [sorter, renamer('breaks'), needs]), /requires sorted.*after sorter → breaks/);
  assert.doesNotThrow(() => runPasses(m, [sorter, renamer('keeps', { preserves: ['sorted'] }), needs]));
  assert.doesNotThrow(() => runPasses(m, [sorter, renamer('keepsAll', { preserves: 'all' }), needs]));
  assert.doesNotThrow(() => runPasses(m, [sorter, noop('unchanged'), needs]), 'an unmodifying pass breaks nothing');
});

test('a failing pass is named, with the passes that ran before it', () => {
  const boom: Pass = {
    name: 'boom',
    description: 'fails',
    run: () => {
      throw new RangeError('index 7 out of range');
    },
  };
  let caught: unknown;
  try {
    runPasses(model(), [noop('first'), renamer('second'), boom, noop('never')]);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof PassError);
  assert.equal(caught.message, 'pass "boom" failed (after first → second): index 7 out of range');
  assert.equal(caught.passName, 'boom');
  assert.deepEqual(caught.ranBefore, ['first', 'second']);
  assert.ok(caught.cause instanceof RangeError);
});

test('an InputError from a pass stays an InputError; a pass returning nothing is reported', () => {
  const bad: Pass = {
    name: 'bad-input',
    description: '',
    run: () => {
      throw new InputError('cycle');
    },
  };
  assert.throws(
    () => runPasses(model(), [bad]),
    (e: unknown) => e instanceof InputError && /pass "bad-input" failed \(no passes ran before it\): cycle/.test(e.message),
  );
  const empty = { name: 'empty', description: '', run: () => undefined } as unknown as Pass;
  assert.throws(() => runPasses(model(), [empty]), /pass "empty" failed.*returned no model/);
});

test('applyPass runs one pass through the manager; what a pass counts is kept in its record', () => {
  const m = model();
  assert.equal(applyPass(m, renamer('r')).graph!.name, 'r');
  assert.equal(applyPass(m, noop('n')), m);
  assert.throws(() => applyPass(m, noop('needs', { requires: ['sorted'] })), /pass "needs" requires sorted/);
  const counter: Pass = { name: 'counter', description: 'counts', run: (x) => ({ model: x, modified: false, counts: { seen: 3 } }) };
  const r = runPasses(m, [counter, noop('n')]);
  assert.deepEqual(
    r.ran.map((x) => x.counts),
    [{ seen: 3 }, undefined],
  );
});

test('the registry builds every pass by name and rejects unknown names', () => {
  for (const name of Object.keys(passFactories)) assert.equal(passByName(name).name, name);
  assert.throws(
    () => passByName('fold-everything'),
    (e: unknown) => e instanceof InputError && /known passes: topological-sort/.test(e.message),
  );
});
