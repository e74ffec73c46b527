import assert from 'node:assert/strict';
import { GraphBuilder } from '../../../../src/onnx/ir/builder.js';
import { DataType } from '../../../../src/onnx/ir/dtypes.js';
import type { Dim, Model } from '../../../../src/onnx/ir/graph.js';
import { inferShapes } from '../../../../src/onnx/shape/infer.js';
import type { ShapeInfo, ShapeMap } from '../../../../src/onnx/shape/types.js';

/**
 * Hand-checked shape cases: each builds a small graph and states the type it expects for some values (null: the
 * value must be absent from the map). Family test files assert them; ort-parity.test.ts runs every case marked
 * runnable on ONNX Runtime and compares the static expectations with the actual outputs.
 */

export type Expect = ShapeInfo | null;

export interface ShapeCase {
  name: string;
  opset: number;
  /** false: ONNX Runtime cannot run it (malformed on purpose, or shapes it would reject). Default true. */
  ort?: boolean;
  build(b: GraphBuilder): Record<string, Expect>;
}

export const { FLOAT: F, FLOAT16: F16, INT64: I64, INT32: I32, BOOL: B, UINT8: U8, INT8: I8 } = DataType;

export function t(elemType: number, shape?: Dim[]): ShapeInfo {
  return shape === undefined ? { elemType } : { elemType, shape };
}

/** FLOAT of `shape`. */
export function f(...shape: Dim[]): ShapeInfo {
  return { elemType: DataType.FLOAT, shape };
}

/** A zero-filled FLOAT initializer of `dims`. */
export function zerosInit(b: GraphBuilder, base: string, dims: number[]): string {
  return b.constant(base, DataType.FLOAT, dims, new Float32Array(dims.reduce((a, c) => a * c, 1)));
}

/** A 1-D INT64 initializer. */
export function int64s(b: GraphBuilder, base: string, values: number[]): string {
  return b.constant(base, DataType.INT64, [values.length], values);
}

export function buildCase(c: ShapeCase): { model: Model; expected: Record<string, Expect> } {
  const b = new GraphBuilder(c.name);
  const expected = c.build(b);
  return { model: b.model(c.opset), expected };
}

export function checkCase(c: ShapeCase): ShapeMap {
  const { model, expected } = buildCase(c);
  const shapes = inferShapes(model);
  for (const [name, want] of Object.entries(expected)) {
    assert.deepEqual(shapes.get(name) ?? null, want, `${c.name}: ${name}`);
  }
  return shapes;
}
