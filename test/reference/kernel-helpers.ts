import { intAttr, intsAttr, floatAttr, stringAttr } from '../../src/onnx/ir/attributes.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Attribute, Node } from '../../src/onnx/ir/graph.js';
import { REFERENCE_KERNELS } from '../reference-impl/registry.js';
import { refFromValues, type RefTensor } from '../reference-impl/ref-tensor.js';

/** Helpers for hand-checked kernel tests: call one kernel directly on small tensors. */

export type AttrValue = number | number[] | string | { float: number };

function attribute(name: string, v: AttrValue): Attribute {
  if (typeof v === 'string') return stringAttr(name, v);
  if (Array.isArray(v)) return intsAttr(name, v);
  if (typeof v === 'object') return floatAttr(name, v.float);
  return intAttr(name, v);
}

/** Run kernel `op` on `inputs` (undefined: omitted optional input) with attributes, at `opset`. */
export function kernel(
  op: string,
  inputs: Array<RefTensor | undefined>,
  attrs: Record<string, AttrValue> = {},
  opset = 13,
  outputs = 1,
): RefTensor[] {
  const node: Node = {
    opType: op,
    name: op,
    inputs: inputs.map((t, i) => (t ? `in${i}` : '')),
    outputs: Array.from({ length: outputs }, (_, i) => `out${i}`),
    attributes: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
  const k = REFERENCE_KERNELS.get(op);
  if (!k) throw new Error(`no kernel ${op}`);
  return k(inputs, { node, opset });
}

/** First output of `kernel`. */
export function run1(op: string, inputs: Array<RefTensor | undefined>, attrs: Record<string, AttrValue> = {}, opset = 13): RefTensor {
  return kernel(op, inputs, attrs, opset)[0]!;
}

export const f32 = (dims: number[], values: number[]): RefTensor => refFromValues(DataType.FLOAT, dims, values);
export const i64 = (values: number[], dims = [values.length]): RefTensor => refFromValues(DataType.INT64, dims, values);
export const typed = (dtype: number, dims: number[], values: number[]): RefTensor => refFromValues(dtype, dims, values);

/** Values as a plain array (for deepEqual), with −0 normalized to 0. */
export function values(t: RefTensor): number[] {
  return Array.from(t.data, (v) => (v === 0 ? 0 : v));
}
