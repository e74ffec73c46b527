import { DataType, dtypeName, type DataTypeCode } from '../../onnx/ir/dtypes.js';
import { isDefaultDomain, nodeLabel, type Graph } from '../../onnx/ir/graph.js';
import type { FindingSink } from '../finding.js';

/** Inputs ONNX types as one fixed element type whatever the data type (a common break after FP16 conversion). */
const FIXED_INPUTS: Readonly<Record<string, ReadonlyArray<[slot: number, type: DataTypeCode, what: string]>>> = Object.freeze({
  Resize: [
    [2, DataType.FLOAT, 'scales'],
    [3, DataType.INT64, 'sizes'],
  ],
  Upsample: [[1, DataType.FLOAT, 'scales']],
  Reshape: [[1, DataType.INT64, 'shape']],
  Expand: [[1, DataType.INT64, 'shape']],
  Tile: [[1, DataType.INT64, 'repeats']],
  ConstantOfShape: [[0, DataType.INT64, 'shape']],
});

export function checkFixedInputTypes(graph: Graph, types: ReadonlyMap<string, DataTypeCode>, report: FindingSink): void {
  graph.nodes.forEach((node, i) => {
    if (!isDefaultDomain(node.domain)) return;
    for (const [slot, want, what] of FIXED_INPUTS[node.opType] ?? []) {
      const v = node.inputs[slot];
      const got = v ? types.get(v) : undefined;
      if (got !== undefined && got !== want) {
        report({
          severity: 'error',
          rule: 'input-type',
          node: nodeLabel(node, i),
          message: `${node.opType}: ${what} "${v}" is ${dtypeName(got)}, must be ${dtypeName(want)}`,
        });
      }
    }
  });
}
