import { getInt } from '../../onnx/ir/attributes.js';
import { DataType, dtypeName, isFloatType, type DataTypeCode } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, nodeLabel, type Graph, type Node } from '../../onnx/ir/graph.js';
import type { GraphIndex } from '../../onnx/ir/graph-index.js';
import { elementCount } from '../../onnx/ir/tensor.js';
import type { FindingSink } from '../finding.js';

const D = DataType;
/** Quantized types QuantizeLinear/DequantizeLinear accept, by the opset that added them. */
const QUANT_TYPES: ReadonlyArray<[opset: number, types: number[]]> = [
  [10, [D.INT8, D.UINT8]],
  [19, [D.FLOAT8E4M3FN, D.FLOAT8E4M3FNUZ, D.FLOAT8E5M2, D.FLOAT8E5M2FNUZ]],
  [21, [D.INT16, D.UINT16, D.INT4, D.UINT4]],
  [23, [D.FLOAT4E2M1]],
];

function quantTypes(opset: number, dequant: boolean): Set<number> {
  const s = new Set<number>();
  for (const [o, ts] of QUANT_TYPES) if (opset >= o) ts.forEach((t) => s.add(t));
  if (dequant) s.add(D.INT32);
  return s;
}

function scaleTypeOk(opset: number, t: DataTypeCode): boolean {
  return t === D.FLOAT || (opset >= 19 && (t === D.FLOAT16 || t === D.BFLOAT16));
}

/**
 * Type rules around QuantizeLinear / DequantizeLinear / Clip that ORT enforces at load time: supported quantized
 * types for the opset, zero point type equal to the quantized type, float scales, per-axis scale length and
 * block_size only from opset 21, Clip bounds of the input's type.
 */
export function checkQuantization(
  graph: Graph,
  index: GraphIndex,
  types: ReadonlyMap<string, DataTypeCode>,
  opset: number,
  report: FindingSink,
): void {
  graph.nodes.forEach((node, i) => {
    if (!isDefaultDomain(node.domain)) return;
    const label = nodeLabel(node, i);
    const err = (rule: string, message: string) => report({ severity: 'error', rule, node: label, message: `${node.opType}: ${message}` });
    if (node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear') checkQdq(node, index, types, opset, err);
    else if (node.opType === 'Clip') {
      const x = types.get(node.inputs[0] ?? '');
      for (const b of node.inputs.slice(1)) {
        const t = b ? types.get(b) : undefined;
        if (x !== undefined && t !== undefined && t !== x)
          err('qdq-dtype', `bound "${b}" is ${dtypeName(t)} but the input is ${dtypeName(x)}`);
      }
      if (x !== undefined && !isFloatType(x) && opset < 12) err('qdq-dtype', `integer input ${dtypeName(x)} needs opset ≥ 12`);
    }
  });
}

function checkQdq(
  node: Node,
  index: GraphIndex,
  types: ReadonlyMap<string, DataTypeCode>,
  opset: number,
  err: (rule: string, m: string) => void,
): void {
  const dequant = node.opType === 'DequantizeLinear';
  const [xName, scaleName, zpName] = node.inputs;
  const x = types.get(xName ?? '');
  const scale = types.get(scaleName ?? '');
  const zp = zpName ? types.get(zpName) : undefined;
  const q = dequant ? x : (zp ?? (getInt(node, 'output_dtype', 0) || D.UINT8));
  const allowed = quantTypes(opset, dequant);
  if (q !== undefined && !allowed.has(q)) err('qdq-dtype', `quantized type ${dtypeName(q)} is not supported at opset ${opset}`);
  if (scale !== undefined && !scaleTypeOk(opset, scale))
    err('qdq-dtype', `scale is ${dtypeName(scale)}; opset ${opset} allows ${opset >= 19 ? 'FLOAT, FLOAT16, BFLOAT16' : 'FLOAT only'}`);
  if (dequant && x !== undefined && zp !== undefined && zp !== x)
    err('qdq-dtype', `zero point is ${dtypeName(zp)} but the input is ${dtypeName(x)}`);
  if (!dequant && x !== undefined && !isFloatType(x) && x !== D.INT32) err('qdq-dtype', `input is ${dtypeName(x)}, expected a float type`);
  if (!dequant && x !== undefined && scale !== undefined && opset < 19 && x !== scale)
    err('qdq-dtype', `input ${dtypeName(x)} and scale ${dtypeName(scale)} differ`);
  const axisAttr = node.attributes.some((a) => a.name === 'axis');
  const block = getInt(node, 'block_size', 0);
  if (axisAttr && opset < 13) err('qdq-attribute', `the axis attribute needs opset ≥ 13 (model: ${opset})`);
  if (block > 0 && opset < 21) err('qdq-attribute', `block_size needs opset ≥ 21 (model: ${opset})`);
  const scaleT = scaleName ? index.initializers.get(scaleName) : undefined;
  const xT = xName ? index.initializers.get(xName) : undefined;
  if (scaleT && xT && block === 0 && elementCount(scaleT.dims) > 1) {
    let axis = getInt(node, 'axis', 1);
    if (axis < 0) axis += xT.dims.length;
    if (scaleT.dims.length !== 1 || scaleT.dims[0] !== xT.dims[axis]) {
      err('qdq-shape', `per-axis scale ${JSON.stringify(scaleT.dims)} does not match axis ${axis} of input ${JSON.stringify(xT.dims)}`);
    }
  }
  if (scaleT && xT && block > 0 && scaleT.dims.length !== xT.dims.length) {
    err('qdq-shape', `blocked scale must have the input's rank ${xT.dims.length}, has ${JSON.stringify(scaleT.dims)}`);
  }
  if (dequant && x === D.INT32 && zpName) {
    const zpT = index.initializers.get(zpName);
    if (zpT?.data.some((b) => b !== 0)) err('qdq-dtype', 'an INT32 input requires a zero point of 0');
  }
}
