/**
 * An error caused by what the user gave us (a missing file, a corrupt model, a bad option). The CLI prints its
 * message as one line and exits with code 2; anything else is a bug and keeps its stack trace.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/** The message of any thrown value, on one line. */
export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim();
}
