import * as ort from 'onnxruntime-node';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/util/seeded-random.js';

/** A seeded input for the example detector: "images" [1,3,32,32] in [-1, 1). */
export function tinyInput(seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1);
}

/** Run an example-detector-shaped model in ORT (optimizations off: outputs reflect the graph as written). */
export async function runTiny(model: Model, input: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(modelToBytes(model), { graphOptimizationLevel: 'disabled' });
  const out = await s.run({ images: new ort.Tensor('float32', input, [1, 3, 32, 32]) });
  await s.release();
  return out.output!.data as Float32Array;
}
