/**
 * Our execution-provider names and what they mean to ONNX Runtime. This frozen table is the one place that
 * spells ORT's provider names; everything else in yoloq says 'cpu' | 'cuda' | 'tensorrt'.
 */

export type EpName = 'cpu' | 'cuda' | 'tensorrt';

export interface EpEntry {
  /** Our name. */
  readonly name: EpName;
  /** The `executionProviders` list handed to onnxruntime-node, in priority order (ORT falls back left to right). */
  readonly ortProviders: readonly string[];
  /** The provider name ORT reports in profiles and logs for nodes this EP runs. */
  readonly providerName: string;
  /** Platforms (`process.platform/process.arch`) where onnxruntime-node can run this EP at all. */
  readonly platforms: readonly string[] | 'all';
  /**
   * Shared libraries that must sit next to onnxruntime-node's binding for this EP to load. Not shipped in the npm
   * package: its install script downloads them (see `ep-availability.ts`).
   */
  readonly libraries: readonly string[];
}

const entry = (e: EpEntry): EpEntry =>
  Object.freeze({ ...e, ortProviders: Object.freeze([...e.ortProviders]), libraries: Object.freeze([...e.libraries]) });

export const EP_TABLE: Readonly<Record<EpName, EpEntry>> = Object.freeze({
  cpu: entry({ name: 'cpu', ortProviders: ['cpu'], providerName: 'CPUExecutionProvider', platforms: 'all', libraries: [] }),
  cuda: entry({
    name: 'cuda',
    ortProviders: ['cuda', 'cpu'],
    providerName: 'CUDAExecutionProvider',
    platforms: ['linux/x64'],
    libraries: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  }),
  tensorrt: entry({
    name: 'tensorrt',
    ortProviders: ['tensorrt', 'cuda', 'cpu'],
    providerName: 'TensorrtExecutionProvider',
    platforms: ['linux/x64'],
    libraries: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so'],
  }),
});

export const EP_NAMES: readonly EpName[] = Object.freeze(Object.keys(EP_TABLE) as EpName[]);

export function isEpName(s: string): s is EpName {
  return Object.hasOwn(EP_TABLE, s);
}

/** ORT provider name (as in profiles) → our EP name, or undefined for providers we do not name. */
export function epFromProviderName(providerName: string): EpName | undefined {
  return EP_NAMES.find((n) => EP_TABLE[n].providerName === providerName);
}
