import { F, I64, f, int64s, t, type ShapeCase } from './case.js';

const MAX = 9223372036854775807n;
const MIN = -9223372036854775807n;

/** Slice, Split, Gather, GatherElements. */
export const selectCases: ShapeCase[] = [
  {
    name: 'Slice with attributes (opset 9)',
    opset: 9,
    build(b) {
      const x = b.input('x', F, [1, 12, 20, 20]);
      return {
        [b.op('Slice', [x], { attrs: { starts: [0], ends: [6], axes: [1] } })]: f(1, 6, 20, 20),
        [b.op('Slice', [x], { attrs: { starts: [2, -5], ends: [100, -1], axes: [1, 2] } })]: f(1, 10, 4, 20),
        [b.op('Slice', [x], { attrs: { starts: [0, 0], ends: [1, 3] } })]: f(1, 3, 20, 20),
      };
    },
  },
  {
    name: 'Slice with inputs (opset 13): Focus-style stride-2 slices, INT64_MAX ends, negative steps',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 416, 415]);
      const ends = b.constant('ends', I64, [2], [MAX, MAX]);
      const axes = int64s(b, 'axes', [2, 3]);
      const steps = int64s(b, 'steps', [2, 2]);
      const even = b.op('Slice', [x, int64s(b, 's0', [0, 0]), ends, axes, steps]);
      const odd = b.op('Slice', [x, int64s(b, 's1', [1, 1]), ends, axes, steps]);
      const rev = b.op('Slice', [
        x,
        int64s(b, 'r0', [-1]),
        b.constant('rmin', I64, [1], [MIN]),
        int64s(b, 'ra', [1]),
        int64s(b, 'rs', [-1]),
      ]);
      const tail = b.op('Slice', [x, int64s(b, 't0', [-2]), b.constant('tmax', I64, [1], [MAX]), int64s(b, 'ta', [-1])]);
      const empty = b.op('Slice', [x, int64s(b, 'e0', [5]), int64s(b, 'e1', [2]), int64s(b, 'ea', [1])]);
      const back = b.op('Slice', [x, int64s(b, 'b0', [300]), int64s(b, 'b1', [100]), int64s(b, 'ba', [2]), int64s(b, 'bs', [-3])]);
      return {
        [even]: f(1, 3, 208, 208),
        [odd]: f(1, 3, 208, 207),
        [rev]: f(1, 3, 416, 415),
        [tail]: f(1, 3, 416, 2),
        [empty]: f(1, 0, 416, 415),
        // 300, 297, …, 102: 67 elements
        [back]: f(1, 3, 67, 415),
      };
    },
  },
  {
    name: 'Slice keeps symbolic dims it does not cut and a whole-axis slice of a symbolic dim',
    opset: 13,
    build(b) {
      const x = b.input('x', F, ['N', 85, 'A']);
      const head = b.op('Slice', [x, int64s(b, 's', [0]), int64s(b, 'e', [4]), int64s(b, 'a', [1])]);
      const all = b.op('Slice', [x, int64s(b, 's2', [0]), b.constant('e2', I64, [1], [MAX]), int64s(b, 'a2', [2])]);
      const cut = b.op('Slice', [x, int64s(b, 's3', [1]), b.constant('e3', I64, [1], [MAX]), int64s(b, 'a3', [2])]);
      return { [head]: f('N', 4, 'A'), [all]: f('N', 85, 'A'), [cut]: f('N', 85, null) };
    },
  },
  {
    name: 'Slice with starts only known at run time keeps the rank',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [4, 5]);
      const s = b.input('s', I64, [1]);
      return { [b.op('Slice', [x, s, int64s(b, 'e', [3]), int64s(b, 'a', [1])])]: f(4, null) };
    },
  },
  {
    name: 'Split with the split attribute and evenly (opset 11)',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 6, 9]);
      const [a, c] = b.node('Split', [x], 2, { attrs: { axis: 1, split: [2, 4] } }) as [string, string];
      const [p, q, r] = b.node('Split', [x], 3, { attrs: { axis: -1 } }) as [string, string, string];
      return { [a]: f(1, 2, 9), [c]: f(1, 4, 9), [p]: f(1, 6, 3), [q]: f(1, 6, 3), [r]: f(1, 6, 3) };
    },
  },
  {
    name: 'Split with the split input (opset 13)',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 80, 80, 85]);
      const [xy, wh, conf] = b.node('Split', [x, int64s(b, 'sp', [2, 2, 81])], 3, { attrs: { axis: 4 } }) as [string, string, string];
      const [l, r] = b.node('Split', [x], 2, { attrs: { axis: 2 } }) as [string, string];
      return {
        [xy]: f(1, 3, 80, 80, 2),
        [wh]: f(1, 3, 80, 80, 2),
        [conf]: f(1, 3, 80, 80, 81),
        [l]: f(1, 3, 40, 80, 85),
        [r]: f(1, 3, 40, 80, 85),
      };
    },
  },
  {
    name: 'Split with num_outputs (opset 18): 8 → 3, 3, 2',
    opset: 18,
    build(b) {
      const x = b.input('x', F, [8, 2]);
      const [p, q, r] = b.node('Split', [x], 3, { attrs: { num_outputs: 3 } }) as [string, string, string];
      return { [p]: f(3, 2), [q]: f(3, 2), [r]: f(2, 2) };
    },
  },
  {
    name: 'Split that does not divide evenly, or whose sizes do not add up, stays unknown',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [7]);
      const [p] = b.node('Split', [x], 2) as [string, string];
      const [q] = b.node('Split', [x, int64s(b, 'sp', [3, 3])], 2) as [string, string];
      return { [p]: null, [q]: null };
    },
  },
  {
    name: 'Gather with scalar and vector indices; GatherElements takes the indices shape',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 5, 7]);
      const scalar = b.op('Gather', [x, b.constant('i0', I64, [], [3])], { attrs: { axis: 1 } });
      const vec = b.op('Gather', [x, b.constant('i1', I64, [2, 2], [0, 1, 4, 4])], { attrs: { axis: -2 } });
      const idx = b.input('idx', I64, [2, 3, 7]);
      const ge = b.op('GatherElements', [x, idx], { attrs: { axis: 1 } });
      return { [scalar]: f(2, 7), [vec]: f(2, 2, 2, 7), [ge]: f(2, 3, 7) };
    },
  },
  {
    name: 'Gather on a shape vector and on a constant table gives values downstream',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 40, 48]);
      const hw = b.op('Gather', [b.op('Shape', [x]), int64s(b, 'i', [2, 3])]);
      const y = b.op('Reshape', [b.input('y', F, [1, 1920]), hw]);
      return { [hw]: t(I64, [2]), [y]: f(40, 48) };
    },
  },
];
