import { getInt, getInts, getString } from '../../../src/onnx/ir/attributes.js';
import type { Node } from '../../../src/onnx/ir/graph.js';

/**
 * Sliding-window geometry shared by Conv and the pools, for the spatial axes of an NC… tensor. Pads are split
 * into begin/end per axis; `auto_pad` SAME_UPPER/SAME_LOWER/VALID override explicit pads.
 */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
  /** Output spatial dims. */
  out: number[];
}

/**
 * Window geometry for input spatial dims `inDims` and kernel `kernel`. `ceilMode` (pools) rounds the output size
 * up, dropping a last window that would start past the input plus its begin padding.
 */
export function windowOf(node: Node, inDims: readonly number[], kernel: readonly number[], ceilMode = false): Window {
  const r = kernel.length;
  const strides = getInts(node, 'strides') ?? new Array<number>(r).fill(1);
  const dilations = getInts(node, 'dilations') ?? new Array<number>(r).fill(1);
  const pads = getInts(node, 'pads') ?? new Array<number>(2 * r).fill(0);
  const autoPad = getString(node, 'auto_pad') ?? 'NOTSET';
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const s = strides[i]!;
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    const size = inDims[i]!;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(size / s);
      const total = Math.max(0, (o - 1) * s + span - size);
      const small = Math.floor(total / 2);
      padBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      padEnd.push(autoPad === 'SAME_UPPER' ? total - small : small);
      out.push(o);
      continue;
    }
    const [pb, pe] = autoPad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + r]!];
    padBegin.push(pb);
    padEnd.push(pe);
    const room = size + pb + pe - span;
    let o = (ceilMode ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
    if (ceilMode && (o - 1) * s >= size + pb) o -= 1;
    out.push(o);
  }
  return { kernel: [...kernel], strides, dilations, padBegin, padEnd, out };
}

/** Whether the node asks for ceil-mode output sizes (pools only). */
export function ceilModeOf(node: Node): boolean {
  return getInt(node, 'ceil_mode', 0) === 1;
}

/**
 * The range [lo, hi) of output positions o along one axis for which input position o·stride − pad + k·dilation
 * lies inside [0, size): used to hoist bounds checks out of inner loops.
 */
export function validRange(k: number, w: Window, axis: number, size: number): [number, number] {
  const s = w.strides[axis]!;
  const off = k * w.dilations[axis]! - w.padBegin[axis]!;
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(w.out[axis]!, Math.floor((size - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}
