import { mainGraph, nodeLabel, type Model } from '../../onnx/ir/graph.js';
import { activationQuantizer, type ActivationMode } from '../observers/activation-range.js';
import type { ActivationDecision, WeightDecision } from '../plan.js';

/**
 * Q/DQ placement for TensorRT (NVIDIA's TensorRT developer guide, "Q/DQ layer placement recommendations", and the
 * placement its YOLO examples use): TensorRT fuses a Concat or a MaxPool into int8 only when its inputs and output
 * carry one scale, and a residual Add into the preceding Conv only when the Add's other input is quantized too.
 * These are the extra values such a graph quantizes — every reader sees the quantized value — each with the group
 * whose members share one scale.
 */
export interface PlacedValue {
  value: string;
  /** Members of one group share one scale and zero point (the widest range of the group). */
  group: string;
}

export function tensorrtPlacement(model: Model, weights: readonly WeightDecision[]): PlacedValue[] {
  const graph = mainGraph(model);
  const quantized = new Set(weights.map((w) => w.node));
  const inits = new Set(graph.initializers.map((t) => t.name));
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const producerOp = new Map<string, string>();
  for (const n of graph.nodes) for (const o of n.outputs) producerOp.set(o, n.opType);
  const data = (v: string | undefined): v is string => Boolean(v) && !inits.has(v!) && producerOp.get(v!) !== 'Constant';
  // Only the part of the graph that feeds a quantized layer: what comes after the prediction layers (the box
  // decoding, the output Concat) stays float.
  const upstream = new Set<string>();
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const stack = graph.nodes.flatMap((n, i) => (quantized.has(nodeLabel(n, i)) ? [n.inputs[0] ?? ''] : []));
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (!v || upstream.has(v)) continue;
    upstream.add(v);
    const p = producer.get(v);
    if (p !== undefined) stack.push(...graph.nodes[p]!.inputs);
  }
  const out: PlacedValue[] = [];
  const groupOf = new Map<string, string>();
  // Members that already belong to a group join the new one with all of their group (an SPP block's MaxPools and
  // Concat share the input they all read): one scale for the whole connected set.
  const place = (members: readonly string[], group: string) => {
    const merged = new Set(members.map((v) => groupOf.get(v)).filter((g): g is string => g !== undefined));
    for (const p of out) {
      if (merged.has(p.group)) {
        p.group = group;
        groupOf.set(p.value, group);
      }
    }
    for (const v of members) {
      if (groupOf.has(v)) continue;
      groupOf.set(v, group);
      out.push({ value: v, group });
    }
  };
  graph.nodes.forEach((n, i) => {
    const label = nodeLabel(n, i);
    if (quantized.has(label) || !upstream.has(n.outputs[0] ?? '')) return;
    if (n.opType === 'Concat' || n.opType === 'MaxPool') {
      const members = [...n.inputs.filter(data), n.outputs[0]!].filter((v) => !inputs.has(v) || n.opType === 'MaxPool');
      place(members, `${n.opType}:${label}`);
    } else if (n.opType === 'Add' && n.inputs.length === 2 && n.inputs.every(data)) {
      // A residual Add: both operands quantized, so TensorRT can fuse it into the Conv that produces one of them.
      for (const v of n.inputs) if (!groupOf.has(v)) place([v], `Add:${label}:${v}`);
    }
  });
  return out;
}

/** One scale per group: the group's widest range, quantized in `mode`; ungrouped decisions are returned as they are. */
export function shareGroupScales(decisions: readonly ActivationDecision[], mode: ActivationMode): ActivationDecision[] {
  const ranges = new Map<string, [number, number]>();
  for (const d of decisions) {
    if (d.group === undefined) continue;
    const r = ranges.get(d.group) ?? [0, 0];
    ranges.set(d.group, [Math.min(r[0], d.range[0]), Math.max(r[1], d.range[1])]);
  }
  return decisions.map((d) => {
    if (d.group === undefined) return d;
    const shared = activationQuantizer(d.value, d.observed, ranges.get(d.group)!, d.observer, mode);
    return { ...shared, group: d.group, readers: 'all' as const };
  });
}
