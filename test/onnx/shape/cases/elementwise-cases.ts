import { B, F, F16, I64, f, int64s, t, zerosInit, type ShapeCase } from './case.js';

/** Unary, binary (numpy broadcasting), comparison, logical and variadic ops. */
export const elementwiseCases: ShapeCase[] = [
  {
    name: 'unary activations keep dtype and shape',
    opset: 17,
    build(b) {
      const x = b.input('x', F, [1, 16, 8, 8]);
      const out: Record<string, ReturnType<typeof f>> = {};
      for (const op of [
        'Relu',
        'Sigmoid',
        'HardSigmoid',
        'HardSwish',
        'Tanh',
        'Exp',
        'Log',
        'Sqrt',
        'Neg',
        'Abs',
        'Sign',
        'Floor',
        'Ceil',
        'Round',
        'Identity',
      ]) {
        out[b.op(op, [x])] = f(1, 16, 8, 8);
      }
      out[b.op('LeakyRelu', [x], { floatAttrs: { alpha: 0.1 } })] = f(1, 16, 8, 8);
      out[b.op('Softmax', [x], { attrs: { axis: 1 } })] = f(1, 16, 8, 8);
      out[b.op('Clip', [x, b.scalar('lo', 0), b.scalar('hi', 6)])] = f(1, 16, 8, 8);
      return out;
    },
  },
  {
    name: 'SiLU as Sigmoid then Mul keeps the shape',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 32, 40, 40]);
      const y = b.op('Mul', [x, b.op('Sigmoid', [x])]);
      return { [y]: f(1, 32, 40, 40) };
    },
  },
  {
    name: 'numpy broadcasting: [1,3,80,80] ⊕ [3,1,1], [4,1] ⊕ [1,5], scalar ⊕ tensor',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 80, 80]);
      const y = b.op('Add', [x, zerosInit(b, 'bias', [3, 1, 1])]);
      const p = b.input('p', F, [4, 1]);
      const q = b.input('q', F, [1, 5]);
      const outer = b.op('Mul', [p, q]);
      const s = b.op('Div', [b.scalar('two', 2), x]);
      const pw = b.op('Pow', [x, b.scalar('e', 2)]);
      const sub = b.op('Sub', [q, p]);
      return { [y]: f(1, 3, 80, 80), [outer]: f(4, 5), [s]: f(1, 3, 80, 80), [pw]: f(1, 3, 80, 80), [sub]: f(4, 5) };
    },
  },
  {
    name: 'broadcasting with symbolic dims: a name meets 1 or itself; two names give unknown',
    opset: 13,
    build(b) {
      const x = b.input('x', F, ['N', 3, 1]);
      const y = b.input('y', F, [1, 3, 'K']);
      const z = b.input('z', F, ['M', 1, 1]);
      return {
        [b.op('Add', [x, y])]: f('N', 3, 'K'),
        [b.op('Add', [x, x])]: f('N', 3, 1),
        [b.op('Add', [x, z])]: f(null, 3, 1),
      };
    },
  },
  {
    name: 'comparisons and logic give BOOL; Where takes the value dtype',
    opset: 16,
    build(b) {
      const x = b.input('x', F, [2, 3]);
      const y = b.input('y', F, [3]);
      const eq = b.op('Equal', [x, y]);
      const gt = b.op('Greater', [x, y]);
      const lt = b.op('Less', [y, x]);
      const and = b.op('And', [gt, lt]);
      const not = b.op('Not', [and]);
      const w = b.op('Where', [not, x, b.scalar('z', 0)]);
      return { [eq]: t(B, [2, 3]), [gt]: t(B, [2, 3]), [lt]: t(B, [2, 3]), [and]: t(B, [2, 3]), [not]: t(B, [2, 3]), [w]: f(2, 3) };
    },
  },
  {
    name: 'variadic Min, Max, Sum broadcast all inputs; FLOAT16 is kept',
    opset: 13,
    build(b) {
      const x = b.input('x', F16, [2, 1, 4]);
      const y = b.input('y', F16, [3, 1]);
      const z = b.input('z', F16, [4]);
      return {
        [b.op('Min', [x, y, z])]: t(F16, [2, 3, 4]),
        [b.op('Max', [x, y])]: t(F16, [2, 3, 4]),
        [b.op('Sum', [x])]: t(F16, [2, 1, 4]),
        [b.op('Sum', [z, y])]: t(F16, [3, 4]),
      };
    },
  },
  {
    name: 'integer arithmetic keeps INT64',
    opset: 13,
    build(b) {
      const x = b.input('x', I64, [5]);
      return { [b.op('Mul', [x, int64s(b, 'k', [2])])]: t(I64, [5]) };
    },
  },
  {
    name: 'incompatible broadcast and wrong arity stay unknown',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [2, 3]);
      const y = b.input('y', F, [4]);
      return { [b.op('Add', [x, y])]: null, [b.op('Add', [x])]: null, [b.op('Relu', [x, y])]: null };
    },
  },
];
