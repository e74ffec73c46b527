import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkModel } from '../../src/check/check-model.js';
import { InputError } from '../../src/errors.js';
import { buildTinyDetector, EXAMPLE_FORMATS } from '../../src/examples/tiny-detector.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { floatAttr } from '../../src/onnx/ir/attributes.js';
import { assertInspectable, inspectModel } from '../../src/inspect/inspect-model.js';
import { modelFromBytes, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/quant/rounding.js';

/**
 * Feeds mutated models to load → check → inspect, the path `yoloq inspect` takes. Any error must be an InputError
 * (the CLI's exit 2); anything else is a crash. Mutations are seeded, so a failure names a reproducible case.
 */

const rnd = seededRandom(20261127);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (n: number) => Math.floor(rnd() * n);

const seeds = EXAMPLE_FORMATS.map((f) => modelToBytes(buildTinyDetector(f)));

function mutateBytes(src: Uint8Array): Uint8Array {
  const b = Uint8Array.from(src);
  switch (int(4)) {
    case 0:
      for (let k = 0, n = 1 + int(8); k < n; k++) b[int(b.length)] = int(256);
      return b;
    case 1:
      return b.subarray(0, int(b.length));
    case 2: {
      const at = int(b.length);
      return Buffer.concat([b.subarray(0, at), Uint8Array.from({ length: 1 + int(16) }, () => int(256)), b.subarray(at)]);
    }
    default: {
      const at = int(b.length);
      const len = int(64);
      return Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    }
  }
}

const OPS = ['Conv', 'DequantizeLinear', 'QuantizeLinear', 'Clip', 'Reshape', 'Mul', 'Nope', 'Concat', 'Resize', 'Gemm', 'MatMul'];
const DTYPES: number[] = [...Object.values(DataType), 99, -1];

function mutateModel(m: Model): void {
  const g = m.graph!;
  const node = pick(g.nodes);
  const values = g.nodes
    .flatMap((n) => n.outputs)
    .concat(
      g.initializers.map((t) => t.name),
      ['ghost', ''],
    );
  switch (int(10)) {
    case 0:
      node.inputs[int(node.inputs.length + 1)] = pick(values);
      break;
    case 1:
      node.outputs[0] = pick(values);
      break;
    case 2:
      node.opType = pick(OPS);
      break;
    case 3: {
      const t = pick(g.initializers);
      t.dtype = pick(DTYPES);
      break;
    }
    case 4: {
      const t = pick(g.initializers);
      t.dims = t.dims.map(() => (int(5) === 0 ? -1 : int(40)));
      if (int(2)) t.dims.push(int(3));
      break;
    }
    case 5:
      g.initializers.splice(int(g.initializers.length), 1);
      break;
    case 6:
      node.attributes = node.attributes
        .map((a) => (int(2) ? floatAttr(a.name, 1.5) : a))
        .concat(int(2) ? [floatAttr('axis', 0.5), floatAttr('block_size', 2)] : []);
      break;
    case 7:
      m.opsetImports[0]!.version = int(30);
      break;
    case 8:
      g.nodes.splice(int(g.nodes.length), 1);
      break;
    default: {
      const t = pick(g.initializers);
      t.data = t.data.subarray(0, int(t.data.byteLength + 1));
      break;
    }
  }
}

function pipeline(bytes: Uint8Array): void {
  const model = modelFromBytes(bytes, 'fuzz');
  checkModel(model);
  assertInspectable(model, 'fuzz');
  inspectModel(model);
}

test('1,000 byte-level and structural mutations: load + check + inspect raise only InputErrors', () => {
  let inputErrors = 0;
  let accepted = 0;
  for (let i = 0; i < 1000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) bytes = mutateBytes(pick(seeds));
    else {
      const m = modelFromBytes(pick(seeds));
      for (let k = 0, n = 1 + int(3); k < n; k++) mutateModel(m);
      try {
        bytes = modelToBytes(m);
      } catch {
        continue; // a mutation the serializer itself cannot write (e.g. negative dims as varints are fine, huge ones not)
      }
    }
    try {
      pipeline(bytes);
      accepted++;
    } catch (e) {
      if (!(e instanceof InputError)) assert.fail(`case ${i}: ${(e as Error).stack}`);
      inputErrors++;
    }
  }
  assert.ok(inputErrors > 100 && accepted > 100, `input errors ${inputErrors}, accepted ${accepted}`);
});
