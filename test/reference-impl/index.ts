/**
 * The float32 reference interpreter and the fake-quant oracle built on it: what exported quantized graphs are
 * checked against. Test-only: it lives under test/ so that it is not part of the published package, and nothing
 * under src/ may import it (test/architecture/layering.test.ts).
 */
export { runReference, type ReferenceFeed, type ReferenceOptions } from './run-reference.js';
export { referenceFakeQuant, activationStep, fakeQuantize, type FakeQuantOptions } from './fake-quant.js';
export { REFERENCE_KERNELS, referenceOpTypes } from './registry.js';
export type { RefTensor, RefData } from './ref-tensor.js';
export type { Kernel, KernelContext } from './kernel-types.js';
