import { isDefaultDomain, type Graph, type Model, type Node } from '../../onnx/ir/graph.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { applyPass } from '../../onnx/passes/pass-manager.js';
import { upgradeOpsetPass } from '../../onnx/passes/upgrade-opset.js';
import { eliminateDeadNodesPass } from '../../onnx/passes/eliminate-dead-nodes.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { QuantTarget } from '../policy/targets.js';
import { addRowSum, addRows, addTranspose, type BranchContext } from './hessian.js';
import type { SimulatedModel } from './simulate.js';
import { assertFiniteStatistic } from '../policy/non-finite.js';

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

/** Float model + SIM-prefixed simulated model + one statistics branch per target; only the branch outputs. */
export function correctionModel(work: Model, sim: SimulatedModel, targets: readonly QuantTarget[]): { model: Model; branches: Branch[] } {
  const opset = sim.model.opsetImports.find((o) => isDefaultDomain(o.domain))?.version ?? 13;
  const fp = applyPass(work, upgradeOpsetPass({ opset }));
  const g = fp.graph!;
  const q = prefixed(sim.model.graph!);
  const ctx: BranchContext = { nodes: [...g.nodes, ...q.nodes], inits: [...g.initializers, ...q.initializers], opset };
  const branches: Branch[] = targets.map((t, i) => {
    const node = g.nodes[t.nodeIndex]!;
    const p = `yoloq_c${i}`;
    const f = addRows(ctx, t, node, node.inputs[0]!, `${p}_f`);
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
  const outputs = branches.flatMap((b) => [
    ...[b.hq, b.cross, b.sumQ, b.sumF].map((name) => ({ name, type: { elemType: DataType.FLOAT } })),
    { name: b.n, type: { elemType: DataType.INT64 } },
  ]);
  const inputs = [...g.inputs, ...q.inputs.filter((v) => !g.inputs.some((u) => u.name === v.name))];
  // Only what the branches read is run: layers after the last target are pruned.
  const model = eliminateDeadNodesPass().run({
    ...fp,
    graph: { ...g, nodes: ctx.nodes, initializers: ctx.inits, inputs, outputs, valueInfo: [] },
  }).model;
  return { model, branches };
}

export interface CorrectionStatsOptions {
  threads?: number;
  onProgress?: (done: number) => void;
}

/** Run the calibration feeds once through float + simulated model; sums in float64 in feed order (deterministic). */
export async function collectCorrectionStats(
  work: Model,
  sim: SimulatedModel,
  targets: readonly QuantTarget[],
  feeds: AsyncIterable<Record<string, HostTensor>>,
  options: CorrectionStatsOptions = {},
): Promise<Map<string, CorrectionStats>> {
  const { model, branches } = correctionModel(work, sim, targets);
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
  let done = 0;
  try {
    for await (const feed of feeds) {
      const res = await session.run(
        feed,
        branches.flatMap((b) => [b.hq, b.cross, b.sumQ, b.sumF, b.n]),
      );
      for (const b of branches) {
        const acc = out.get(b.t.node)!.folds[done % 2]!;
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
      options.onProgress?.(++done);
    }
  } finally {
    await session.dispose();
  }
  for (const layer of out.values()) for (const f of layer.folds) assertFiniteStatistic(layer.node, 'correction statistics', f.hq);
  return out;
}
