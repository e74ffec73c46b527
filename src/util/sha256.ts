import { createHash } from 'node:crypto';

/** Hex SHA-256 of bytes: how plans and run folders name the model they were made for. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
