import { DataType } from '../../src/onnx/ir/dtypes.js';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';

/** y = relu(x · W) with W = [[0..3], [4..7], [8..11], [12..15]]; x [1, 4] float32 → y [1, 4]. Two nodes. */
export function matmulReluModel(): Model {
  const b = new GraphBuilder('matmul_relu');
  const x = b.input('x', DataType.FLOAT, [1, 4]);
  const w = b.constant(
    'w',
    DataType.FLOAT,
    [4, 4],
    Array.from({ length: 16 }, (_, i) => i),
  );
  const y = b.op('MatMul', [x, w], { name: 'mm' });
  b.node('Relu', [y], ['y'], { name: 'act' });
  b.output('y', DataType.FLOAT, [1, 4]);
  return b.model(17);
}

/** y = x + 1 in FLOAT16; x and y are [2, 3]. */
export function fp16AddModel(): Uint8Array {
  const b = new GraphBuilder('fp16_add');
  const x = b.input('x', DataType.FLOAT16, [2, 3]);
  const one = b.scalar('one', 1, DataType.FLOAT16);
  b.node('Add', [x, one], ['y']);
  b.output('y', DataType.FLOAT16, [2, 3]);
  return modelToBytes(b.model(17));
}

/**
 * A stand-in detector: input `images` [1, 3, size, size] (float32 or float16), output `output` = `rows` + 0·max(images),
 * so it returns the fixed rows whatever the image (shape [1, K, C] from `rows`). `metadata` goes to metadata_props.
 */
export function constantOutputModel(options: {
  size: number;
  rows: number[][];
  dtype?: 'float32' | 'float16';
  metadata?: Array<[string, string]>;
}): Uint8Array {
  const elem = options.dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  const k = options.rows.length;
  const c = options.rows[0]?.length ?? 0;
  const b = new GraphBuilder('constant_detector');
  const images = b.input('images', elem, [1, 3, options.size, options.size]);
  const rows = b.constant('rows', elem, [1, k, c], options.rows.flat());
  const zero = b.scalar('zero', 0, elem);
  const m = b.op('ReduceMax', [images], { attrs: { keepdims: 0 } });
  const z = b.op('Mul', [m, zero]);
  b.node('Add', [rows, z], ['output']);
  b.output('output', elem, [1, k, c]);
  const model = b.model(17);
  model.metadata = options.metadata ?? [];
  return modelToBytes(model);
}
