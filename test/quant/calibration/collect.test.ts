import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workingGraph } from '../../../src/quant/working-graph.js';
import { collectHistograms, RememberedFeeds } from '../../../src/quant/calibration/collect.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';
import { matmulReluModel } from '../../helpers/tiny-onnx.js';

/** Three [1, 4] inputs; counts how many passes were made over them. */
function countingFeeds() {
  const state = { passes: 0 };
  const source = async function* (): AsyncGenerator<Record<string, HostTensor>> {
    state.passes++;
    for (const k of [1, -2, 3]) yield { x: { dtype: 'float32', dims: [1, 4], data: Float32Array.from([k, 0.5, -k, 1]) } };
  };
  return { state, source };
}

test('RememberedFeeds: a later request for some of the same values on the same model makes no second pass', async () => {
  const model = workingGraph(matmulReluModel());
  const { state, source } = countingFeeds();
  const feeds = new RememberedFeeds(source);
  const progress: number[] = [];
  const first = await collectHistograms(model, ['y', 'x'], feeds, { onProgress: (n) => progress.push(n) });
  assert.equal(state.passes, 1);
  const again = await collectHistograms(model, ['y'], feeds, { onProgress: (n) => progress.push(n) });
  assert.equal(state.passes, 1, 'answered from the first pass');
  assert.equal(again.get('y'), first.get('y'));
  assert.deepEqual([...again.keys()], ['y']);
  assert.deepEqual(progress, [1, 2, 3, 3]);
  assert.equal(first.get('y')!.total, 12);
});

test('RememberedFeeds: another model, or a value the first pass did not collect, makes a new pass with the same histograms', async () => {
  const model = workingGraph(matmulReluModel());
  const { state, source } = countingFeeds();
  const feeds = new RememberedFeeds(source);
  const onlyY = await collectHistograms(model, ['y'], feeds);
  const withX = await collectHistograms(model, ['y', 'x'], feeds);
  assert.equal(state.passes, 2);
  assert.deepEqual(withX.get('y')!.counts, onlyY.get('y')!.counts);
  await collectHistograms(workingGraph(matmulReluModel()), ['y'], feeds);
  assert.equal(state.passes, 3);
  // A plain iterable is never remembered.
  const plain = countingFeeds();
  await collectHistograms(model, ['y'], plain.source());
  await collectHistograms(model, ['y'], plain.source());
  assert.equal(plain.state.passes, 2);
});
