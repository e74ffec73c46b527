import type { Model } from '../../src/onnx/ir/graph.js';

/** Set element `index` of FLOAT initializer `name` to `value` (NaN, ±Infinity): a model damaged on disk or in training. */
export function poison(model: Model, name: string, index: number, value: number): Model {
  const t = model.graph!.initializers.find((x) => x.name === name)!;
  const f = new Float32Array(t.data.byteLength / 4);
  new Uint8Array(f.buffer).set(t.data);
  f[index % f.length] = value;
  t.data = new Uint8Array(f.buffer);
  t.field = 'raw_data';
  return model;
}
