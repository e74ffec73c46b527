import { intAttr, intsAttr, floatAttr, stringAttr } from './attributes.js';
import { DataType, type DataTypeCode } from './dtypes.js';
import type { Attribute, Dim, Graph, Model, Node, ValueInfo } from './graph.js';
import { makeTensor, type Tensor } from './tensor.js';

/**
 * A small imperative builder for graphs: used by tests to make fixtures and by exporters to emit nodes.
 * Names are unique within one builder (`fresh`).
 */

export type AttrInput = number | bigint | string | number[] | Tensor;

export interface NodeSpec {
  name?: string;
  domain?: string;
  /** Plain numbers become INT when integral, FLOAT otherwise; use `{ float: 1 }` style via explicit Attributes if needed. */
  attrs?: Record<string, AttrInput>;
  floatAttrs?: Record<string, number>;
}

function toAttribute(name: string, v: AttrInput): Attribute {
  if (typeof v === 'bigint') return intAttr(name, v);
  if (typeof v === 'number') return Number.isInteger(v) ? intAttr(name, v) : floatAttr(name, v);
  if (typeof v === 'string') return stringAttr(name, v);
  if (Array.isArray(v)) return intsAttr(name, v);
  return { name, typeCode: 4, value: { kind: 'tensor', value: v } };
}

export function valueInfo(name: string, elemType: DataTypeCode, shape?: Dim[]): ValueInfo {
  return shape === undefined ? { name, type: { elemType } } : { name, type: { elemType, shape: [...shape] } };
}

export class GraphBuilder {
  readonly graph: Graph;
  private readonly used = new Set<string>();

  constructor(name = 'graph') {
    this.graph = { name, nodes: [], inputs: [], outputs: [], valueInfo: [], initializers: [] };
  }

  /** A name not used yet in this builder, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: DataTypeCode, shape?: Dim[]): string {
    this.used.add(name);
    this.graph.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  output(name: string, elemType: DataTypeCode, shape?: Dim[]): void {
    this.graph.outputs.push(valueInfo(name, elemType, shape));
  }

  /** Add an initializer built from values (see makeTensor for dtype rules); returns its name. */
  constant(base: string, dtype: DataTypeCode, dims: number[], values: ArrayLike<number> | readonly bigint[]): string {
    const name = this.fresh(base);
    this.graph.initializers.push(makeTensor(name, dtype, dims, values));
    return name;
  }

  tensor(t: Tensor): string {
    this.used.add(t.name);
    this.graph.initializers.push(t);
    return t.name;
  }

  scalar(base: string, value: number, dtype: DataTypeCode = DataType.FLOAT): string {
    return this.constant(base, dtype, [], [value]);
  }

  /** Add a node; returns its output names (fresh names derived from the node name unless given). */
  node(opType: string, inputs: string[], outputs: number | string[] = 1, spec: NodeSpec = {}): string[] {
    const name = this.fresh(spec.name ?? opType.toLowerCase());
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? `${name}_out` : `${name}_out${i}`))
        : outputs.map((o) => (this.used.add(o), o));
    const attributes = Object.entries(spec.attrs ?? {}).map(([k, v]) => toAttribute(k, v));
    for (const [k, v] of Object.entries(spec.floatAttrs ?? {})) attributes.push(floatAttr(k, v));
    const node: Node = { opType, name, inputs, outputs: outs, attributes };
    if (spec.domain !== undefined) node.domain = spec.domain;
    this.graph.nodes.push(node);
    return outs;
  }

  /** Single-output shorthand for `node`. */
  op(opType: string, inputs: string[], spec: NodeSpec = {}): string {
    return this.node(opType, inputs, 1, spec)[0]!;
  }

  model(opset: number, irVersion = opset >= 21 ? 10 : opset >= 19 ? 9 : 8): Model {
    return {
      irVersion,
      opsetImports: [{ domain: '', version: opset }],
      producerName: 'yoloq',
      graph: this.graph,
      metadata: [],
    };
  }
}
