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
 * A calibration set's feeds that can be iterated again and again (each pass decodes the images anew) and that
 * remember the histograms a pass collected, per model: a later stage asking for some of the same values of the
 * same model on the same images (range search after calibration) gets them without another ORT pass. Consumers
 * only read the histograms.
 */
export class RememberedFeeds implements AsyncIterable<Record<string, HostTensor>> {
  private readonly passes = new WeakMap<Model, { images: number; hist: Map<string, StreamingHistogram> }>();
  constructor(private readonly source: () => AsyncIterable<Record<string, HostTensor>>) {}
  [Symbol.asyncIterator](): AsyncIterator<Record<string, HostTensor>> {
    return this.source()[Symbol.asyncIterator]();
  }
  /** The histograms of `values` on `model`, when an earlier pass collected every one of them. */
  recall(model: Model, values: readonly string[]): { images: number; hist: Map<string, StreamingHistogram> } | undefined {
    const pass = this.passes.get(model);
    if (!pass || !values.every((v) => pass.hist.has(v))) return undefined;
    return { images: pass.images, hist: new Map(values.map((v) => [v, pass.hist.get(v)!])) };
  }
  remember(model: Model, images: number, hist: Map<string, StreamingHistogram>): void {
    this.passes.set(model, { images, hist });
  }
}

/**
 * Run the calibration inputs through ONNX Runtime one at a time and stream every requested value into a
 * histogram; memory is bounded by one image's activations plus a fixed-size histogram per value. The models
 * YOLO exports have batch 1 fixed in the input shape, so "batches" are single images. With RememberedFeeds, a
 * request an earlier pass covered is answered from it (progress reports its image count at once).
 */
export async function collectHistograms(
  model: Model,
  values: readonly string[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: CollectOptions = {},
): Promise<Map<string, StreamingHistogram>> {
  const recalled = feeds instanceof RememberedFeeds ? feeds.recall(model, values) : undefined;
  if (recalled) {
    options.onProgress?.(recalled.images);
    return recalled.hist;
  }
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
  if (feeds instanceof RememberedFeeds) feeds.remember(model, done, hist);
  return hist;
}
