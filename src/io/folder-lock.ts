import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { errorCode, fileError, InputError } from '../errors.js';
import { processAlive, removeEmptyFolders, tempPathFor } from './atomic-write.js';

/**
 * One process at a time in a folder (a `yoloq run` folder): `.yoloq.lock` holds the owner's PID, host and start
 * time. The lock is created atomically (a complete temporary file hard-linked to the lock name, which fails when
 * it exists), and dies with its process: a lock whose PID is gone on this host is stale and taken over. A lock
 * held by a live process is an InputError naming it, or, with `wait`, waited for.
 */

export const LOCK_NAME = '.yoloq.lock';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command?: string;
}

export interface FolderLock {
  readonly path: string;
  /** Remove the lock (and the folders lockFolder created, when they are empty). Idempotent. */
  release(): void;
}

export interface LockOptions {
  /** Wait for a live holder to finish instead of failing. */
  wait?: boolean;
  /** How often a waiting process looks again (default 1000 ms). */
  pollMs?: number;
  /** Called once when a waiting process starts waiting. */
  onWait?: (holder: LockHolder) => void;
  /** What the holder is doing, recorded in the lock ("yoloq run"). */
  command?: string;
  /** How the folder is named in messages (default "folder"). */
  what?: string;
}

function readHolder(path: string): { text: string; holder: LockHolder | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return { text, holder: typeof h?.pid === 'number' && typeof h.host === 'string' ? h : undefined };
  } catch {
    return { text, holder: undefined };
  }
}

/** A lock of this host whose process is gone, or one that is not a lock at all, is stale. */
function isStale(holder: LockHolder | undefined): boolean {
  return holder === undefined || (holder.host === hostname() && !processAlive(holder.pid));
}

/** Try once to create the lock file; false when it exists. */
function tryCreate(lock: string, me: LockHolder): boolean {
  const tmp = tempPathFor(lock);
  writeFileSync(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx' });
  try {
    linkSync(tmp, lock);
    return true;
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Take a stale lock away: rename it aside (only one contender's rename succeeds) and check that what was moved is
 * the stale lock that was read; if another process had replaced it meanwhile, put that one back.
 */
function removeStale(lock: string, seen: string): void {
  const aside = tempPathFor(lock);
  try {
    renameSync(lock, aside);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return;
    throw e;
  }
  let moved = '';
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    // unreadable: treat as the stale one
  }
  if (moved !== seen && moved !== '') {
    try {
      linkSync(aside, lock);
    } catch {
      // a third process took the lock meanwhile; the moved one was live but has now lost its file: rare, and its
      // owner's release() finds no lock of its own to remove
    }
  }
  rmSync(aside, { force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lock `dir` (created when missing) for this process. */
export async function lockFolder(dir: string, options: LockOptions = {}): Promise<FolderLock> {
  const root = resolve(dir);
  const what = options.what ?? 'folder';
  let created: string | undefined;
  try {
    created = mkdirSync(root, { recursive: true });
  } catch (e) {
    throw fileError(e, 'create', `${what} ${dir}`);
  }
  const lock = join(root, LOCK_NAME);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    ...(options.command ? { command: options.command } : {}),
  };
  let waited = false;
  try {
    for (;;) {
      // A holder that failed early may have removed the folder it created while this process waited.
      created ??= mkdirSync(root, { recursive: true });
      if (tryCreate(lock, me)) break;
      const seen = readHolder(lock);
      if (seen === undefined) continue;
      if (isStale(seen.holder)) {
        removeStale(lock, seen.text);
        continue;
      }
      const h = seen.holder!;
      if (!options.wait) {
        throw new InputError(
          `${what} ${dir} is in use by process ${h.pid}${h.host !== me.host ? ` on ${h.host}` : ''}${h.command ? ` (${h.command})` : ''} since ${h.started}: wait for it to finish, or pass --wait`,
        );
      }
      if (!waited) options.onWait?.(h);
      waited = true;
      await sleep(options.pollMs ?? 1000);
    }
  } catch (e) {
    if (created !== undefined) removeEmptyFolders(root, created);
    throw fileError(e, 'lock', `${what} ${dir}`);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const now = readHolder(lock);
    if (now?.holder?.pid === process.pid && now.holder.host === me.host) rmSync(lock, { force: true });
    if (created !== undefined) removeEmptyFolders(root, created);
  };
  // A process that exits without releasing (an uncaught error) still leaves no lock; a killed one leaves a stale one.
  process.once('exit', release);
  return { path: lock, release };
}
