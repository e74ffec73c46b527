import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { outputFields, type OutputFields } from '../../../src/quant/policy/output-fields.js';
import { FieldNoise } from '../../../src/quant/policy/sensitivity.js';

/** The tiny detector's graph with the image input and one output of the given shapes (only the signature matters). */
function withSignature(input: number[], output: number[]): Model {
  const m = buildTinyDetector('float');
  const g = m.graph!;
  return {
    ...m,
    graph: {
      ...g,
      inputs: [{ name: 'images', type: { elemType: DataType.FLOAT, shape: input } }],
      outputs: [{ name: 'out', type: { elemType: DataType.FLOAT, shape: output } }],
    },
  };
}

const groups = (f: ReturnType<typeof outputFields>, n: number) => Array.from({ length: n }, (_, k) => (f as OutputFields).groupOf(k));

test('output fields: box / objectness / classes for YOLOX and YOLOv5, box / classes for YOLOv8 (axis 1) and a cut end-to-end graph', () => {
  const yolox = outputFields(withSignature([1, 3, 416, 416], [1, 3549, 85]), false) as OutputFields;
  assert.equal(yolox!.axis, 2);
  assert.equal(yolox!.output, 'out');
  assert.deepEqual(groups(yolox, 8), [0, 0, 0, 0, 1, 2, 2, 2]);
  assert.equal(yolox!.pixelBoxes, undefined, 'YOLOX boxes are grid-relative: pooled');
  const v5 = outputFields(withSignature([1, 3, 640, 640], [1, 25200, 85]), false) as OutputFields;
  assert.deepEqual(groups(v5, 6), [0, 0, 0, 0, 1, 2]);
  assert.deepEqual(v5!.pixelBoxes, { objectness: true, firstClass: 5 });
  const v8 = outputFields(withSignature([1, 3, 640, 640], [1, 84, 8400]), false) as OutputFields;
  assert.equal(v8!.axis, 1);
  assert.deepEqual(groups(v8, 6), [0, 0, 0, 0, 1, 1]);
  assert.deepEqual(v8!.pixelBoxes, { objectness: false, firstClass: 4 });
  // A cut YOLOv10 graph would pass for YOLOX by shape; the caller's cut flag decides.
  const cut = outputFields(withSignature([1, 3, 640, 640], [1, 8400, 84]), true) as OutputFields;
  assert.deepEqual([cut!.axis, ...groups(cut, 6)], [2, 0, 0, 0, 0, 1, 1]);
  assert.equal(outputFields(buildTinyDetector('float'), false), 'per-tensor', 'an output no family describes: every output tensor whole');
});

test('field noise per tensor: each output one group, relative noise averaged over the outputs', () => {
  const m = new FieldNoise('per-tensor');
  // Output a: Σd² = 0.25 + 0.01, Σref² = 4 + 0.01 + 9; output b: Σd² = 1, Σref² = 100.
  m.add('a', Float32Array.from([2, 0.1, 3]), Float32Array.from([2.5, 0.2, 3]), [1, 3]);
  m.add('b', Float32Array.from([10, 0]), Float32Array.from([11, 0]), [1, 1, 2]);
  const want = (0.26 / 13.01 + 1 / 100) / 2;
  assert.ok(Math.abs(m.relative() - want) < 1e-9, `${m.relative()} vs ${want}`);
});

test('field noise: hand-computed pooling per group, per column without fields, fields on axis 1', () => {
  // [1, 2 anchors, 6 fields]: box 0-3, objectness 4, one class 5.
  const ref = Float32Array.from([1, 1, 1, 1, 0.5, 0.01, 3, 3, 3, 3, 0.5, 0.9]);
  const q = Float32Array.from([1, 1, 1, 1.5, 0.5, 0.11, 3, 3, 3, 3, 0.5, 0.9]);
  const pooled = new FieldNoise({ output: 'o', axis: 2, groupOf: (f) => (f < 4 ? 0 : f === 4 ? 1 : 2) });
  pooled.add('o', ref, q, [1, 2, 6]);
  // box: 0.25 / (4·1 + 4·9) ; objectness: 0 ; class: 0.01 / (0.0001 + 0.81)
  const want = (0.25 / 40 + 0 + 0.01 / 0.8101) / 3;
  assert.ok(Math.abs(pooled.relative() - want) < 1e-9, `${pooled.relative()} vs ${want}`);
  const perColumn = new FieldNoise();
  perColumn.add('o', ref, q, [1, 2, 6]);
  // Fields describe one named output; any other output is pooled per column.
  const other = new FieldNoise({ output: 'boxes', axis: 2, groupOf: (f) => (f < 4 ? 0 : f === 4 ? 1 : 2) });
  other.add('o', ref, q, [1, 2, 6]);
  assert.equal(other.relative(), perColumn.relative());
  // columns 0-2 and 4: 0; column 3: 0.25 / 10; column 5: 0.01 / 0.8101
  const wantCol = (0.25 / 10 + 0.01 / 0.8101) / 6;
  assert.ok(Math.abs(perColumn.relative() - wantCol) < 1e-9);
  // The same numbers laid out [1, fields, anchors] with axis 1 pool identically.
  const t = (a: Float32Array) => Float32Array.from({ length: 12 }, (_, i) => a[(i % 2) * 6 + Math.floor(i / 2)]!);
  const transposed = new FieldNoise({ output: 'o', axis: 1, groupOf: (f) => (f < 4 ? 0 : f === 4 ? 1 : 2) });
  transposed.add('o', t(ref), t(q), [1, 6, 2]);
  assert.ok(Math.abs(transposed.relative() - want) < 1e-9);
});

test('field noise, pixel boxes: box error relative to the float box size, weighted by the float confidence', () => {
  // [1, 2 anchors, 6 fields]: cx, cy, w, h (pixels), objectness, one class.
  const ref = Float32Array.from([100, 100, 30, 40, 0.5, 0.8, 600, 600, 300, 400, 0.1, 0.1]);
  const q = Float32Array.from([103, 100, 30, 40, 0.5, 0.8, 600, 590, 300, 400, 0.1, 0.1]);
  const fields = {
    output: 'o',
    axis: 2,
    groupOf: (f: number) => (f < 4 ? 0 : f === 4 ? 1 : 2),
    pixelBoxes: { objectness: true, firstClass: 5 },
  };
  const m = new FieldNoise(fields);
  m.add('o', ref, q, [1, 2, 6]);
  // Confidences 0.4 and 0.01; box term (0.4·9 + 0.01·100) / (0.4·2500 + 0.01·250000); scores unchanged.
  const box = (0.4 * 9 + 0.01 * 100) / (0.4 * 2500 + 0.01 * 250000);
  assert.ok(Math.abs(m.relative() - box / 3) < 1e-9, `${m.relative()} vs ${box / 3}`);
  // Channel-major ([1, fields, anchors], YOLOv8 without objectness): confidence is the best class score alone.
  const t = (a: Float32Array) => Float32Array.from({ length: 12 }, (_, i) => a[(i % 2) * 6 + Math.floor(i / 2)]!);
  const v8 = new FieldNoise({
    output: 'o',
    axis: 1,
    groupOf: (f: number) => (f < 4 ? 0 : 1),
    pixelBoxes: { objectness: false, firstClass: 4 },
  });
  v8.add('o', t(ref), t(q), [1, 6, 2]);
  // Classes here are fields 4 and 5: best of (0.5, 0.8) = 0.8 and of (0.1, 0.1) = 0.1.
  const box8 = (0.8 * 9 + 0.1 * 100) / (0.8 * 2500 + 0.1 * 250000);
  assert.ok(Math.abs(v8.relative() - box8 / 2) < 1e-9, `${v8.relative()} vs ${box8 / 2}`);
});
