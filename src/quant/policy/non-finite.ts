import { InputError } from '../../errors.js';
import { describeNonFinite, nonFiniteCount } from '../../onnx/ir/finite.js';
import { mainGraph, type Model } from '../../onnx/ir/graph.js';
import { indexGraph } from '../../onnx/ir/graph-index.js';
import { modelToBytes } from '../../onnx/serde/model-io.js';
import { toFloatTensor, type HostTensor } from '../../runtime/host-tensor.js';
import { createSession } from '../../runtime/session.js';
import type { QuantPlan } from '../plan.js';
import { constantThroughIdentity } from '../read/weight-trace.js';
import type { QuantTarget } from './targets.js';

/**
 * Non-finite weights (NaN, ±Inf) and quantization. By default a layer whose weight or bias holds one is refused
 * before any calibration (exit 2, naming the layers: `yoloq check` lists them too). With `keep-float`
 * (`--allow-nonfinite`) those layers stay float and everything else is quantized; measuring stages then need the
 * float model's outputs to stay finite, which `probeFiniteOutputs` checks on one image before the long work. A
 * final `assertFinitePlan` guarantees that no NaN or Inf reaches a scale, a zero point or a bias in the plan.
 */

export type NonFinitePolicy = 'refuse' | 'keep-float';

/** The targets whose weight (or Conv/Gemm bias) holds NaN or Inf, with what was found. */
export function nonFiniteTargets(model: Model, targets: readonly QuantTarget[]): Array<{ node: string; found: string }> {
  const g = mainGraph(model);
  const index = indexGraph(g);
  const out: Array<{ node: string; found: string }> = [];
  for (const t of targets) {
    const parts: string[] = [];
    const w = nonFiniteCount(t.weight);
    if (w) parts.push(`weight ${describeNonFinite(w)}`);
    const biasName = (t.opType === 'Conv' || t.opType === 'ConvTranspose' || t.opType === 'Gemm') && g.nodes[t.nodeIndex]?.inputs[2];
    const bias = biasName ? constantThroughIdentity(g, index, biasName) : undefined;
    const b = bias ? nonFiniteCount(bias) : undefined;
    if (b) parts.push(`bias ${describeNonFinite(b)}`);
    if (parts.length > 0) out.push({ node: t.node, found: parts.join(', ') });
  }
  return out;
}

/**
 * Apply the policy: `refuse` throws an InputError naming every such layer; `keep-float` returns the node names to
 * leave out of quantization, each with the reason the plan records.
 */
export function screenNonFinite(
  model: Model,
  targets: readonly QuantTarget[],
  policy: NonFinitePolicy,
): Array<{ node: string; reason: string }> {
  const bad = nonFiniteTargets(model, targets);
  if (bad.length === 0) return [];
  if (policy === 'refuse') {
    const list = bad.slice(0, 3).map((b) => `${b.node} (${b.found})`);
    throw new InputError(
      `${bad.length} layer${bad.length > 1 ? 's' : ''} hold${bad.length > 1 ? '' : 's'} NaN or Inf values: ${list.join('; ')}${
        bad.length > 3 ? `; and ${bad.length - 3} more` : ''
      } — fix the model (see: yoloq check), or pass --allow-nonfinite to keep those layers float`,
    );
  }
  return bad.map((b) => ({ node: b.node, reason: `non-finite values (${b.found}) kept float (--allow-nonfinite)` }));
}

/**
 * Run the float working graph on the first calibration feed and refuse (InputError) when an output is not finite:
 * the non-finite layers kept float reach the outputs, so no stage could measure anything.
 */
export async function probeFiniteOutputs(
  work: Model,
  feeds: AsyncIterable<Record<string, HostTensor>>,
  kept: ReadonlyArray<{ node: string }>,
  threads = 0,
): Promise<void> {
  let first: Record<string, HostTensor> | undefined;
  for await (const f of feeds) {
    first = f;
    break;
  }
  if (!first) return;
  const session = await createSession(modelToBytes(work), { threads });
  try {
    const out = await session.run(first);
    for (const [name, t] of Object.entries(out)) {
      const data = toFloatTensor(t).data;
      for (let i = 0; i < data.length; i++) {
        const x = data[i]!;
        if (x - x !== 0) {
          throw new InputError(
            `--allow-nonfinite: the non-finite values of ${kept.map((k) => k.node).join(', ')} reach the model's output "${name}" (${x}) on calibration images, so calibration cannot measure anything — fix the model, or quantize without calibration (--scheme w4a16 or w8a16, no --calib)`,
          );
        }
      }
    }
  } finally {
    await session.dispose();
  }
}

/** InputError naming the layer when an accumulated statistic (a Hessian, a sum) holds NaN or Inf. */
export function assertFiniteStatistic(node: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x - x !== 0) {
      throw new InputError(
        `${node}: its ${what} holds ${x} — NaN or Inf values reach this layer's inputs from the model (see: yoloq check); use --algo rtn without --calib, or fix the model`,
      );
    }
  }
}

function finiteList(xs: ArrayLike<number> | undefined): boolean {
  if (!xs) return true;
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i]!)) return false;
  return true;
}

/** The last line of defence: every number in the plan that an exporter writes is finite (InputError otherwise). */
export function assertFinitePlan(plan: QuantPlan): void {
  const fail = (what: string) => {
    throw new InputError(
      `${what} is not finite: NaN or Inf values in the model reach it (see: yoloq check); fix the model, or keep those layers float with --exclude`,
    );
  };
  for (const w of plan.weights) {
    if (!finiteList(w.scales) || !finiteList(w.zeroPoints) || !finiteList(w.bias)) fail(`a scale of weight ${w.tensor} (${w.node})`);
    if (w.blockScales && (!finiteList(w.blockScales.codes) || !finiteList(w.blockScales.rowScales)))
      fail(`a block scale of weight ${w.tensor} (${w.node})`);
  }
  for (const a of plan.activations) {
    if (!Number.isFinite(a.scale) || !Number.isFinite(a.zeroPoint) || !finiteList(a.range) || !finiteList(a.observed))
      fail(`the scale of activation ${a.value}`);
  }
  for (const e of plan.equalization ?? []) if (!finiteList(e.scales)) fail(`an equalization scale of ${e.node}`);
}
