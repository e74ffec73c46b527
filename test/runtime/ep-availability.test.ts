import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { epAvailability, epUnavailableMessage, isProviderStartFailure, type EpEnvironment } from '../../src/runtime/ep-availability.js';
import { EP_NAMES, EP_TABLE, epFromProviderName, isEpName } from '../../src/runtime/ep-table.js';

const backends = [
  { name: 'cpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];

function env(files: string[], platform = 'linux', arch = 'x64'): EpEnvironment {
  const bindingDir = '/ort/bin';
  const have = new Set(files.map((f) => join(bindingDir, f)));
  return { platform, arch, bindingDir, backends, fileExists: (p) => have.has(p) };
}

test('EP table is frozen and maps our names to ORT providers', () => {
  assert.deepEqual([...EP_NAMES], ['cpu', 'cuda', 'tensorrt']);
  assert.ok(Object.isFrozen(EP_TABLE) && Object.isFrozen(EP_TABLE.cuda) && Object.isFrozen(EP_TABLE.cuda.ortProviders));
  assert.deepEqual([...EP_TABLE.cuda.ortProviders], ['cuda', 'cpu']);
  assert.equal(EP_TABLE.tensorrt.providerName, 'TensorrtExecutionProvider');
  assert.equal(epFromProviderName('CUDAExecutionProvider'), 'cuda');
  assert.equal(epFromProviderName('XnnpackExecutionProvider'), undefined);
  assert.ok(isEpName('cpu') && !isEpName('webgpu') && !isEpName('toString'));
});

test('cpu is always available', () => {
  assert.deepEqual(epAvailability('cpu', env([], 'darwin', 'arm64')), { available: true });
});

test('cuda needs linux/x64 and its provider libraries next to the binding', () => {
  const none = epAvailability('cuda', env([]));
  assert.equal(none.available, false);
  assert.match(!none.available ? none.reason : '', /libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so missing/);
  const mac = epAvailability('cuda', env([], 'darwin', 'arm64'));
  assert.match(!mac.available ? mac.reason : '', /no cuda build for darwin\/arm64/);
  const ok = epAvailability('cuda', env(['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']));
  assert.deepEqual(ok, { available: true });
  const trt = epAvailability('tensorrt', env(['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']));
  assert.match(!trt.available ? trt.reason : '', /libonnxruntime_providers_tensorrt\.so missing/);
});

test('the message is one line and says how to get the EP', () => {
  const msg = epUnavailableMessage('cuda', 'its provider libraries are not installed');
  assert.ok(!msg.includes('\n'));
  assert.match(msg, /^execution provider 'cuda' is not available: /);
  assert.match(msg, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install/);
  assert.match(msg, /npm install-scripts approve onnxruntime-node/);
  assert.match(msg, /CUDA 12 and cuDNN 9/);
  assert.match(epUnavailableMessage('tensorrt', 'x'), /TensorRT 10/);
});

test('ORT provider start failures are recognised', () => {
  assert.ok(isProviderStartFailure('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
  assert.ok(isProviderStartFailure('CUDA failure 100: no CUDA-capable device is detected'));
  assert.ok(!isProviderStartFailure('Load model from x failed: Protobuf parsing failed'));
});
