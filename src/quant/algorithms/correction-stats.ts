import { isDefaultDomain, mainGraph, type Graph, type Model, type Node, type ValueInfo } from '../../onnx/ir/graph.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { applyPass } from '../../onnx/passes/pass-manager.js';
import { upgradeOpsetPass } from '../../onnx/passes/upgrade-opset.js';
import { eliminateDeadNodesPass } from '../../onnx/passes/eliminate-dead-nodes.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostDType, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { QuantTarget } from '../policy/targets.js';
import { addRowSum, addRows, addTranspose, type BranchContext } from './hessian.js';
import type { SimulatedModel } from './simulate.js';
import { assertFiniteStatistic } from '../policy/non-finite.js';
import { FeedCache } from './feed-cache.js';

/**
 * The statistics error correction needs, per layer, measured in one ONNX Runtime pass with the float model and the
 * plan's simulated (fake-quant) model side by side on the same input: x the rows the layer's weight multiplies in
 * the float model, x̃ the same rows in the quantized model (after upstream weight and activation quantization).
 */
export interface LayerSums {
  /** Σ x̃·x̃ᵀ, float64 [groups, k, k]. */
  hq: Float64Array;
  /** Σ x·x̃ᵀ (row index from the float model, column from the quantized one), float64 [groups, k, k]. */
  cross: Float64Array;
  /** Σ x̃ and Σ x, float64 [groups, k]. */
  sumQ: Float64Array;
  sumF: Float64Array;
  count: number;
}

/** Sums over even- and odd-numbered calibration images separately (for choosing the ridge by cross-validation). */
export interface CorrectionStats {
  node: string;
  groups: number;
  k: number;
  folds: [LayerSums, LayerSums];
}

function emptySums(groups: number, k: number): LayerSums {
  return {
    hq: new Float64Array(groups * k * k),
    cross: new Float64Array(groups * k * k),
    sumQ: new Float64Array(groups * k),
    sumF: new Float64Array(groups * k),
    count: 0,
  };
}

/** Both folds added. */
export function totalSums(st: CorrectionStats): LayerSums {
  const [a, b] = st.folds;
  const add = (x: Float64Array, y: Float64Array) => x.map((v, i) => v + y[i]!);
  return {
    hq: add(a.hq, b.hq),
    cross: add(a.cross, b.cross),
    sumQ: add(a.sumQ, b.sumQ),
    sumF: add(a.sumF, b.sumF),
    count: a.count + b.count,
  };
}

const SIM = 'yoloq_sim/';

const ONNX_TYPE: Record<HostDType, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  float64: DataType.DOUBLE,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
  int32: DataType.INT32,
  uint32: DataType.UINT32,
  int64: DataType.INT64,
  bool: DataType.BOOL,
};

/** The simulated graph with every value, initializer and node renamed under SIM, except the graph inputs. */
function prefixed(g: Graph): Graph {
  const inits = new Set(g.initializers.map((t) => t.name));
  // IR-3 graphs list initializers among their inputs: those are renamed with the other initializers.
  const keep = new Set(g.inputs.map((v) => v.name).filter((v) => !inits.has(v)));
  const rn = (v: string) => (v === '' || keep.has(v) ? v : SIM + v);
  return {
    ...g,
    nodes: g.nodes.map(
      (n): Node => ({ ...n, ...(n.name ? { name: SIM + n.name } : {}), inputs: n.inputs.map(rn), outputs: n.outputs.map(rn) }),
    ),
    initializers: g.initializers.map((t) => ({ ...t, name: rn(t.name) })),
    inputs: g.inputs.filter((v) => keep.has(v.name)),
  };
}

interface Branch {
  t: QuantTarget;
  groups: number;
  k: number;
  hq: string;
  cross: string;
  sumQ: string;
  sumF: string;
  n: string;
}

const FX = 'yoloq_fx/';

/** The graph input a chunk's correction model reads float layer input `value` from (FeedCache's name for it). */
export function floatInputName(value: string): string {
  return FX + value;
}

/** The working graph at `opset`: the float half of every correction model, and of the pass that caches its layer inputs. */
function floatModel(work: Model, opset: number): Model {
  return applyPass(work, upgradeOpsetPass({ opset }));
}

export function simOpset(sim: SimulatedModel): number {
  return sim.model.opsetImports.find((o) => isDefaultDomain(o.domain))?.version ?? 13;
}

/**
 * The float values the targets multiply (input 0 of each), less the graph's own inputs: what
 * `floatInputsModel` exposes and a shared correction model reads as graph inputs.
 */
export function floatLayerInputs(work: Model, targets: readonly QuantTarget[]): string[] {
  const g = mainGraph(work);
  const graphInputs = new Set(g.inputs.map((v) => v.name));
  const values = targets.map((t) => g.nodes[t.nodeIndex]!.inputs[0]!).filter((v) => !graphInputs.has(v));
  return [...new Set(values)];
}

/**
 * The float model (at the simulated model's opset, as in the combined correction model) pruned to compute
 * `values` only: one pass of it over the calibration set gives every chunk its float layer inputs.
 */
export function floatInputsModel(work: Model, opset: number, values: readonly string[]): Model {
  const fp = floatModel(work, opset);
  const g = fp.graph!;
  const outputs = values.map((name) => ({ name, type: { elemType: DataType.FLOAT } }));
  return eliminateDeadNodesPass().run({ ...fp, graph: { ...g, outputs, valueInfo: [] } }).model;
}

/**
 * Which simulated nodes a chunk's pass runs, and what it hands on. Between chunk c and the end, only the layers of
 * chunks ≥ c change (they are corrected one chunk after another), so a simulated value that depends on none of
 * them is final once computed: a pass caches the ones later passes read, and the next pass runs only the nodes
 * that are not final yet (downstream of the chunk corrected just before it or of a layer still pending), pruned to
 * what its statistics and the values it hands on need, from those cached values — the simulated prefix is
 * computed once, as the float model is.
 */
export interface SimCut {
  /** Indices of the simulated graph's nodes this pass runs (the others' values it reads are cached). */
  keep: ReadonlySet<number>;
  /** Simulated values (unprefixed) this pass outputs for the cache. */
  exports: readonly string[];
  /** Simulated values (unprefixed) cached so far, with their ONNX element types. */
  cached: ReadonlyMap<string, number>;
}

/** Nodes of `g` that read, directly or through other nodes, a value some node producing one of `seeds` makes. */
function downstreamOf(g: Graph, seeds: ReadonlySet<string>): Set<number> {
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v !== '') consumers.set(v, [...(consumers.get(v) ?? []), i]);
  });
  const out = new Set<number>();
  const stack = g.nodes.flatMap((n, i) => (n.outputs.some((o) => seeds.has(o)) ? [i] : []));
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (out.has(i)) continue;
    out.add(i);
    for (const o of g.nodes[i]!.outputs) for (const j of consumers.get(o) ?? []) if (!out.has(j)) stack.push(j);
  }
  return out;
}

/**
 * The cut for the pass over the `pending` layers (this chunk first), `done` the chunk corrected just before it
 * (empty for the first pass, which runs every node). Layers are found in the simulated graph by their
 * outputs, which simulation leaves named as in the working graph.
 */
export function simCut(
  work: Model,
  sim: SimulatedModel,
  done: readonly QuantTarget[],
  pending: readonly QuantTarget[],
  cached: ReadonlyMap<string, number>,
): SimCut {
  const wg = mainGraph(work);
  const g = sim.model.graph!;
  const outputsOf = (ts: readonly QuantTarget[]) => new Set(ts.flatMap((t) => wg.nodes[t.nodeIndex]!.outputs));
  // Not only what `done` changed: a node on a parallel branch that depends on a pending layer alone (one side of
  // a Concat, say) is not final either, and the chunk may read it.
  const keep = done.length === 0 ? new Set(g.nodes.map((_, i) => i)) : withProducers(g, downstreamOf(g, outputsOf([...done, ...pending])));
  const changing = withProducers(g, downstreamOf(g, outputsOf(pending)));
  const readLater = new Set(g.nodes.flatMap((n, i) => (changing.has(i) ? n.inputs : [])));
  const exports = [...keep]
    .filter((i) => !changing.has(i) && g.nodes[i]!.opType === 'DequantizeLinear')
    .flatMap((i) => g.nodes[i]!.outputs)
    .filter((v) => v !== '' && readLater.has(v) && !cached.has(v));
  return { keep, exports: [...new Set(exports)], cached };
}

/**
 * `nodes` and, recursively, the producers of what they read, up to DequantizeLinear outputs (and graph inputs and
 * initializers): a pass is cut only where a fake-quantized value enters. Cut at an arbitrary value, the W4A16
 * variant of `yoloq run` (scripts/determinism.sh) changed — most likely ONNX Runtime fusing a node pair (a Conv
 * with the Add after it, say) in one graph but not the other, where one's output became a graph input or output,
 * and a fused pair rounds differently. A DequantizeLinear output has no such partner in these
 * graphs (their weights are float), and cut there, plans stay byte-identical (checked by scripts/determinism.sh).
 */
function withProducers(g: Graph, nodes: Set<number>): Set<number> {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
  });
  const out = new Set(nodes);
  const stack = [...nodes];
  while (stack.length > 0) {
    for (const v of g.nodes[stack.pop()!]!.inputs) {
      const p = producer.get(v);
      if (p === undefined || out.has(p) || g.nodes[p]!.opType === 'DequantizeLinear') continue;
      out.add(p);
      stack.push(p);
    }
  }
  return out;
}

/**
 * SIM-prefixed simulated model + one statistics branch per target; only the branch outputs. The float rows come
 * either from the float model itself, in the same graph (`floatInputs` false: every chunk recomputes it), or
 * from graph inputs named by `floatInputName` that the caller feeds from one earlier float pass (true).
 */
export function correctionModel(
  work: Model,
  sim: SimulatedModel,
  targets: readonly QuantTarget[],
  floatInputs = false,
  cut?: SimCut,
): { model: Model; branches: Branch[] } {
  const opset = simOpset(sim);
  const fp = floatModel(work, opset);
  const g = fp.graph!;
  const all = prefixed(sim.model.graph!);
  const q = cut ? { ...all, nodes: all.nodes.filter((_, i) => cut.keep.has(i)) } : all;
  const ctx: BranchContext = floatInputs
    ? { nodes: [...q.nodes], inits: [...q.initializers], opset }
    : { nodes: [...g.nodes, ...q.nodes], inits: [...g.initializers, ...q.initializers], opset };
  const graphInputs = new Set(g.inputs.map((v) => v.name));
  const fed = new Set<string>();
  const branches: Branch[] = targets.map((t, i) => {
    const node = g.nodes[t.nodeIndex]!;
    const p = `yoloq_c${i}`;
    const x = node.inputs[0]!;
    // A stem Conv reads the graph input, which is fed either way.
    const fx = floatInputs && !graphInputs.has(x) ? floatInputName(x) : x;
    if (fx !== x) fed.add(fx);
    const f = addRows(ctx, t, node, fx, `${p}_f`);
    const simInput = sim.dataInputs.get(t.node)!;
    // A stem Conv may read the graph input itself, which both copies share.
    const qx = addRows(ctx, t, node, q.inputs.some((v) => v.name === simInput) ? simInput : SIM + simInput, `${p}_q`);
    const qt = addTranspose(ctx, qx.rows);
    const b: Branch = { t, groups: f.groups, k: f.k, hq: `${p}_hq`, cross: `${p}_cross`, sumQ: `${p}_sq`, sumF: `${p}_sf`, n: `${p}_n` };
    ctx.nodes.push({ opType: 'MatMul', name: b.hq, inputs: [qx.rows, qt], outputs: [b.hq], attributes: [] });
    ctx.nodes.push({ opType: 'MatMul', name: b.cross, inputs: [f.rows, qt], outputs: [b.cross], attributes: [] });
    addRowSum(ctx, qx.rows, b.sumQ);
    addRowSum(ctx, f.rows, b.sumF);
    ctx.nodes.push({ opType: 'Shape', name: b.n, inputs: [qt], outputs: [b.n], attributes: [] });
    return b;
  });
  const outputs: ValueInfo[] = branches.flatMap((b) => [
    ...[b.hq, b.cross, b.sumQ, b.sumF].map((name) => ({ name, type: { elemType: DataType.FLOAT } })),
    { name: b.n, type: { elemType: DataType.INT64 } },
  ]);
  const inputs = [
    ...g.inputs.filter((v) => !floatInputs || !initializerNames(g).has(v.name)),
    ...q.inputs.filter((v) => !g.inputs.some((u) => u.name === v.name)),
    ...[...fed].map((name) => ({ name, type: { elemType: DataType.FLOAT } })),
  ];
  if (cut) {
    // The simulated values the kept nodes read from nodes left out: earlier passes cached them.
    const produced = new Set(ctx.nodes.flatMap((n) => n.outputs));
    const known = new Set([...ctx.inits.map((t) => t.name), ...inputs.map((v) => v.name)]);
    const fedSim = new Set<string>();
    for (const n of ctx.nodes)
      for (const v of n.inputs) if (v !== '' && !produced.has(v) && !known.has(v) && v.startsWith(SIM)) fedSim.add(v);
    for (const v of fedSim) {
      const elemType = cut.cached.get(v.slice(SIM.length));
      if (elemType === undefined) throw new Error(`error correction: ${v} is read by a pass but no earlier pass cached it`);
      inputs.push({ name: v, type: { elemType } });
    }
    // Types are left to ONNX Runtime's inference: a cached value may be an integer (a Shape, a QuantizeLinear).
    outputs.push(...cut.exports.map((v) => ({ name: SIM + v })));
  }
  // Only what the branches (and the values handed on) read is run: layers after the last target are pruned.
  const model = eliminateDeadNodesPass().run({
    ...fp,
    graph: { ...g, nodes: ctx.nodes, initializers: ctx.inits, inputs, outputs, valueInfo: [] },
  }).model;
  return { model, branches };
}

function initializerNames(g: Graph): Set<string> {
  return new Set(g.initializers.map((t) => t.name));
}

/** The graph inputs a session of `model` must be fed. */
function feedNames(model: Model): string[] {
  const g = model.graph!;
  const inits = initializerNames(g);
  return g.inputs.map((v) => v.name).filter((v) => !inits.has(v));
}

/**
 * One float pass over `feeds` into a FeedCache: each image's feeds, under their own names, and every float
 * layer input of `targets` under `floatInputName`. Every chunk's correction pass then reads both from the
 * cache: the float model runs once instead of once per chunk, and the images are decoded once. Undefined when
 * the cache grew past `maxBytes`.
 */
export async function cacheFloatInputs(
  work: Model,
  opset: number,
  targets: readonly QuantTarget[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: { threads?: number; maxBytes?: number } = {},
): Promise<FeedCache | undefined> {
  const values = floatLayerInputs(work, targets);
  const cache = new FeedCache();
  try {
    const session =
      values.length > 0
        ? await createSession(modelToBytes(floatInputsModel(work, opset, values)), { threads: options.threads ?? 0 })
        : undefined;
    try {
      for await (const feed of feeds) {
        const res = session ? await session.run(feed, values) : {};
        cache.append({ ...feed, ...Object.fromEntries(values.map((v) => [floatInputName(v), res[v]!])) });
        // Over the disk budget: give up the cache (the caller measures each chunk from the images instead).
        if (options.maxBytes !== undefined && cache.bytes > options.maxBytes) {
          cache.dispose();
          return undefined;
        }
      }
    } finally {
      await session?.dispose();
    }
  } catch (e) {
    cache.dispose();
    throw e;
  }
  return cache;
}

export interface CorrectionStatsOptions {
  threads?: number;
  onProgress?: (done: number) => void;
  /** With a FeedCache source: run only these simulated nodes and cache the values the cut hands on. */
  cut?: SimCut;
  /** Called with each handed-on value's ONNX element type, once, after the pass. */
  onCached?: (value: string, elemType: number) => void;
}

/**
 * Run the calibration feeds once through float + simulated model; sums in float64 in feed order (deterministic).
 * Given a FeedCache (`cacheFloatInputs`), the float rows come from its stored layer inputs and only the simulated
 * model runs; the sums are the same numbers either way.
 */
export async function collectCorrectionStats(
  work: Model,
  sim: SimulatedModel,
  targets: readonly QuantTarget[],
  source: AsyncIterable<Record<string, HostTensor>> | FeedCache,
  options: CorrectionStatsOptions = {},
): Promise<Map<string, CorrectionStats>> {
  const cached = source instanceof FeedCache;
  const cut = cached ? options.cut : undefined;
  const { model, branches } = correctionModel(work, sim, targets, cached, cut);
  const feeds = cached ? source.feeds(feedNames(model)) : source;
  const handed = (cut?.exports ?? []).map((v) => SIM + v);
  const out = new Map<string, CorrectionStats>(
    branches.map((b) => [
      b.t.node,
      {
        node: b.t.node,
        groups: b.groups,
        k: b.k,
        folds: [emptySums(b.groups, b.k), emptySums(b.groups, b.k)],
      },
    ]),
  );
  if (branches.length === 0) return out;
  const session = await createSession(modelToBytes(model), { threads: options.threads ?? 0 });
  // `image` is the feed's index (in the cache, and the fold it is summed into: even or odd).
  let image = 0;
  try {
    for await (const feed of feeds) {
      const res = await session.run(feed, [...branches.flatMap((b) => [b.hq, b.cross, b.sumQ, b.sumF, b.n]), ...handed]);
      if (source instanceof FeedCache && handed.length > 0) source.add(image, Object.fromEntries(handed.map((v) => [v, res[v]!])));
      image++;
      for (const b of branches) {
        const acc = out.get(b.t.node)!.folds[(image - 1) % 2]!;
        const add = (dst: Float64Array, name: string) => {
          const src = toFloatTensor(res[name]!).data;
          for (let i = 0; i < src.length; i++) dst[i]! += src[i]!;
        };
        add(acc.hq, b.hq);
        add(acc.cross, b.cross);
        add(acc.sumQ, b.sumQ);
        add(acc.sumF, b.sumF);
        acc.count += Number((res[b.n]!.data as BigInt64Array)[1]);
      }
      options.onProgress?.(image);
    }
  } finally {
    await session.dispose();
  }
  if (source instanceof FeedCache && image > 0)
    for (const v of handed) options.onCached?.(v.slice(SIM.length), ONNX_TYPE[source.read(0, v).dtype]);
  for (const layer of out.values()) for (const f of layer.folds) assertFiniteStatistic(layer.node, 'correction statistics', f.hq);
  return out;
}
