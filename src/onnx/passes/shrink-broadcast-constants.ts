import { DataType, dtypeInfo } from '../ir/dtypes.js';
import type { Model, Node } from '../ir/graph.js';
import { elementCount, makeTensor, type Tensor } from '../ir/tensor.js';
import { tensorAttr } from '../ir/attributes.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Store constants that repeat along some axes once, with an Expand back to the full shape. YOLO exports embed
 * broadcast tables — YOLOv5's anchor grid [1,3,80,80,2] holds 3 anchors repeated over every cell — which are a
 * visible share of a 4-bit file. Exact (the bytes are compared), and ORT folds the Expand at load.
 * Only tensors of at least `minBytes` (default 4096) that shrink to half or less are rewritten. The pass returns a
 * new model with `counts: { shrunk }` (tensors rewritten), or the input itself when nothing shrinks.
 */

export interface ShrinkBroadcastConstantsOptions {
  /** Smallest tensor, in bytes, worth rewriting (default 4096). */
  minBytes?: number;
}

/** Axes along which `t` is constant (every slice equals the first), comparing raw element bytes. */
export function constantAxes(t: Tensor): number[] {
  const info = dtypeInfo(t.dtype);
  if (!info || info.bits < 8 || info.kind === 'string') return [];
  const size = info.bits / 8;
  const dims = t.dims;
  const out: number[] = [];
  const bytes = t.data;
  for (let a = 0; a < dims.length; a++) {
    if (dims[a]! <= 1) continue;
    const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1) * size;
    const span = dims[a]! * inner;
    let same = true;
    for (let base = 0; same && base < bytes.length; base += span) {
      for (let k = inner; k < span && same; k++) if (bytes[base + k] !== bytes[base + (k % inner)]) same = false;
    }
    if (same) out.push(a);
  }
  return out;
}

/** The tensor with `axes` collapsed to size 1 (keeping the first slice). */
function collapse(t: Tensor, axes: number[]): Tensor {
  const size = dtypeInfo(t.dtype)!.bits / 8;
  const dims = t.dims.map((d, a) => (axes.includes(a) ? 1 : d));
  const out = new Uint8Array(elementCount(dims) * size);
  const strides = t.dims.map((_, a) => t.dims.slice(a + 1).reduce((x, y) => x * y, 1));
  const outStrides = dims.map((_, a) => dims.slice(a + 1).reduce((x, y) => x * y, 1));
  for (let j = 0; j < elementCount(dims); j++) {
    let src = 0;
    for (let a = 0; a < dims.length; a++) src += (Math.floor(j / outStrides[a]!) % dims[a]!) * strides[a]!;
    out.set(t.data.subarray(src * size, (src + 1) * size), j * size);
  }
  return { name: t.name, dtype: t.dtype, dims, data: out, field: 'raw_data' };
}

export function shrinkBroadcastConstantsPass(options: ShrinkBroadcastConstantsOptions = {}): Pass {
  return {
    name: 'shrink-broadcast-constants',
    description: 'stores constants that repeat along some axes once, with an Expand back to the full shape',
    // Each Expand follows the tensor it reads; new names get no value_info; initializers that are inputs are left alone.
    preserves: [PassProperty.TopologicallySorted, PassProperty.NoDeadNodes, PassProperty.NoInitializerInputs],
    run(model) {
      const { model: out, shrunk } = shrinkBroadcastConstants(model, options.minBytes ?? 4096);
      return shrunk === 0 ? { model, modified: false, counts: { shrunk } } : { model: out, modified: true, counts: { shrunk } };
    },
  };
}

function shrinkBroadcastConstants(model: Model, minBytes: number): { model: Model; shrunk: number } {
  const g = model.graph!;
  const names = new Set([...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs), ...g.inputs.map((v) => v.name)]);
  const fresh = (b: string) => {
    let n = b;
    for (let i = 1; names.has(n); i++) n = `${b}_${i}`;
    names.add(n);
    return n;
  };
  const inputNames = new Set(g.inputs.map((v) => v.name));
  const initializers: Tensor[] = [];
  const nodes: Node[] = [];
  let shrunk = 0;
  const shrink = (t: Tensor): Tensor | undefined => {
    if (t.data.byteLength < minBytes) return undefined;
    const axes = constantAxes(t);
    if (axes.length === 0) return undefined;
    const small = collapse(t, axes);
    return small.data.byteLength * 2 <= t.data.byteLength ? small : undefined;
  };
  const expand = (src: string, dims: number[], out: string) => {
    const shape = makeTensor(fresh(`${out}_shape`), DataType.INT64, [dims.length], dims);
    initializers.push(shape);
    nodes.push({ opType: 'Expand', inputs: [src, shape.name], outputs: [out], attributes: [] });
  };
  for (const t of g.initializers) {
    const small = inputNames.has(t.name) ? undefined : shrink(t);
    if (!small) {
      initializers.push(t);
      continue;
    }
    const name = fresh(`${t.name}_once`);
    initializers.push({ ...small, name });
    expand(name, t.dims, t.name);
    shrunk++;
  }
  for (const n of g.nodes) {
    const attr = n.opType === 'Constant' ? n.attributes.find((a) => a.name === 'value') : undefined;
    const small = attr?.value.kind === 'tensor' ? shrink(attr.value.value) : undefined;
    if (!small || attr?.value.kind !== 'tensor') {
      nodes.push(n);
      continue;
    }
    const inner = fresh(`${n.outputs[0]}_once`);
    nodes.push({ ...n, outputs: [inner], attributes: [tensorAttr('value', { ...small, name: '' })] });
    expand(inner, attr.value.value.dims, n.outputs[0]!);
    shrunk++;
  }
  return { model: { ...model, graph: { ...g, nodes, initializers } }, shrunk };
}
