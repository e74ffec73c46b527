import { InputError } from '../errors.js';
import { loadModelBytes } from '../onnx/serde/model-io.js';

/**
 * A model file's bytes, or an InputError naming the path. A model with external data comes back self-contained
 * (its side files read relative to the model file, never the working directory), so quantize, apply and run can
 * parse it and hand it to ONNX Runtime from memory.
 */
export function readModelBytes(path: string | undefined): Uint8Array {
  if (!path) throw new InputError('give the float model with --model');
  return loadModelBytes(path);
}
