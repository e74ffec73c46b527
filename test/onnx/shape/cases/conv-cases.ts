import { F, f, t, I64, zerosInit, type ShapeCase } from './case.js';

/** Conv, ConvTranspose and pooling; sizes worked out by hand from the ONNX formulas (see rules/conv.ts). */
export const convCases: ShapeCase[] = [
  {
    name: 'Conv 3x3 stride 2 pad 1: 416 → 208',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 3, 416, 416]);
      const y = b.op('Conv', [x, zerosInit(b, 'w', [16, 3, 3, 3]), zerosInit(b, 'b', [16])], {
        attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
      });
      return { [y]: f(1, 16, 208, 208) };
    },
  },
  {
    name: 'Conv dilation 2, no pads, kernel from the weight: 10 → 6',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 3, 10, 10]);
      const y = b.op('Conv', [x, zerosInit(b, 'w', [8, 3, 3, 3])], { attrs: { dilations: [2, 2] } });
      return { [y]: f(1, 8, 6, 6) };
    },
  },
  {
    name: 'Conv auto_pad SAME_UPPER stride 2: 15 → 8; VALID: 15 → 7',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 3, 15, 15]);
      const w = zerosInit(b, 'w', [4, 3, 3, 3]);
      const same = b.op('Conv', [x, w], { attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] } });
      const valid = b.op('Conv', [x, w], { attrs: { auto_pad: 'VALID', strides: [2, 2] } });
      return { [same]: f(1, 4, 8, 8), [valid]: f(1, 4, 7, 7) };
    },
  },
  {
    name: 'Conv depthwise (group 32) and asymmetric pads',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 32, 20, 20]);
      const dw = b.op('Conv', [x, zerosInit(b, 'w', [32, 1, 3, 3])], { attrs: { group: 32, pads: [1, 1, 1, 1] } });
      const asym = b.op('Conv', [x, zerosInit(b, 'w2', [8, 32, 3, 3])], { attrs: { pads: [0, 0, 1, 1], strides: [2, 2] } });
      // (20 + 0 + 1 − 3) / 2 + 1 = 10
      return { [dw]: f(1, 32, 20, 20), [asym]: f(1, 8, 10, 10) };
    },
  },
  {
    name: 'Conv carries a symbolic batch; a 1x1 conv keeps symbolic spatial dims',
    opset: 13,
    build(b) {
      const x = b.input('x', F, ['N', 3, 32, 32]);
      const y = b.op('Conv', [x, zerosInit(b, 'w', [16, 3, 3, 3])], { attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } });
      const z = b.input('z', F, ['N', 3, 'H', 'W']);
      const p = b.op('Conv', [z, zerosInit(b, 'w1', [8, 3, 1, 1])]);
      const q = b.op('Conv', [z, zerosInit(b, 'w3', [8, 3, 3, 3])], { attrs: { pads: [1, 1, 1, 1] } });
      return { [y]: f('N', 16, 16, 16), [p]: f('N', 8, 'H', 'W'), [q]: f('N', 8, null, null) };
    },
  },
  {
    name: 'Conv 1-D',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [2, 4, 50]);
      const y = b.op('Conv', [x, zerosInit(b, 'w', [6, 4, 5])], { attrs: { strides: [3] } });
      // (50 − 5) / 3 + 1 = 16
      return { [y]: f(2, 6, 16) };
    },
  },
  {
    name: 'ConvTranspose stride 2 kernel 4 pad 1: 10 → 20; group 2 doubles channels; output_shape wins',
    opset: 13,
    build(b) {
      const x = b.input('x', F, [1, 16, 10, 10]);
      const up = b.op('ConvTranspose', [x, zerosInit(b, 'w', [16, 8, 4, 4])], { attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } });
      const grouped = b.op('ConvTranspose', [x, zerosInit(b, 'wg', [16, 4, 2, 2])], { attrs: { strides: [2, 2], group: 2 } });
      const padded = b.op('ConvTranspose', [x, zerosInit(b, 'wp', [16, 8, 3, 3])], { attrs: { strides: [2, 2], output_padding: [1, 1] } });
      // 2·9 + 1 + 3 = 22
      return { [up]: f(1, 8, 20, 20), [grouped]: f(1, 8, 20, 20), [padded]: f(1, 8, 22, 22) };
    },
  },
  {
    name: 'MaxPool SPP (k5 s1 p2) keeps 13; k2 s2 floor vs ceil_mode on 5; Indices output INT64',
    opset: 12,
    build(b) {
      const x = b.input('x', F, [1, 128, 13, 13]);
      const spp = b.op('MaxPool', [x], { attrs: { kernel_shape: [5, 5], pads: [2, 2, 2, 2], strides: [1, 1] } });
      const y = b.input('y', F, [1, 4, 5, 5]);
      const floor = b.op('MaxPool', [y], { attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
      const ceil = b.op('MaxPool', [y], { attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } });
      const [v, idx] = b.node('MaxPool', [y], 2, { attrs: { kernel_shape: [3, 3], strides: [1, 1] } }) as [string, string];
      return { [spp]: f(1, 128, 13, 13), [floor]: f(1, 4, 2, 2), [ceil]: f(1, 4, 3, 3), [v]: f(1, 4, 3, 3), [idx]: t(I64, [1, 4, 3, 3]) };
    },
  },
  {
    name: 'MaxPool ceil_mode drops a last window that would start in the right padding',
    opset: 12,
    build(b) {
      const x = b.input('x', F, [1, 1, 6, 6]);
      // total = 6 + 1 − 2 = 5 → ceil(5/2) + 1 = 4, but window 4 starts at 6 ≥ 6 + 0 → 3
      const y = b.op('MaxPool', [x], { attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 } });
      const avg = b.op('AveragePool', [x], { attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 } });
      return { [y]: f(1, 1, 3, 3), [avg]: f(1, 1, 3, 3) };
    },
  },
  {
    name: 'AveragePool k3 s2: 7 → 3; GlobalAveragePool → 1x1',
    opset: 11,
    build(b) {
      const x = b.input('x', F, [1, 8, 7, 7]);
      const avg = b.op('AveragePool', [x], { attrs: { kernel_shape: [3, 3], strides: [2, 2] } });
      const gap = b.op('GlobalAveragePool', [x]);
      const gmp = b.op('GlobalMaxPool', [x]);
      return { [avg]: f(1, 8, 3, 3), [gap]: f(1, 8, 1, 1), [gmp]: f(1, 8, 1, 1) };
    },
  },
  {
    name: 'malformed Conv (pads of the wrong length, window larger than the input) stays unknown',
    opset: 13,
    ort: false,
    build(b) {
      const x = b.input('x', F, [1, 3, 4, 4]);
      const w = zerosInit(b, 'w', [8, 3, 3, 3]);
      const badPads = b.op('Conv', [x, w], { attrs: { pads: [1, 1, 1] } });
      const tooBig = b.op('Conv', [x, zerosInit(b, 'w9', [8, 3, 9, 9])]);
      const noWeight = b.op('Conv', [x]);
      return { [badPads]: null, [tooBig]: null, [noWeight]: null };
    },
  },
];
