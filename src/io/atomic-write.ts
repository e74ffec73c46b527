import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errorCode, fileError, InputError } from '../errors.js';

/**
 * Output files, written so that a command that fails writes none of them (docs/reliability.md):
 *
 * 1. before any work, `checkOutputPath` / `checkOutputFolder` refuse an output that cannot be written (a folder
 *    given as a file, a file where a folder should be, a read-only or unwritable folder) with one line, exit 2;
 * 2. at the end, an `OutputBatch` writes every output under a temporary name beside its final one and renames them
 *    all into place only once every one is complete; on any failure (a full disk, say) it removes its temporary
 *    files and the folders it created.
 *
 * Temporary names are `.NAME.yoloq-tmp-PID-N`: a process killed between writing and renaming leaves one, and the
 * next write of NAME (or `yoloq run` on its folder) removes it once process PID is gone — only names of this
 * pattern, never a temporary file of a live process.
 */

const TEMP_TAG = 'yoloq-tmp';
/** `.NAME.yoloq-tmp-PID-N`, and the `.NAME.tmp-PID-TIME` of earlier yoloq versions. */
const TEMP_NAME = /^\.(.+)\.(?:yoloq-)?tmp-(\d+)-(\d+)$/;
let tempCounter = 0;
/** The name the writability probe stands for: `.yoloq-probe.yoloq-tmp-PID-N`. */
const PROBE = 'yoloq-probe';

/** A fresh temporary path beside `finalPath`: `.NAME.yoloq-tmp-PID-N`. */
export function tempPathFor(finalPath: string): string {
  tempCounter++;
  return join(dirname(finalPath), `.${basename(finalPath)}.${TEMP_TAG}-${process.pid}-${tempCounter}`);
}

/** The final name and owning process of a yoloq temporary file name, or undefined for any other name. */
export function parseTempName(name: string): { target: string; pid: number } | undefined {
  const m = TEMP_NAME.exec(name);
  return m ? { target: m[1]!, pid: Number(m[2]) } : undefined;
}

/** Whether process `pid` exists on this machine (a process of another user counts as alive). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}

export interface SweepOptions {
  /** Only temporary files of this final name (a base name); default every yoloq temporary file. */
  target?: string;
  /** Descend into sub-folders (a run folder); default false. */
  recursive?: boolean;
}

/**
 * Remove the yoloq temporary files in `dir` whose owning process is gone; returns their paths. Anything that
 * cannot be listed or removed is left alone (a sweep never fails the command).
 */
export function sweepStaleTemps(dir: string, options: SweepOptions = {}): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    const temp = parseTempName(e.name);
    if (temp && (options.target === undefined || temp.target === options.target) && !processAlive(temp.pid)) {
      try {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      } catch {
        // left for the next sweep
      }
    } else if (options.recursive && e.isDirectory()) removed.push(...sweepStaleTemps(path, options));
  }
  return removed;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * The folder `dir` would be written in, or the nearest existing folder above it, must be a folder that takes a new
 * file: checked by creating (and removing) an empty temporary file there, which catches read-only file systems,
 * permissions and ACLs alike (access(2) does not, for root on some file systems).
 */
function probeFolder(dir: string, what: string, path: string): void {
  let d = resolve(dir);
  for (;;) {
    const st = statOrUndefined(d);
    if (st) {
      if (!st.isDirectory()) throw new InputError(`cannot write ${path} (${what}): ${d} is a file, not a folder`);
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  // A probe of a killed process is a stale temporary file like any other.
  sweepStaleTemps(d, { target: PROBE });
  const probe = tempPathFor(join(d, PROBE));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw fileError(e, 'write', `${path} (${what})`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Refuse, before any work, an output file that cannot be written: `path` names a folder, something other than a
 * regular file, a file under a file, or a place the process cannot create files in. A missing folder is fine (it
 * is created when the output is written). `what` names the option in messages ("-o", "--plan").
 */
export function checkOutputPath(path: string, what: string): void {
  if (/[\\/]$/.test(path)) throw new InputError(`${what} ${path}: expected a file name, not a folder`);
  const out = resolve(path);
  let st: Stats | undefined;
  try {
    st = statOrUndefined(out);
  } catch (e) {
    throw fileError(e, 'write', `${path} (${what})`);
  }
  if (st?.isDirectory()) throw new InputError(`${what} ${path} is a folder: give a file name`);
  if (st && !st.isFile()) throw new InputError(`${what} ${path} is not a regular file`);
  probeFolder(dirname(out), what, path);
}

/** As checkOutputPath, for an output folder (a run folder): it may exist, as a folder, or be creatable. */
export function checkOutputFolder(path: string, what: string): void {
  const out = resolve(path);
  let st: Stats | undefined;
  try {
    st = statOrUndefined(out);
  } catch (e) {
    throw fileError(e, 'write', `${path} (${what})`);
  }
  if (st && !st.isDirectory()) throw new InputError(`${what} ${path} is a file, not a folder`);
  probeFolder(out, what, path);
}

/** Refuse two outputs, or an output and an input, that are the same file. */
export function checkDistinctPaths(paths: ReadonlyArray<[what: string, path: string | undefined]>): void {
  const seen = new Map<string, string>();
  for (const [what, path] of paths) {
    if (path === undefined) continue;
    const key = resolve(path);
    const prev = seen.get(key);
    if (prev !== undefined) throw new InputError(`${what} ${path} is the same file as ${prev}`);
    seen.set(key, `${what} ${path}`);
  }
}

/**
 * A set of output files written together: each `add` writes one under a temporary name beside its final path;
 * `commit` renames them all into place; `discard` removes the temporary files and the folders `add` created.
 * Failures are InputErrors naming the path and the cause ("no space left on device (ENOSPC)").
 */
export class OutputBatch {
  private readonly staged: Array<{ tmp: string; final: string; shown: string }> = [];
  private readonly createdFolders: Array<{ deepest: string; top: string }> = [];

  /** Write `data` under a temporary name for `path`. */
  add(path: string, data: string | Uint8Array): void {
    this.addWith(path, (tmp) => writeFileSync(tmp, data, { flag: 'wx' }));
  }

  /** Let `write` create the temporary file for `path` (e.g. writing at offsets); it must create the file it is given. */
  addWith(path: string, write: (tmp: string) => void): void {
    const final = resolve(path);
    this.ensureFolder(dirname(final), path);
    sweepStaleTemps(dirname(final), { target: basename(final) });
    const tmp = tempPathFor(final);
    this.staged.push({ tmp, final, shown: path });
    try {
      write(tmp);
    } catch (e) {
      throw fileError(e, 'write', path);
    }
  }

  /** Rename every staged file into place. On failure the ones not yet renamed are removed. */
  commit(): void {
    while (this.staged.length > 0) {
      const s = this.staged[0]!;
      try {
        renameSync(s.tmp, s.final);
      } catch (e) {
        this.discard();
        throw fileError(e, 'write', s.shown);
      }
      this.staged.shift();
    }
    this.createdFolders.length = 0;
  }

  /** Remove every staged temporary file and the folders this batch created (when empty). Never throws. */
  discard(): void {
    for (const s of this.staged.splice(0)) rmSync(s.tmp, { force: true });
    for (const dir of this.createdFolders.splice(0).reverse()) removeEmptyFolders(dir.deepest, dir.top);
  }

  private ensureFolder(dir: string, shown: string): void {
    let first: string | undefined;
    try {
      first = mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fileError(e, 'create the folder for', shown);
    }
    if (first !== undefined) this.createdFolders.push({ deepest: dir, top: first });
  }
}

/** Remove `deepest` and its parents up to and including `top`, while they are empty. */
export function removeEmptyFolders(deepest: string, top: string): void {
  let d = resolve(deepest);
  const stop = resolve(top);
  for (;;) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === stop) return;
    const up = dirname(d);
    if (up === d) return;
    d = up;
  }
}

/** Stage outputs with `fill`, then commit them together; on any failure none of them is written. */
export function writeOutputs(fill: (batch: OutputBatch) => void): void {
  const batch = new OutputBatch();
  try {
    fill(batch);
    batch.commit();
  } catch (e) {
    batch.discard();
    throw e;
  }
}

/** Write a file under a temporary name and rename it into place, so readers never see a half-written file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeOutputs((b) => b.add(path, data));
}
