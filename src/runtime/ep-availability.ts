import { join } from 'node:path';
import { EP_TABLE, type EpName } from './ep-table.js';

/**
 * Whether an execution provider can run here, decided before ORT is asked (ORT's own failure is a C++ log line
 * plus "Failed to load shared library"). Pure: the facts about the machine come in as an `EpEnvironment`, which
 * `session.ts` fills from onnxruntime-node, so tests can fake any machine.
 *
 * What is true of onnxruntime-node 1.30 (read from its package: README, script/install.js, install-metadata.js):
 * the npm package ships only the CPU (and WebGPU/DirectML/CoreML) providers. On linux/x64 its postinstall script
 * downloads the CUDA 12 provider libraries (libonnxruntime_providers_{shared,cuda,tensorrt}.so, from the
 * Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package) into bin/napi-v6/linux/x64. That download is skipped when
 * ONNXRUNTIME_NODE_INSTALL=skip, when the machine is offline, and with npm ≥ 11, which blocks dependencies' install
 * scripts unless package.json's allowScripts approves them (`npm install-scripts approve onnxruntime-node`).
 * The libraries themselves need CUDA 12 and cuDNN 9 (and TensorRT 10 for the TensorRT EP) on the library path.
 */

export interface EpEnvironment {
  platform: string;
  arch: string;
  /** Folder holding onnxruntime_binding.node (where provider libraries must be). */
  bindingDir: string;
  /** onnxruntime-node's `listSupportedBackends()`: providers compiled into this binding. */
  backends: ReadonlyArray<{ name: string; bundled: boolean }>;
  fileExists(path: string): boolean;
}

export type EpAvailability = { available: true } | { available: false; reason: string };

export function epAvailability(ep: EpName, env: EpEnvironment): EpAvailability {
  const entry = EP_TABLE[ep];
  const platform = `${env.platform}/${env.arch}`;
  if (entry.platforms !== 'all' && !entry.platforms.includes(platform)) {
    return { available: false, reason: `onnxruntime-node has no ${ep} build for ${platform} (only ${entry.platforms.join(', ')})` };
  }
  const ortName = entry.ortProviders[0]!;
  const backend = env.backends.find((b) => b.name === ortName);
  if (!backend) return { available: false, reason: `this onnxruntime-node binding was built without the ${ortName} provider` };
  if (backend.bundled) return { available: true };
  const missing = entry.libraries.filter((lib) => !env.fileExists(join(env.bindingDir, lib)));
  if (missing.length > 0) {
    return { available: false, reason: `its provider libraries are not installed (${missing.join(', ')} missing from ${env.bindingDir})` };
  }
  return { available: true };
}

/** How to get an EP that is missing, as one sentence. */
export function howToGetEp(ep: EpName): string {
  if (ep === 'cpu') return 'reinstall onnxruntime-node';
  const libs = ep === 'tensorrt' ? 'CUDA 12, cuDNN 9 and TensorRT 10' : 'CUDA 12 and cuDNN 9';
  return (
    "on a Linux x64 machine with network access, fetch onnxruntime-node's CUDA 12 EP binaries with " +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` ' +
    "(npm >= 11 skips the package's postinstall unless you run `npm install-scripts approve onnxruntime-node` before installing), " +
    `and have ${libs} installed; or use --ep cpu`
  );
}

/** The one-line message for an unavailable EP. */
export function epUnavailableMessage(ep: EpName, reason: string): string {
  return `execution provider '${ep}' is not available: ${reason}; ${howToGetEp(ep)}`;
}

/** ORT error text that means a provider could not start (missing libraries, no device, driver mismatch). */
export function isProviderStartFailure(message: string): boolean {
  return /Failed to load (shared )?library|providers_(cuda|tensorrt|shared)|CUDA failure|cudaError|libcu(dart|dnn|blas)|libnvinfer|no CUDA-capable device|TensorRT/i.test(
    message,
  );
}
