import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Graph } from '../../../src/onnx/ir/graph.js';
import { topologicalSortPass } from '../../../src/onnx/passes/topological-sort.js';

const F = DataType.FLOAT;
const pass = topologicalSortPass();

test('a sorted graph comes back as the same model, unmodified', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  b.output(b.op('Relu', [b.op('Neg', [x])]), F);
  const m = b.model(13);
  const r = pass.run(m);
  assert.equal(r.modified, false);
  assert.equal(r.model, m);
});

test('an unsorted graph is sorted stably and the input is untouched', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  b.node('Add', ['p', 'q'], ['y'], { name: 'add' });
  b.node('Relu', ['x'], ['q'], { name: 'q' });
  b.node('Neg', [x], ['p'], { name: 'p' });
  b.node('Abs', [x], ['free'], { name: 'free' });
  b.output('y', F);
  const m = b.model(13);
  const before = m.graph!.nodes.map((n) => n.name);
  const r = pass.run(m);
  assert.equal(r.modified, true);
  // ready in file order: q (1), p (2), free (3); add becomes ready once q and p are done
  assert.deepEqual(
    r.model.graph!.nodes.map((n) => n.name),
    ['q', 'p', 'add', 'free'],
  );
  assert.deepEqual(
    m.graph!.nodes.map((n) => n.name),
    before,
  );
  assert.equal(r.model.graph!.initializers, m.graph!.initializers, 'unchanged parts are shared');
});

test('a cycle is an InputError naming the nodes', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  b.node('Add', [x, 'b'], ['a'], { name: 'first' });
  b.node('Relu', ['a'], ['b'], { name: 'second' });
  b.node('Neg', ['b'], ['c'], { name: 'behind' });
  assert.throws(
    () => pass.run(b.model(13)),
    (e: unknown) => e instanceof InputError && e.message === 'graph "graph" has a cycle: 3 nodes cannot be ordered: first, second, behind',
  );
});

test('values read inside an If body count as inputs of the If node', () => {
  const body = (name: string, op: string): Graph => ({
    name,
    nodes: [{ opType: op, inputs: ['outer'], outputs: [`${name}_y`], attributes: [] }],
    inputs: [],
    outputs: [{ name: `${name}_y`, type: { elemType: F, shape: [2] } }],
    valueInfo: [],
    initializers: [],
  });
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  const cond = b.input('cond', DataType.BOOL, []);
  b.graph.nodes.push({
    opType: 'If',
    name: 'if',
    inputs: [cond],
    outputs: ['y'],
    attributes: [
      { name: 'then_branch', typeCode: 5, value: { kind: 'graph', value: body('then', 'Relu') } },
      { name: 'else_branch', typeCode: 5, value: { kind: 'graph', value: body('else', 'Neg') } },
    ],
  });
  b.node('Abs', [x], ['outer'], { name: 'producer' });
  const r = pass.run(b.model(13));
  assert.deepEqual(
    r.model.graph!.nodes.map((n) => n.name),
    ['producer', 'if'],
  );
});
