import { DataType, dtypeName } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, nodeLabel, type Graph, type Model } from '../../onnx/ir/graph.js';
import { ONNX_OP_DEPRECATED, ONNX_OP_VERSIONS } from '../../onnx/ops/onnx-ops.generated.js';
import type { FindingSink } from '../finding.js';

/** Lowest IR version that may carry each opset of the default domain (ONNX versioning table). */
const MIN_IR_FOR_OPSET: ReadonlyArray<[opset: number, ir: number]> = [
  [21, 10],
  [19, 9],
  [15, 8],
  [13, 7],
  [12, 7],
  [9, 4],
  [8, 3],
];
const SUB_BYTE = new Set<number>([DataType.INT4, DataType.UINT4, DataType.FLOAT4E2M1, DataType.INT2, DataType.UINT2]);
/** First default-domain opset in which each sub-byte type may appear. */
const SUB_BYTE_OPSET: Readonly<Record<number, number>> = {
  [DataType.INT4]: 21,
  [DataType.UINT4]: 21,
  [DataType.FLOAT4E2M1]: 23,
  [DataType.INT2]: 25,
  [DataType.UINT2]: 25,
};

/** Opset imports: a default-domain import, each node's domain imported, each op defined at the imported version. */
export function checkModelOpsets(model: Model, report: FindingSink): void {
  const seen = new Set<string>();
  for (const o of model.opsetImports) {
    const d = isDefaultDomain(o.domain) ? '' : o.domain!;
    if (seen.has(d)) report({ severity: 'error', rule: 'opset-import', message: `domain "${d || 'ai.onnx'}" is imported twice` });
    seen.add(d);
  }
  const opset = model.opsetImports.find((o) => isDefaultDomain(o.domain))?.version;
  if (opset === undefined) {
    report({
      severity: 'warning',
      rule: 'opset-import',
      message: 'the model imports no default-domain (ai.onnx) opset; ONNX Runtime then assumes its newest one',
    });
    return;
  }
  const ir = model.irVersion;
  const needIr = MIN_IR_FOR_OPSET.find(([o]) => opset >= o)?.[1];
  if (ir !== undefined && needIr !== undefined && ir < needIr) {
    report({ severity: 'error', rule: 'ir-version', message: `opset ${opset} needs IR version ≥ ${needIr}, the model has ${ir}` });
  }
}

/** Per-node opset checks for one graph (subgraphs included by the caller). */
export function checkGraphOpsets(model: Model, graph: Graph, report: FindingSink): void {
  const imported = new Set(model.opsetImports.map((o) => (isDefaultDomain(o.domain) ? '' : o.domain!)));
  const opset = model.opsetImports.find((o) => isDefaultDomain(o.domain))?.version ?? 0;
  graph.nodes.forEach((node, i) => {
    const label = nodeLabel(node, i);
    if (!isDefaultDomain(node.domain)) {
      if (!imported.has(node.domain!))
        report({
          severity: 'error',
          rule: 'opset-import',
          node: label,
          message: `${node.opType} uses domain "${node.domain}", which the model does not import`,
        });
      return;
    }
    const versions = ONNX_OP_VERSIONS[node.opType];
    if (!versions) {
      report({ severity: 'error', rule: 'unknown-op', node: label, message: `${node.opType} is not an ONNX operator` });
    } else if (opset > 0 && versions[0]! > opset) {
      report({
        severity: 'error',
        rule: 'op-version',
        node: label,
        message: `${node.opType} first exists in opset ${versions[0]}, the model imports opset ${opset}`,
      });
    } else if (ONNX_OP_DEPRECATED[node.opType] !== undefined && opset >= ONNX_OP_DEPRECATED[node.opType]!) {
      report({
        severity: 'warning',
        rule: 'deprecated-op',
        node: label,
        message: `${node.opType} is deprecated since opset ${ONNX_OP_DEPRECATED[node.opType]}`,
      });
    }
  });
  const where = (name: string, kind: string, dtype: number) => {
    const need = SUB_BYTE_OPSET[dtype];
    if (SUB_BYTE.has(dtype) && need !== undefined && opset < need) {
      report({
        severity: 'error',
        rule: 'int4-opset',
        message: `${kind} "${name}" is ${dtypeName(dtype)}, which needs opset ≥ ${need} (the model imports ${opset})`,
      });
    }
  };
  for (const t of graph.initializers) where(t.name, 'initializer', t.dtype);
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) if (v.type) where(v.name, 'value', v.type.elemType);
  graph.nodes.forEach((node, i) => {
    for (const a of node.attributes)
      if (a.value.kind === 'tensor') where(`${nodeLabel(node, i)}.${a.name}`, 'tensor attribute', a.value.value.dtype);
  });
}
