import { DataType } from '../../onnx/ir/dtypes.js';
import type { Model } from '../../onnx/ir/graph.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import { StreamingHistogram } from '../observers/histogram.js';

export interface CollectOptions {
  threads?: number;
  onProgress?: (done: number) => void;
}

/** The model with `values` exposed as extra graph outputs (FP32 working graphs: every intermediate is FLOAT). */
export function exposeValues(model: Model, values: readonly string[]): Model {
  const g = model.graph!;
  const present = new Set(g.outputs.map((o) => o.name));
  const extra = values.filter((v) => !present.has(v)).map((name) => ({ name, type: { elemType: DataType.FLOAT } }));
  return { ...model, graph: { ...g, outputs: [...g.outputs, ...extra] } };
}

/**
 * Run the calibration inputs through ONNX Runtime one at a time and stream every requested value into a
 * histogram; memory is bounded by one image's activations plus a fixed-size histogram per value. The models
 * YOLO exports have batch 1 fixed in the input shape, so "batches" are single images.
 */
export async function collectHistograms(
  model: Model,
  values: readonly string[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: CollectOptions = {},
): Promise<Map<string, StreamingHistogram>> {
  const session = await createSession(modelToBytes(exposeValues(model, values)), { threads: options.threads ?? 0 });
  const hist = new Map(values.map((v) => [v, new StreamingHistogram()]));
  let done = 0;
  try {
    for await (const feed of feeds) {
      const out = await session.run(feed, values);
      for (const v of values) hist.get(v)!.add(toFloatTensor(out[v]!).data);
      options.onProgress?.(++done);
    }
  } finally {
    await session.dispose();
  }
  return hist;
}
