import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { getInt, getInts } from '../../../src/onnx/ir/attributes.js';
import { modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { collectHessians } from '../../../src/quant/algorithms/hessian.js';
import { exposeValues } from '../../../src/quant/calibration/collect.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { seededRandom } from '../../../src/quant/rounding.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';
import { createSession } from '../../../src/runtime/session.js';

/** Plain-loop im2col Hessian of one Conv input x [C, H, W]: Σ over output positions of patch·patchᵀ, per group. */
function referenceHessian(
  x: Float32Array,
  c: number,
  hgt: number,
  wid: number,
  kh: number,
  stride: number,
  pad: number,
  groups: number,
): Float64Array {
  const cg = c / groups;
  const k = cg * kh * kh;
  const ho = Math.floor((hgt + 2 * pad - kh) / stride) + 1;
  const wo = Math.floor((wid + 2 * pad - kh) / stride) + 1;
  const h = new Float64Array(groups * k * k);
  const patch = new Float64Array(k);
  for (let g = 0; g < groups; g++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let ci = 0; ci < cg; ci++) {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kh; j++) {
              const y = oy * stride - pad + i;
              const xx = ox * stride - pad + j;
              const inside = y >= 0 && y < hgt && xx >= 0 && xx < wid;
              patch[(ci * kh + i) * kh + j] = inside ? x[((g * cg + ci) * hgt + y) * wid + xx]! : 0;
            }
          }
        }
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) h[g * k * k + a * k + b]! += patch[a]! * patch[b]!;
      }
    }
  }
  return h;
}

test('Hessians from the ORT im2col graph match a plain-loop im2col (dense, strided and depthwise Convs)', async () => {
  const model = buildTinyDetector('float');
  const targets = findQuantTargets(model);
  const rnd = seededRandom(11);
  const feed: Record<string, HostTensor> = {
    images: { dtype: 'float32', dims: [1, 3, 32, 32], data: Float32Array.from({ length: 3 * 32 * 32 }, () => rnd() * 2 - 1) },
  };
  async function* feeds() {
    yield feed;
  }
  const hessians = await collectHessians(model, targets, feeds());
  assert.equal(hessians.size, targets.length);
  const g = model.graph!;
  const inputs = targets.map((t) => g.nodes[t.nodeIndex]!.inputs[0]!);
  const session = await createSession(modelToBytes(exposeValues(model, inputs)));
  const values = await session.run(feed, inputs);
  await session.dispose();
  for (const t of targets) {
    const node = g.nodes[t.nodeIndex]!;
    const x = values[node.inputs[0]!]!;
    const [, c, hh, ww] = x.dims as [number, number, number, number];
    const kh = t.weight.dims[2]!;
    const groups = getInt(node, 'group', 1);
    const ref = referenceHessian(
      x.data as Float32Array,
      c,
      hh,
      ww,
      kh,
      getInts(node, 'strides')?.[0] ?? 1,
      getInts(node, 'pads')?.[0] ?? 0,
      groups,
    );
    const got = hessians.get(t.node)!;
    assert.equal(got.groups, groups, t.node);
    assert.equal(got.h.length, ref.length, t.node);
    let maxErr = 0,
      maxRef = 0;
    for (let i = 0; i < ref.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got.h[i]! - ref[i]!));
      maxRef = Math.max(maxRef, Math.abs(ref[i]!));
    }
    assert.ok(maxErr <= 1e-4 * maxRef, `${t.node}: max error ${maxErr} of ${maxRef}`);
    const ho = Math.floor((hh + 2 * (getInts(node, 'pads')?.[0] ?? 0) - kh) / (getInts(node, 'strides')?.[0] ?? 1)) + 1;
    assert.equal(got.count, ho * ho, t.node);
  }
});
