import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { annotateShapesPass } from '../../../src/onnx/passes/annotate-shapes.js';
import { eliminateDeadNodesPass } from '../../../src/onnx/passes/eliminate-dead-nodes.js';
import { PassProperty } from '../../../src/onnx/passes/pass.js';
import { runPasses } from '../../../src/onnx/passes/pass-manager.js';
import { topologicalSortPass } from '../../../src/onnx/passes/topological-sort.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { sharedDataDir } from '../../helpers/paths.js';

const F = DataType.FLOAT;

test('annotate-shapes adds value_info for intermediates once', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [1, 3, 8, 8]);
  const pooled = b.op('MaxPool', [x], { attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
  const y = b.op('Relu', [pooled]);
  b.output(y, F, [1, 3, 4, 4]);
  const m = b.model(13);
  const r = annotateShapesPass().run(m);
  assert.equal(r.modified, true);
  assert.deepEqual(r.model.graph!.valueInfo, [{ name: pooled, type: { elemType: F, shape: [1, 3, 4, 4] } }]);
  assert.deepEqual(m.graph!.valueInfo, []);
  const again = annotateShapesPass().run(r.model);
  assert.equal(again.modified, false);
  assert.equal(again.model, r.model);
});

const v5 = join(sharedDataDir, 'models', 'yolov5n_fp16.onnx');
const skip = existsSync(v5) ? false : `${v5} not found`;

test('the standard pipeline on yolov5n_fp16: sorted, nothing dead, every intermediate annotated, ORT loads it', { skip }, async () => {
  const m = loadModel(v5);
  const r = runPasses(m, [topologicalSortPass(), eliminateDeadNodesPass(), annotateShapesPass()]);
  assert.deepEqual(
    r.ran.map((p) => [p.name, p.modified]),
    [
      ['topological-sort', false],
      ['eliminate-dead-nodes', false],
      ['annotate-shapes', true],
    ],
  );
  assert.ok(r.properties.has(PassProperty.ShapesAnnotated) && r.properties.has(PassProperty.TopologicallySorted));
  const g = r.model.graph!;
  const outputs = new Set(g.outputs.map((v) => v.name));
  const annotated = new Set(g.valueInfo.map((v) => v.name));
  for (const n of g.nodes) for (const o of n.outputs) if (!outputs.has(o)) assert.ok(annotated.has(o), `${o} has no value_info`);
  assert.ok(g.valueInfo.every((v) => v.type?.shape?.every((d) => typeof d === 'number')));
  assert.equal(m.graph!.valueInfo.length, 0, 'the loaded model is untouched');
  const session = await ort.InferenceSession.create(modelToBytes(r.model), { logSeverityLevel: 3 });
  assert.deepEqual(session.outputNames, ['output0']);
  await session.release();
});
