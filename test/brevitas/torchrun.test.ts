import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLaunch, launchCommand, SINGLE_PROCESS, torchrunArgs, worldSize } from '../../src/brevitas/torchrun.js';
import { isInputError } from '../../src/errors.js';

/** How `yoloq qat` starts the stage under torchrun: the launcher's arguments, and settings refused before any work. */

test('one process runs the stage itself, with the same arguments as before', () => {
  assert.deepEqual(launchCommand(SINGLE_PROCESS, ['--steps', '2']), { module: 'yoloq_brevitas', args: ['--steps', '2'] });
});

test('one machine × N: torchrun picks a free local port itself; no restarts', () => {
  const l = { nprocPerNode: 4, nnodes: 1, nodeRank: 0 };
  assert.equal(worldSize(l), 4);
  assert.deepEqual(launchCommand(l, ['--batch', '8']), {
    module: 'yoloq_brevitas.launch',
    args: ['--nnodes', '1', '--nproc-per-node', '4', '--node-rank', '0', '--max-restarts', '0', '-m', 'yoloq_brevitas', '--batch', '8'],
  });
  assert.deepEqual(torchrunArgs({ ...l, masterPort: 29511 }).slice(6, 10), ['--master-addr', '127.0.0.1', '--master-port', '29511']);
});

test('M nodes: static rendezvous at node 0, torchrun’s default port unless one is given', () => {
  const l = { nprocPerNode: 8, nnodes: 2, nodeRank: 1, masterAddr: 'node0.cluster' };
  assert.deepEqual(torchrunArgs(l), [
    ...['--nnodes', '2', '--nproc-per-node', '8', '--node-rank', '1'],
    ...['--master-addr', 'node0.cluster', '--master-port', '29500', '--max-restarts', '0'],
  ]);
  assert.deepEqual(torchrunArgs({ ...l, masterAddr: '10.0.0.5', masterPort: 23456 }).slice(6, 10), [
    '--master-addr',
    '10.0.0.5',
    '--master-port',
    '23456',
  ]);
});

test('inconsistent settings are InputErrors naming the flag', () => {
  const cases: Array<[Parameters<typeof checkLaunch>, RegExp]> = [
    [[{ nprocPerNode: 2, nnodes: 1, nodeRank: 0 }, 3], /--batch 3: the global batch must be a multiple of the 2 processes/],
    [[{ nprocPerNode: 2, nnodes: 2, nodeRank: 0, masterAddr: 'h' }, 6], /--batch 6: .* multiple of the 4 processes/],
    [[{ nprocPerNode: 1, nnodes: 2, nodeRank: 2, masterAddr: 'h' }, 4], /--node-rank 2: must be below --nnodes 2/],
    [[{ nprocPerNode: 1, nnodes: 2, nodeRank: 0 }, 4], /--nnodes 2: give --master-addr/],
    [[{ nprocPerNode: 1, nnodes: 2, nodeRank: 0, masterAddr: 'a b' }, 4], /--master-addr "a b"/],
    [[{ nprocPerNode: 1, nnodes: 2, nodeRank: 0, masterAddr: '-x' }, 4], /--master-addr "-x"/],
    [[{ nprocPerNode: 1, nnodes: 1, nodeRank: 0, masterAddr: 'h' }, 4], /--master-addr and --master-port need/],
    [[{ nprocPerNode: 2, nnodes: 1, nodeRank: 0 }, 4, 'cuda:1'], /--device cuda:1: with several processes/],
  ];
  for (const [args, message] of cases)
    assert.throws(
      () => checkLaunch(...args),
      (e: unknown) => isInputError(e) && message.test((e as Error).message),
      String(message),
    );
  for (const ok of [
    [{ nprocPerNode: 2, nnodes: 1, nodeRank: 0 }, 4, 'cuda'],
    [{ nprocPerNode: 2, nnodes: 3, nodeRank: 2, masterAddr: '192.168.1.7', masterPort: 1 }, 6, 'auto'],
    [{ nprocPerNode: 1, nnodes: 2, nodeRank: 1, masterAddr: 'fe80::1' }, 2],
    [SINGLE_PROCESS, 3, 'cuda:1'],
  ] as Array<Parameters<typeof checkLaunch>>)
    assert.doesNotThrow(() => checkLaunch(...ok));
});
