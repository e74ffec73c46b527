import type { DataTypeCode } from '../ir/dtypes.js';
import type { Dim, Node } from '../ir/graph.js';

/**
 * What shape inference knows about one value: its element type and, when the rank is known, one `Dim` per axis
 * (a size, a symbolic name carried from a graph input, or null for unknown). `shape` undefined: rank unknown.
 */
export interface ShapeInfo {
  elemType: DataTypeCode;
  shape?: Dim[];
}

/** value name → what is known about it. Values nothing could be said about are absent. */
export type ShapeMap = Map<string, ShapeInfo>;

/**
 * A small tensor whose contents are known at inference time (an initializer, a Constant, or the result of a
 * shape-computing subgraph). `values` are row-major; integer tensors may hold a symbolic name or null where one
 * element is not known (e.g. the batch entry of `Shape(x)` for a dynamic batch), so that those survive
 * Gather/Concat/Unsqueeze chains into Reshape targets. Float tensors only ever hold numbers.
 */
export interface ConstValue {
  dtype: DataTypeCode;
  dims: number[];
  values: Dim[];
}

/** What a rule sees of one node: its input types, known input contents, and the model's default-domain opset. */
export interface RuleContext {
  readonly node: Node;
  /** Default-domain opset the model imports (rules choose attribute vs input forms by it). */
  readonly opset: number;
  /** Number of inputs, trailing omitted ("") inputs dropped. */
  readonly inputCount: number;
  /** Type of input `i`; undefined when omitted or unknown. */
  input(i: number): ShapeInfo | undefined;
  /** Contents of input `i` when known (small tensors only); undefined otherwise. */
  value(i: number): ConstValue | undefined;
}

/**
 * One op's shape rule: the type of each output (undefined entries: that output stays unknown), or undefined when
 * nothing can be said. Rules may throw on malformed nodes; the caller turns that into "unknown".
 */
export type ShapeRule = (ctx: RuleContext) => Array<ShapeInfo | undefined> | undefined;

/**
 * One op's constant evaluator: output contents from known input contents, or undefined. `outputs` are the types
 * the shape rule inferred (evaluators of reshaping ops take their dims from there); results must stay within
 * `limit` elements. May throw (→ unknown).
 */
export type ConstRule = (
  ctx: RuleContext,
  outputs: ReadonlyArray<ShapeInfo | undefined>,
  limit: number,
) => Array<ConstValue | undefined> | undefined;
