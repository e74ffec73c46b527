import { InputError } from '../errors.js';
import { elementCount, float32ToHalfBits, hostTensor, type HostTensor } from './host-tensor.js';
import type { IoInfo } from './session.js';
import { seededRandom } from '../util/seeded-random.js';

/**
 * Synthetic inputs for benchmarking and placement runs, built from a session's input metadata. Symbolic dims take
 * their value from `dims` (by dim name) or 1. Values are uniform in [0, 1) from a fixed-seed generator, so runs are
 * repeatable; integer inputs get zeros.
 */

export interface SyntheticFeedOptions {
  /** Values for symbolic dims, by name; unnamed or unlisted symbolic dims become 1. */
  dims?: Readonly<Record<string, number>>;
  seed?: number;
}

export { seededRandom };

function concreteShape(info: IoInfo, dims: Readonly<Record<string, number>>): number[] {
  return info.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
}

export function syntheticFeeds(inputs: readonly IoInfo[], options: SyntheticFeedOptions = {}): Record<string, HostTensor> {
  const rand = seededRandom(options.seed ?? 1234);
  const feeds: Record<string, HostTensor> = {};
  for (const info of inputs) {
    const shape = concreteShape(info, options.dims ?? {});
    const n = elementCount(shape);
    const floats = (): Float32Array => Float32Array.from({ length: n }, rand);
    switch (info.dtype) {
      case 'float32':
        feeds[info.name] = hostTensor('float32', shape, floats());
        break;
      case 'float16':
        feeds[info.name] = hostTensor('float16', shape, float32ToHalfBits(floats()));
        break;
      case 'float64':
        feeds[info.name] = hostTensor('float64', shape, Float64Array.from(floats()));
        break;
      case 'int64':
        feeds[info.name] = hostTensor('int64', shape, new BigInt64Array(n));
        break;
      case 'int32':
        feeds[info.name] = hostTensor('int32', shape, new Int32Array(n));
        break;
      case 'uint8':
        feeds[info.name] = hostTensor('uint8', shape, new Uint8Array(n));
        break;
      case 'int8':
        feeds[info.name] = hostTensor('int8', shape, new Int8Array(n));
        break;
      case 'bool':
        feeds[info.name] = hostTensor('bool', shape, new Uint8Array(n));
        break;
      default:
        throw new InputError(`cannot make a synthetic value for input ${info.name} of type ${info.dtype}`);
    }
  }
  return feeds;
}
