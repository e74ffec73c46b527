import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { inferShapes } from '../../../src/onnx/shape/infer.js';
import { formatShape } from '../../../src/onnx/shape/dims.js';
import { sharedDataDir } from '../../helpers/paths.js';
import { compareWithOrt } from './ort-shapes.js';

/** Shape inference on the shared YOLO models (skipped, saying so, when ../shared/data is absent). */

const MODELS = [
  { file: 'yolox_nano.onnx', output: [1, 3549, 85] },
  { file: 'yolov5n_fp16.onnx', output: [1, 25200, 85] },
];

for (const { file, output } of MODELS) {
  const path = join(sharedDataDir, 'models', file);
  const skip = existsSync(path) ? false : `${path} not found (set YOLOQ_SHARED_DATA to the shared data folder)`;
  let cached: Model | undefined;
  const model = () => (cached ??= loadModel(path));

  test(`${file}: every Conv output is static and the graph output is ${formatShape(output)}, without value_info`, { skip }, () => {
    const m = model();
    const before = modelToBytes(m);
    const shapes = inferShapes(m, { useDeclared: false });
    const graph = m.graph!;
    for (const node of graph.nodes.filter((n) => n.opType === 'Conv')) {
      const s = shapes.get(node.outputs[0]!)?.shape;
      assert.ok(
        s?.every((d) => typeof d === 'number'),
        `${node.name}: ${formatShape(s)}`,
      );
    }
    for (const node of graph.nodes) for (const out of node.outputs) assert.ok(shapes.has(out), `${node.opType} ${out} not inferred`);
    const out = graph.outputs[0]!;
    assert.deepEqual(shapes.get(out.name), { elemType: out.type!.elemType, shape: output });
    assert.deepEqual(out.type!.shape, output);
    assert.ok(Buffer.from(modelToBytes(m)).equals(Buffer.from(before)), 'model was modified');
  });

  test(`${file}: inferred types equal the value_info the file declares`, { skip }, () => {
    const m = model();
    const shapes = inferShapes(m, { useDeclared: false });
    for (const v of m.graph!.valueInfo) {
      if (!v.type) continue;
      assert.deepEqual(shapes.get(v.name), { elemType: v.type.elemType, shape: v.type.shape }, v.name);
    }
  });

  test(`${file}: every static inferred shape matches ONNX Runtime's actual output`, { skip }, async () => {
    const m = model();
    const { compared, mismatches } = await compareWithOrt(m);
    assert.deepEqual(mismatches, []);
    const values = m.graph!.nodes.reduce((n, node) => n + node.outputs.length, 0);
    assert.equal(compared, values, 'every node output should have a static inferred shape');
  });
}
