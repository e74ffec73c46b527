import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { measurePlacement, parsePlacement } from '../../src/runtime/placement.js';
import { matmulReluModel } from '../helpers/tiny-onnx.js';

/** Trimmed from a real onnxruntime-node 1.30 profile, plus a CUDA node and a Memcpy as a GPU run would show. */
const PROFILE = [
  { cat: 'Session', name: 'model_loading_array', dur: 1470, ts: 12, ph: 'X', args: {} },
  {
    cat: 'Node',
    name: 'mm_kernel_time',
    dur: 199,
    ts: 17822,
    ph: 'X',
    args: { op_name: 'MatMul', provider: 'CPUExecutionProvider', node_index: '0' },
  },
  {
    cat: 'Node',
    name: 'act_kernel_time',
    dur: 20,
    ts: 18026,
    ph: 'X',
    args: { op_name: 'Relu', provider: 'CUDAExecutionProvider', node_index: '1' },
  },
  {
    cat: 'Node',
    name: 'Memcpy_token_1_kernel_time',
    dur: 5,
    ts: 18030,
    ph: 'X',
    args: { op_name: 'MemcpyToHost', provider: 'CUDAExecutionProvider' },
  },
  { cat: 'Node', name: 'mm_fence_before', dur: 0, ts: 18040, ph: 'X', args: { op_name: 'MatMul' } },
  {
    cat: 'Node',
    name: 'mm_kernel_time',
    dur: 101,
    ts: 19000,
    ph: 'X',
    args: { op_name: 'MatMul', provider: 'CPUExecutionProvider', node_index: '0' },
  },
  { cat: 'Session', name: 'model_run', dur: 573, ts: 17590, ph: 'X', args: {} },
];

test('parsePlacement counts distinct nodes per provider and sums their kernel time', () => {
  const r = parsePlacement(PROFILE);
  assert.deepEqual(r.providers, { CPUExecutionProvider: 1, CUDAExecutionProvider: 2 });
  assert.deepEqual(r.nodes[0], { name: 'mm', opType: 'MatMul', provider: 'CPUExecutionProvider', calls: 2, totalUs: 300 });
  assert.deepEqual(
    r.nodes.map((n) => n.name),
    ['mm', 'act', 'Memcpy_token_1'],
  );
  assert.throws(() => parsePlacement({}), TypeError);
});

test('measurePlacement profiles a real run: every node of a CPU session is on CPUExecutionProvider', async () => {
  const r = await measurePlacement(modelToBytes(matmulReluModel()), { runs: 2, graphOptimizationLevel: 'disabled' });
  assert.deepEqual(r.providers, { CPUExecutionProvider: 2 });
  assert.deepEqual(
    r.nodes.map((n) => [n.name, n.opType, n.calls]),
    [
      ['mm', 'MatMul', 2],
      ['act', 'Relu', 2],
    ],
  );
  assert.equal(r.profileFile, undefined);
});

test('measurePlacement can keep the profile file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-keep-'));
  const r = await measurePlacement(modelToBytes(matmulReluModel()), { keepProfileDir: dir });
  assert.ok(r.profileFile && existsSync(r.profileFile));
  assert.equal(readdirSync(dir).length, 1);
});
