import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';

/** A model file's bytes, or an InputError naming the path. */
export function readModelBytes(path: string | undefined): Uint8Array {
  if (!path) throw new InputError('give the float model with --model');
  try {
    if (!statSync(path).isFile()) throw new Error('not a file');
    return readFileSync(path);
  } catch {
    throw new InputError(`cannot read model file ${path}`);
  }
}
