import { InputError } from '../errors.js';

/**
 * Data-parallel QAT (docs/scale.md): how `yoloq qat` starts the Brevitas stage under torchrun. One process per
 * node × GPU (or CPU process), all joined by torch.distributed; `--batch` is the global batch, split evenly over the
 * processes. A single process (the default) runs `python -m yoloq_brevitas` exactly as before. Several run
 * `python -m yoloq_brevitas.launch`, which is torchrun (torch.distributed.run) that reports a failed rank as one
 * protocol error event: TORCHRUN_ARGS -m yoloq_brevitas STAGE_ARGS.
 */

export interface LaunchSettings {
  /** Processes on this machine (one per GPU with --device cuda). */
  nprocPerNode: number;
  /** Machines taking part; each runs the same `yoloq qat` command with its own --node-rank. */
  nnodes: number;
  /** This machine's place, 0 … nnodes−1; node 0's rank 0 writes the outputs. */
  nodeRank: number;
  /** Address of node 0, which every node can reach (needed with several nodes). */
  masterAddr?: string;
  /** Port on node 0 for the rendezvous (torchrun's default 29500 when several nodes and none given). */
  masterPort?: number;
}

export const SINGLE_PROCESS: LaunchSettings = { nprocPerNode: 1, nnodes: 1, nodeRank: 0 };
/** torchrun's own default master port, passed explicitly with several nodes so every node agrees. */
export const DEFAULT_MASTER_PORT = 29500;

export function worldSize(l: LaunchSettings): number {
  return l.nprocPerNode * l.nnodes;
}

export function isDistributed(l: LaunchSettings): boolean {
  return worldSize(l) > 1;
}

/** Host names, IPv4 and (bracket-free) IPv6 addresses; anything else is refused before torchrun sees it. */
const ADDRESS =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)$/;

/**
 * The settings' own consistency and what they ask of the others: InputErrors naming the flag. `batch` is the global
 * batch the stage will use; `device` the --device given, if any.
 */
export function checkLaunch(l: LaunchSettings, batch: number, device?: string): void {
  if (l.nodeRank >= l.nnodes) throw new InputError(`--node-rank ${l.nodeRank}: must be below --nnodes ${l.nnodes}`);
  if (!isDistributed(l)) {
    if (l.masterAddr !== undefined || l.masterPort !== undefined)
      throw new InputError('--master-addr and --master-port need --nproc-per-node or --nnodes above 1');
    return;
  }
  if (l.nnodes > 1 && l.masterAddr === undefined)
    throw new InputError(`--nnodes ${l.nnodes}: give --master-addr, the address of node 0 that every node can reach`);
  if (l.masterAddr !== undefined && !ADDRESS.test(l.masterAddr))
    throw new InputError(`--master-addr ${JSON.stringify(l.masterAddr)}: expected a host name or an IP address`);
  const world = worldSize(l);
  if (batch % world !== 0)
    throw new InputError(`--batch ${batch}: the global batch must be a multiple of the ${world} processes (--nproc-per-node × --nnodes)`);
  if (device !== undefined && /^cuda:/.test(device))
    throw new InputError(`--device ${device}: with several processes each takes cuda:<local rank>; pass --device cuda or auto`);
}

/** torchrun's flags for these settings: no restarts (a failed rank ends the run), static rendezvous across nodes. */
export function torchrunArgs(l: LaunchSettings): string[] {
  const out = ['--nnodes', String(l.nnodes), '--nproc-per-node', String(l.nprocPerNode), '--node-rank', String(l.nodeRank)];
  // One node without an address: torchrun picks a free local port itself (c10d rendezvous on localhost:0).
  if (l.masterAddr !== undefined || l.masterPort !== undefined || l.nnodes > 1) {
    out.push('--master-addr', l.masterAddr ?? '127.0.0.1', '--master-port', String(l.masterPort ?? DEFAULT_MASTER_PORT));
  }
  out.push('--max-restarts', '0');
  return out;
}

/** The module and arguments that run the stage: itself for one process, the launcher around torchrun for several. */
export function launchCommand(l: LaunchSettings, stageArgv: readonly string[]): { module: string; args: string[] } {
  if (!isDistributed(l)) return { module: 'yoloq_brevitas', args: [...stageArgv] };
  return { module: 'yoloq_brevitas.launch', args: [...torchrunArgs(l), '-m', 'yoloq_brevitas', ...stageArgv] };
}
