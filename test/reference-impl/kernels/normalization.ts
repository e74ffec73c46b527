import { getFloat, getInt } from '../../../src/onnx/ir/attributes.js';
import { need, type Kernel } from '../kernel-types.js';
import { floatResult, normAxis } from '../ref-tensor.js';

/**
 * BatchNormalization (inference: y = (x − mean) / sqrt(var + ε) · scale + B over axis 1 of [N, C, …]) and
 * Softmax/LogSoftmax: opset ≥ 13 normalizes along `axis` (default −1); earlier opsets flatten to 2-D at `axis`
 * (default 1) and normalize each row. Max-subtracted, summed in float64.
 */

const batchNorm: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => need(inputs, i, ctx));
  const eps = Math.fround(getFloat(ctx.node, 'epsilon', 1e-5));
  const c = x.dims[1] ?? 1;
  const inner = x.dims.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / inner) % c;
    out[i] = ((x.data[i]! - mean!.data[ch]!) / Math.sqrt(variance!.data[ch]! + eps)) * scale!.data[ch]! + bias!.data[ch]!;
  }
  return [floatResult(x.dtype, x.dims, out)];
};

function softmax(log: boolean): Kernel {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const legacy = ctx.opset < 13;
    const axis = normAxis(getInt(ctx.node, 'axis', legacy ? 1 : -1), x.dims.length);
    const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const len = legacy ? x.dims.slice(axis).reduce((a, b) => a * b, 1) : x.dims[axis]!;
    const inner = legacy ? 1 : x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(x.data.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (k: number) => (o * len + k) * inner + j;
        let max = -Infinity;
        for (let k = 0; k < len; k++) max = Math.max(max, x.data[at(k)]!);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += Math.exp(x.data[at(k)]! - max);
        for (let k = 0; k < len; k++) {
          const d = x.data[at(k)]! - max;
          out[at(k)] = log ? d - Math.log(sum) : Math.exp(d) / sum;
        }
      }
    }
    return [floatResult(x.dtype, x.dims, out)];
  };
}

export const NORMALIZATION_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  BatchNormalization: batchNorm,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
});
