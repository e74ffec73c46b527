import type { DataTypeCode } from './dtypes.js';
import type { Tensor } from './tensor.js';

/**
 * The protobuf-free model IR. Values are referred to by name (as in ONNX); `graph-index.ts` builds producer and
 * consumer maps on demand. Optional scalar fields are `undefined` when the file did not set them, so that a saved
 * model sets exactly the fields it was read with. `rest` holds the serialized proto fields the IR does not model
 * (training info, functions, sparse initializers, metadata on nodes, unknown fields) so that nothing is lost.
 */

/** One dimension: a size, a symbolic name, or unknown. */
export type Dim = number | string | null;

export interface TensorType {
  elemType: DataTypeCode;
  /** undefined: rank unknown (no shape field). */
  shape?: Dim[];
}

export interface ValueInfo {
  name: string;
  /** undefined when the file gave no tensor type (or a non-tensor type, kept in `rest`). */
  type?: TensorType;
  docString?: string;
  rest?: Uint8Array;
}

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: bigint }
  | { kind: 'string'; value: Uint8Array }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'graph'; value: Graph }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: bigint[] }
  | { kind: 'strings'; value: Uint8Array[] }
  | { kind: 'tensors'; value: Tensor[] }
  | { kind: 'graphs'; value: Graph[] }
  | { kind: 'ref'; value: null }
  | { kind: 'other'; value: null };

export interface Attribute {
  name: string;
  /** The AttributeProto.type code as read (may be absent in very old files). */
  typeCode?: number;
  value: AttributeValue;
  refAttrName?: string;
  docString?: string;
  rest?: Uint8Array;
}

export interface Node {
  opType: string;
  domain?: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
  docString?: string;
  overload?: string;
  rest?: Uint8Array;
}

export interface Graph {
  name?: string;
  docString?: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  initializers: Tensor[];
  rest?: Uint8Array;
}

export interface OpsetImport {
  domain?: string;
  version?: number;
  rest?: Uint8Array;
}

export interface Model {
  irVersion?: number;
  opsetImports: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: Graph;
  metadata: Array<[string, string]>;
  rest?: Uint8Array;
}

/** The default ("ai.onnx") domain is spelled "" or "ai.onnx". */
export function isDefaultDomain(domain: string | undefined): boolean {
  return domain === undefined || domain === '' || domain === 'ai.onnx';
}

/** Version of the default-domain opset the model imports, or undefined. */
export function defaultOpset(model: Model): number | undefined {
  return model.opsetImports.find((o) => isDefaultDomain(o.domain))?.version;
}

/** The model's graph; throws when the file had none. */
export function mainGraph(model: Model): Graph {
  if (!model.graph) throw new TypeError('model has no graph');
  return model.graph;
}

/** A node's display name: its name when set, otherwise op type and position. */
export function nodeLabel(node: Node, index: number): string {
  return node.name ? node.name : `${node.opType}#${index}`;
}
