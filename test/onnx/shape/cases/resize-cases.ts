import type { GraphBuilder } from '../../../../src/onnx/ir/builder.js';
import { F, F16, I64, f, int64s, t, type ShapeCase } from './case.js';

/** Resize (scales, sizes, computed sizes, opset 10/11/13/18 forms) and Upsample (attribute and input forms). */

function floats(b: GraphBuilder, base: string, values: number[]): string {
  return b.constant(base, F, [values.length], values);
}

/** Give the last node a FLOAT list attribute (the builder turns number arrays into INTS). */
function lastNodeFloats(b: GraphBuilder, name: string, values: number[]): void {
  b.graph.nodes[b.graph.nodes.length - 1]!.attributes.push({ name, typeCode: 6, value: { kind: 'floats', value: values } });
}

export const resizeCases: ShapeCase[] = [
  {
    name: 'Resize opset 11 with roi and scales [1,1,2,2]: 20 → 40',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 128, 20, 20]);
      const y = b.op('Resize', [x, b.constant('roi', F, [0], []), floats(b, 'scales', [1, 1, 2, 2])], { attrs: { mode: 'nearest' } });
      return { [y]: f(1, 128, 40, 40) };
    },
  },
  {
    name: 'Resize opset 13 with sizes, and with a non-integer scale (15 · 1.5 → 22)',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 15, 15]);
      const sized = b.op('Resize', [x, '', '', int64s(b, 'sizes', [1, 3, 31, 7])]);
      const scaled = b.op('Resize', [x, '', floats(b, 'scales', [1, 1, 1.5, 1.5])]);
      return { [sized]: f(1, 3, 31, 7), [scaled]: f(1, 3, 22, 22) };
    },
  },
  {
    name: 'Resize sizes computed from Shape → Slice → Cast → Mul → Cast → Concat',
    opset: 13,
    build(b) {
      const x = b.input('x', F16, [1, 64, 20, 24]);
      const shape = b.op('Shape', [x]);
      const nc = b.op('Slice', [shape, int64s(b, 's0', [0]), int64s(b, 'e0', [2])]);
      const hw = b.op('Slice', [shape, int64s(b, 's1', [2]), int64s(b, 'e1', [4])]);
      const hwf = b.op('Cast', [hw], { attrs: { to: F } });
      const twice = b.op('Cast', [b.op('Mul', [hwf, b.scalar('two', 2)])], { attrs: { to: I64 } });
      const sizes = b.op('Concat', [nc, twice], { attrs: { axis: 0 } });
      const y = b.op('Resize', [x, '', '', sizes]);
      return { [hwf]: f(2), [twice]: t(I64, [2]), [sizes]: t(I64, [4]), [y]: t(F16, [1, 64, 40, 48]) };
    },
  },
  {
    name: 'Resize opset 10 (X, scales)',
    opset: 10,
    build(b) {
      const x = b.input('x', F, [1, 8, 10, 10]);
      return { [b.op('Resize', [x, floats(b, 'scales', [1, 1, 2, 3])])]: f(1, 8, 20, 30) };
    },
  },
  {
    name: 'Resize opset 18 with axes, and keep_aspect_ratio_policy not_larger',
    opset: 18,
    build(b) {
      const x = b.input('x', F, [1, 3, 20, 40]);
      const byAxes = b.op('Resize', [x, '', floats(b, 'scales', [2, 0.5])], { attrs: { axes: [2, 3] } });
      const fit = b.op('Resize', [x, '', '', int64s(b, 'sizes', [30, 50])], {
        attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' },
      });
      // ratios 1.5 and 1.25 → 1.25 → 25 × 50
      return { [byAxes]: f(1, 3, 40, 20), [fit]: f(1, 3, 25, 50) };
    },
  },
  {
    name: 'Upsample with scales as input (opset 9)',
    opset: 9,
    build(b) {
      const x = b.input('x', F, [1, 16, 13, 13]);
      return { [b.op('Upsample', [x, floats(b, 'scales', [1, 1, 2, 2])])]: f(1, 16, 26, 26) };
    },
  },
  {
    name: 'Upsample with a scales attribute (opset 7)',
    opset: 7,
    build(b) {
      const x = b.input('x', F, [1, 16, 13, 13]);
      const y = b.op('Upsample', [x]);
      lastNodeFloats(b, 'scales', [1, 1, 2, 2]);
      return { [y]: f(1, 16, 26, 26) };
    },
  },
  {
    name: 'Resize with scales only known at run time keeps the rank',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [1, 3, 8, 8]);
      const s = b.input('s', F, [4]);
      return { [b.op('Resize', [x, '', s])]: f(null, null, null, null) };
    },
  },
];
