import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  TensorShapeProto_DimensionSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TypeProto,
  type ValueInfoProto,
} from './schemas.js';
import type { Attribute, AttributeValue, Dim, Graph, Model, Node, TensorType, ValueInfo } from '../ir/graph.js';
import { has, restOf } from './rest.js';
import { decodeTensor } from './tensor-codec.js';

/** Proto → IR. Every field is either modeled or kept in `rest`, so `encodeModel(decodeModel(p))` equals `p`. */

const MODEL_FIELDS = new Set([
  'irVersion',
  'opsetImport',
  'producerName',
  'producerVersion',
  'domain',
  'modelVersion',
  'docString',
  'graph',
  'metadataProps',
]);
const GRAPH_FIELDS = new Set(['node', 'name', 'initializer', 'docString', 'input', 'output', 'valueInfo']);
const NODE_FIELDS = new Set(['input', 'output', 'name', 'opType', 'domain', 'attribute', 'docString', 'overload']);
const OPSET_FIELDS = new Set(['domain', 'version']);
const VALUE_FIELDS = new Set(['name', 'docString']);
const VALUE_FIELDS_TYPED = new Set(['name', 'docString', 'type']);

export function decodeModel(p: ModelProto): Model {
  const m: Model = {
    opsetImports: p.opsetImport.map((o) => {
      const out: Model['opsetImports'][number] = {};
      if (has(o, 'domain')) out.domain = o.domain;
      if (has(o, 'version')) out.version = Number(o.version);
      const rest = restOf(OperatorSetIdProtoSchema, o, OPSET_FIELDS);
      if (rest) out.rest = rest;
      return out;
    }),
    metadata: p.metadataProps.map((e): [string, string] => [e.key, e.value]),
  };
  if (has(p, 'irVersion')) m.irVersion = Number(p.irVersion);
  if (has(p, 'producerName')) m.producerName = p.producerName;
  if (has(p, 'producerVersion')) m.producerVersion = p.producerVersion;
  if (has(p, 'domain')) m.domain = p.domain;
  if (has(p, 'modelVersion')) m.modelVersion = Number(p.modelVersion);
  if (has(p, 'docString')) m.docString = p.docString;
  if (p.graph) m.graph = decodeGraph(p.graph);
  const rest = restOf(ModelProtoSchema, p, MODEL_FIELDS);
  if (rest) m.rest = rest;
  return m;
}

export function decodeGraph(p: GraphProto): Graph {
  const g: Graph = {
    nodes: p.node.map(decodeNode),
    inputs: p.input.map(decodeValueInfo),
    outputs: p.output.map(decodeValueInfo),
    valueInfo: p.valueInfo.map(decodeValueInfo),
    initializers: p.initializer.map(decodeTensor),
  };
  if (has(p, 'name')) g.name = p.name;
  if (has(p, 'docString')) g.docString = p.docString;
  const rest = restOf(GraphProtoSchema, p, GRAPH_FIELDS);
  if (rest) g.rest = rest;
  return g;
}

function decodeNode(p: NodeProto): Node {
  const n: Node = { opType: p.opType, inputs: p.input, outputs: p.output, attributes: p.attribute.map(decodeAttribute) };
  if (has(p, 'domain')) n.domain = p.domain;
  if (has(p, 'name')) n.name = p.name;
  if (has(p, 'docString')) n.docString = p.docString;
  if (has(p, 'overload')) n.overload = p.overload;
  const rest = restOf(NodeProtoSchema, p, NODE_FIELDS);
  if (rest) n.rest = rest;
  return n;
}

/** The value field each AttributeType reads, and how it becomes an IR value. */
function attributeValue(p: AttributeProto): { value: AttributeValue; field: string } | undefined {
  switch (p.type) {
    case 1:
      return has(p, 'f') ? { field: 'f', value: { kind: 'float', value: p.f } } : undefined;
    case 2:
      return has(p, 'i') ? { field: 'i', value: { kind: 'int', value: p.i } } : undefined;
    case 3:
      return has(p, 's') ? { field: 's', value: { kind: 'string', value: p.s } } : undefined;
    case 4:
      return p.t ? { field: 't', value: { kind: 'tensor', value: decodeTensor(p.t) } } : undefined;
    case 5:
      return p.g ? { field: 'g', value: { kind: 'graph', value: decodeGraph(p.g) } } : undefined;
    case 6:
      return { field: 'floats', value: { kind: 'floats', value: p.floats } };
    case 7:
      return { field: 'ints', value: { kind: 'ints', value: p.ints } };
    case 8:
      return { field: 'strings', value: { kind: 'strings', value: p.strings } };
    case 9:
      return { field: 'tensors', value: { kind: 'tensors', value: p.tensors.map(decodeTensor) } };
    case 10:
      return { field: 'graphs', value: { kind: 'graphs', value: p.graphs.map(decodeGraph) } };
    default:
      return undefined;
  }
}

function decodeAttribute(p: AttributeProto): Attribute {
  const a: Attribute = { name: p.name, value: { kind: 'other', value: null } };
  if (has(p, 'type')) a.typeCode = p.type;
  if (has(p, 'refAttrName')) a.refAttrName = p.refAttrName;
  if (has(p, 'docString')) a.docString = p.docString;
  const modeled = new Set(['name', 'type', 'refAttrName', 'docString']);
  // Only the value field named by `type` is modeled; anything else the writer put there is kept verbatim in `rest`.
  const v = a.refAttrName === undefined ? attributeValue(p) : undefined;
  if (v) {
    a.value = v.value;
    modeled.add(v.field);
  } else if (a.refAttrName !== undefined) {
    a.value = { kind: 'ref', value: null };
  }
  const rest = restOf(AttributeProtoSchema, p, modeled);
  if (rest) a.rest = rest;
  return a;
}

/** A TypeProto the IR models exactly: a tensor type with an element type and plain dims. */
function simpleTensorType(t: TypeProto | undefined): TensorType | undefined {
  if (t?.value.case !== 'tensorType' || has(t, 'denotation') || t.$unknown?.length) return undefined;
  const tt = t.value.value;
  if (!has(tt, 'elemType') || restOf(TypeProto_TensorSchema, tt, new Set(['elemType', 'shape']))) return undefined;
  const out: TensorType = { elemType: tt.elemType };
  if (!tt.shape) return out;
  if (tt.shape.$unknown?.length) return undefined;
  const dims: Dim[] = [];
  for (const d of tt.shape.dim) {
    if (restOf(TensorShapeProto_DimensionSchema, d, new Set(['dimValue', 'dimParam']))) return undefined;
    if (d.value.case === 'dimValue') {
      const n = Number(d.value.value);
      if (!Number.isSafeInteger(n)) return undefined;
      dims.push(n);
    } else if (d.value.case === 'dimParam') dims.push(d.value.value);
    else dims.push(null);
  }
  out.shape = dims;
  return out;
}

function decodeValueInfo(p: ValueInfoProto): ValueInfo {
  const v: ValueInfo = { name: p.name };
  if (has(p, 'docString')) v.docString = p.docString;
  const type = simpleTensorType(p.type);
  if (type) v.type = type;
  const rest = restOf(ValueInfoProtoSchema, p, type ? VALUE_FIELDS_TYPED : VALUE_FIELDS);
  if (rest) v.rest = rest;
  return v;
}
