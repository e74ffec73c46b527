import { InputError } from '../../errors.js';
import { getInt } from '../../onnx/ir/attributes.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { mainGraph, nodeLabel, type Model, type Node } from '../../onnx/ir/graph.js';
import { makeTensor, toFloat32 } from '../../onnx/ir/tensor.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { EqualizationDecision } from '../plan.js';
import { exposeValues } from './collect.js';

/**
 * Per-channel range equalization for depthwise Convs under int8 activations. A per-tensor activation quantizer
 * spends its 256 levels on the widest channel; on YOLOX-nano the input of the first depthwise Conv spans
 * [-0.3, 162] while its median channel spans 20 (8×, three bits lost), and 6 of the 27 values its 30 depthwise
 * Convs read lose two bits or more (`node dist/bench/depthwise-ranges.js`). A depthwise Conv reads each channel with its own filter, so dividing channel c of its input
 * by s_c (an explicit Mul in the graph) and multiplying filter c by s_c computes the same thing — and, with
 * per-channel weight scales, filter c's codes do not change at all. The activation ranges become equal and the
 * quantizer sees no outlier channel. (Cross-layer equalization proper would fold s_c into the producer, which
 * the SiLU between them forbids; the Mul is the price: one elementwise op per depthwise Conv.)
 *
 * Decisions are recorded in the plan and applied to the float working graph before anything else, so the plan's
 * node and tensor names refer to the equalized graph; `applyEqualization` is a pure, deterministic rewrite.
 */

/**
 * Any other Conv can take the same rewrite with its filters scaled along the input-channel axis instead, but then
 * each output channel's 4-bit grid sees rescaled columns: the difficulty moves from the activation into the
 * weights (SmoothQuant's trade-off), so there s_c = (range_c / median)^α with α < 1 splits it.
 */

/** Input channels of a Conv whose weight [Cout, Cin/group, kh, kw] is an initializer. */
function convInputChannels(node: Node, inits: Map<string, { dims: number[] }>): number | undefined {
  if (node.opType !== 'Conv') return undefined;
  const w = inits.get(node.inputs[1] ?? '');
  if (w?.dims.length !== 4) return undefined;
  return w.dims[1]! * getInt(node, 'group', 1);
}

/** A depthwise Conv: group = Cin = Cout, weight [C, 1, kh, kw] from an initializer. */
function depthwise(node: Node, inits: Map<string, { dims: number[] }>): number | undefined {
  if (node.opType !== 'Conv') return undefined;
  const w = inits.get(node.inputs[1] ?? '');
  const group = getInt(node, 'group', 1);
  if (w?.dims.length !== 4 || w.dims[1] !== 1 || group <= 1 || w.dims[0] !== group) return undefined;
  return group;
}

/** Apply equalization decisions: Mul by 1/s before each listed Conv, its filters (and nothing else) times s. */
export function applyEqualization(model: Model, decisions: readonly EqualizationDecision[]): Model {
  if (decisions.length === 0) return model;
  const g = mainGraph(model);
  const labels = g.nodes.map((n, i) => nodeLabel(n, i));
  const byLabel = new Map(decisions.map((d) => [d.node, d]));
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const names = new Set([...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs), ...g.inputs.map((v) => v.name)]);
  const fresh = (base: string) => {
    let n = base;
    for (let i = 1; names.has(n); i++) n = `${base}_${i}`;
    names.add(n);
    return n;
  };
  const initializers = [...g.initializers];
  const nodes: Node[] = [];
  g.nodes.forEach((node, i) => {
    const d = byLabel.get(labels[i]!);
    if (!d) {
      nodes.push(node);
      return;
    }
    const c = convInputChannels(node, inits);
    if (c === undefined || c !== d.scales.length || node.inputs[0] !== d.value) {
      throw new InputError(`plan does not fit the model: ${d.node} is not a Conv of ${d.scales.length} input channels reading ${d.value}`);
    }
    const w = inits.get(node.inputs[1]!)!;
    const wf = toFloat32(w);
    // Element k of [Cout, Cin/g, kh, kw] reads input channel group(o)·Cin/g + (k / (kh·kw)) mod Cin/g.
    const [cout, cinG, kh, kw] = w.dims as [number, number, number, number];
    const taps = kh * kw;
    const outPerGroup = cout / (c / cinG);
    const channelOf = (k: number) => Math.floor(Math.floor(k / (cinG * taps)) / outPerGroup) * cinG + (Math.floor(k / taps) % cinG);
    const scaled = Float32Array.from(wf, (v, k) => Math.fround(v * d.scales[channelOf(k)]!));
    const wName = fresh(`${w.name}_eq`);
    initializers.push(makeTensor(wName, DataType.FLOAT, w.dims, scaled));
    const inv = fresh(`${d.value}_eq_inv`);
    initializers.push(
      makeTensor(
        inv,
        DataType.FLOAT,
        [1, c, 1, 1],
        d.scales.map((s) => Math.fround(1 / s)),
      ),
    );
    const out = fresh(`${d.value}_eq`);
    nodes.push({ opType: 'Mul', name: fresh(`${labels[i]}_eq`), inputs: [d.value, inv], outputs: [out], attributes: [] });
    nodes.push({ ...node, inputs: [out, wName, ...node.inputs.slice(2)] });
  });
  // The original filters stay only if something else reads them.
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const kept = initializers.filter((t) => read.has(t.name));
  return { ...model, graph: { ...g, nodes, initializers: kept, inputs: g.inputs.filter((v) => !inits.has(v.name) || read.has(v.name)) } };
}

export interface EqualizationOptions {
  threads?: number;
  /** Skip a tensor whose widest channel is less than this many times its median channel's range (default 1.5). */
  minRatio?: number;
  /**
   * Also equalize the inputs of the other Convs, with s_c = (range_c / median)^alpha (absent: depthwise only,
   * where alpha is always 1 because the codes do not change).
   */
  alpha?: number;
  /** After each input: how many have been measured. */
  onProgress?: (done: number) => void;
}

/**
 * Measure each depthwise Conv input's per-channel ranges on the calibration feeds and choose s_c so that every
 * channel's range becomes the median channel's (s_c = range_c / median; dead channels keep s = 1).
 */
export async function planEqualization(
  model: Model,
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: EqualizationOptions = {},
): Promise<EqualizationDecision[]> {
  const g = mainGraph(model);
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const inputs = new Set(g.inputs.map((v) => v.name));
  const convs = g.nodes
    .map((n, i) => ({ n, i, c: depthwise(n, inits), full: false }))
    .map((x) => (x.c === undefined && options.alpha !== undefined ? { ...x, c: convInputChannels(x.n, inits), full: true } : x))
    .filter((x) => x.c !== undefined && !inits.has(x.n.inputs[0]!) && !inputs.has(x.n.inputs[0]!));
  if (convs.length === 0) return [];
  const values = [...new Set(convs.map((x) => x.n.inputs[0]!))];
  const session = await createSession(modelToBytes(exposeValues(model, values)), { threads: options.threads ?? 0 });
  const lo = new Map<string, Float64Array>();
  const hi = new Map<string, Float64Array>();
  let done = 0;
  try {
    for await (const feed of feeds) {
      const res = await session.run(feed, values);
      for (const v of values) {
        const t = toFloatTensor(res[v]!);
        const c = t.dims[1]!;
        const hw = t.data.length / c;
        const l = lo.get(v) ?? new Float64Array(c).fill(Infinity);
        const h = hi.get(v) ?? new Float64Array(c).fill(-Infinity);
        for (let ch = 0; ch < c; ch++) {
          for (let k = ch * hw; k < (ch + 1) * hw; k++) {
            const x = t.data[k]!;
            if (x < l[ch]!) l[ch] = x;
            if (x > h[ch]!) h[ch] = x;
          }
        }
        lo.set(v, l);
        hi.set(v, h);
      }
      options.onProgress?.(++done);
    }
  } finally {
    await session.dispose();
  }
  const out: EqualizationDecision[] = [];
  for (const { n, i, c, full } of convs) {
    const v = n.inputs[0]!;
    const l = lo.get(v);
    const h = hi.get(v);
    if (!l || !h || l.length !== c) continue;
    const ranges = Array.from(h, (x, k) => Math.max(0, x - l[k]!));
    const sorted = [...ranges].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1]!;
    if (!(median > 0) || sorted[sorted.length - 1]! < (options.minRatio ?? 1.5) * median) continue;
    const alpha = full ? options.alpha! : 1;
    const scales = ranges.map((r) => (r > 0 ? Math.fround((r / median) ** alpha) : 1));
    out.push({ node: nodeLabel(n, i), value: v, scales });
  }
  return out;
}
