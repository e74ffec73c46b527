/**
 * The error policy. What the user or the machine gave us — a missing or corrupt file, a bad option, an output
 * path that cannot be written (read-only, full disk, a file where a folder should be) — is an `InputError`: the
 * CLI prints its message as one line naming the path and the cause, and exits with code 2. Anything else is a
 * bug: "internal error", exit 1, stack trace under YOLOQ_DEBUG=1. docs/reliability.md lists every class.
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

/**
 * System error codes that describe the environment (the disk, the file system, permissions, a path), never a bug
 * in yoloq, with the cause in words.
 */
const ENVIRONMENT_CAUSES: Readonly<Record<string, string>> = Object.freeze({
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'no such file or folder',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EBUSY: 'resource busy',
  ETXTBSY: 'file busy',
  EXDEV: 'cross-device link',
});

/** The errno code of a Node system error (`EROFS`, …), or undefined. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a system error whose code is one of the environment's (see ENVIRONMENT_CAUSES). */
export function isEnvironmentError(e: unknown): boolean {
  const code = errorCode(e);
  return code !== undefined && Object.hasOwn(ENVIRONMENT_CAUSES, code);
}

/**
 * A file-system failure as one user-facing line: "cannot write out.onnx: read-only file system (EROFS)". An error
 * that is not an environment error is returned unchanged (a bug stays a bug).
 */
export function fileError(e: unknown, action: string, path: string): unknown {
  if (isInputError(e) || !isEnvironmentError(e)) return e;
  const code = errorCode(e)!;
  return new InputError(`cannot ${action} ${path}: ${ENVIRONMENT_CAUSES[code]} (${code})`, { cause: e });
}

/** How the CLI ends on a thrown value: the exit code and the one line it prints (after "yoloq: "). */
export function classifyError(e: unknown): { exitCode: 1 | 2; line: string } {
  if (isInputError(e) || (e as { input?: boolean } | null)?.input) return { exitCode: 2, line: oneLine(e) };
  // A system error from a write or read that no command wrapped: Node's message names the call and the path.
  if (isEnvironmentError(e)) {
    const code = errorCode(e)!;
    const msg = oneLine(e);
    return { exitCode: 2, line: msg.includes(code) ? msg : `${msg} (${code})` };
  }
  return { exitCode: 1, line: `internal error: ${oneLine(e)}` };
}
