import {
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  ValueInfoProtoSchema,
  create,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from './schemas.js';
import type { Attribute, Graph, Model, Node, ValueInfo } from '../ir/graph.js';
import { withRest } from './rest.js';
import { encodeTensor } from './tensor-codec.js';

/** IR → proto, the inverse of decode.ts. */

export function encodeModel(m: Model): ModelProto {
  const p = withRest(ModelProtoSchema, m.rest);
  if (m.irVersion !== undefined) p.irVersion = BigInt(m.irVersion);
  p.opsetImport = m.opsetImports.map((o) => {
    const q = withRest(OperatorSetIdProtoSchema, o.rest);
    if (o.domain !== undefined) q.domain = o.domain;
    if (o.version !== undefined) q.version = BigInt(o.version);
    return q;
  });
  if (m.producerName !== undefined) p.producerName = m.producerName;
  if (m.producerVersion !== undefined) p.producerVersion = m.producerVersion;
  if (m.domain !== undefined) p.domain = m.domain;
  if (m.modelVersion !== undefined) p.modelVersion = BigInt(m.modelVersion);
  if (m.docString !== undefined) p.docString = m.docString;
  if (m.graph) p.graph = encodeGraph(m.graph);
  p.metadataProps = m.metadata.map(([key, value]) => ({ $typeName: 'onnx.StringStringEntryProto', key, value }));
  return p;
}

export function encodeGraph(g: Graph): GraphProto {
  const p = withRest(GraphProtoSchema, g.rest);
  p.node = g.nodes.map(encodeNode);
  if (g.name !== undefined) p.name = g.name;
  p.initializer = g.initializers.map(encodeTensor);
  if (g.docString !== undefined) p.docString = g.docString;
  p.input = g.inputs.map(encodeValueInfo);
  p.output = g.outputs.map(encodeValueInfo);
  p.valueInfo = g.valueInfo.map(encodeValueInfo);
  return p;
}

function encodeNode(n: Node): NodeProto {
  const p = withRest(NodeProtoSchema, n.rest);
  p.input = n.inputs;
  p.output = n.outputs;
  if (n.name !== undefined) p.name = n.name;
  p.opType = n.opType;
  if (n.domain !== undefined) p.domain = n.domain;
  p.attribute = n.attributes.map(encodeAttribute);
  if (n.docString !== undefined) p.docString = n.docString;
  if (n.overload !== undefined) p.overload = n.overload;
  return p;
}

function encodeAttribute(a: Attribute): AttributeProto {
  const p = withRest(AttributeProtoSchema, a.rest);
  p.name = a.name;
  if (a.typeCode !== undefined) p.type = a.typeCode;
  if (a.refAttrName !== undefined) p.refAttrName = a.refAttrName;
  if (a.docString !== undefined) p.docString = a.docString;
  const v = a.value;
  switch (v.kind) {
    case 'float':
      p.f = v.value;
      break;
    case 'int':
      p.i = v.value;
      break;
    case 'string':
      p.s = v.value as Uint8Array<ArrayBuffer>;
      break;
    case 'tensor':
      p.t = encodeTensor(v.value);
      break;
    case 'graph':
      p.g = encodeGraph(v.value);
      break;
    case 'floats':
      p.floats = v.value;
      break;
    case 'ints':
      p.ints = v.value;
      break;
    case 'strings':
      p.strings = v.value as Uint8Array<ArrayBuffer>[];
      break;
    case 'tensors':
      p.tensors = v.value.map(encodeTensor);
      break;
    case 'graphs':
      p.graphs = v.value.map(encodeGraph);
      break;
    case 'ref':
    case 'other':
      break;
  }
  return p;
}

function encodeValueInfo(v: ValueInfo): ValueInfoProto {
  const p = withRest(ValueInfoProtoSchema, v.rest);
  p.name = v.name;
  if (v.docString !== undefined) p.docString = v.docString;
  if (v.type) {
    const tt = create(TypeProto_TensorSchema, { elemType: v.type.elemType });
    if (v.type.shape) {
      tt.shape = create(TensorShapeProtoSchema, {
        dim: v.type.shape.map((d) => {
          const dim = create(TensorShapeProto_DimensionSchema);
          if (typeof d === 'number') dim.value = { case: 'dimValue', value: BigInt(d) };
          else if (typeof d === 'string') dim.value = { case: 'dimParam', value: d };
          return dim;
        }),
      });
    }
    p.type = create(TypeProtoSchema, { value: { case: 'tensorType', value: tt } });
  }
  return p;
}
