/**
 * Golden parity with pycocotools: every fixture under test/fixtures/coco-golden holds inputs and what the pinned
 * pycocotools computed for them (python/golden/coco_eval_golden.py). Every stat must agree within 1e-9.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCocoDetections, parseCocoGroundTruth } from '../../../src/data/coco-json.js';
import { evaluateCoco, formatSummary, type CocoParams } from '../../../src/eval/coco/index.js';
import { repoRoot } from '../../helpers/paths.js';

const dir = join(repoRoot, 'test', 'fixtures', 'coco-golden');
const TOL = 1e-9;

interface Golden {
  name: string;
  description: string;
  generator: { pycocotools: string; numpy: string };
  params: Partial<CocoParams> | null;
  groundTruth: unknown;
  detections: unknown;
  expected: {
    stats: number[];
    perClass: Array<{ categoryId: number; ap: number; ap50: number }>;
    summaryLines: string[];
    recall: number[];
    precisionSum: number;
    scoresSum: number;
    counts: number[];
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const sum = (xs: Float64Array): number => xs.reduce((s, x) => s + x, 0);

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('golden fixtures are present', () => {
  assert.ok(files.length >= 10, `expected the golden fixtures in ${dir}`);
});

for (const file of files) {
  const g = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Golden;
  test(`pycocotools ${g.generator.pycocotools} parity: ${g.name} (${g.description})`, (t) => {
    const gt = parseCocoGroundTruth(g.groundTruth, file);
    const dets = parseCocoDetections(g.detections, file);
    const r = evaluateCoco(gt, dets, g.params ?? {});
    const e = g.expected;
    assert.deepEqual([...r.dims], e.counts);
    const statDiff = maxAbsDiff(r.stats, e.stats);
    assert.ok(statDiff <= TOL, `stats differ by ${statDiff}: ours ${r.stats.join(', ')} vs ${e.stats.join(', ')}`);
    assert.deepEqual(
      r.perClass.map((c) => c.categoryId),
      e.perClass.map((c) => c.categoryId),
    );
    const apDiff = Math.max(
      maxAbsDiff(
        r.perClass.map((c) => c.ap),
        e.perClass.map((c) => c.ap),
      ),
      maxAbsDiff(
        r.perClass.map((c) => c.ap50),
        e.perClass.map((c) => c.ap50),
      ),
    );
    assert.ok(apDiff <= TOL, `per-class AP differs by ${apDiff}`);
    const recallDiff = maxAbsDiff(r.recall, e.recall);
    assert.ok(recallDiff <= TOL, `recall differs by ${recallDiff}`);
    assert.ok(Math.abs(sum(r.precision) - e.precisionSum) <= 1e-6, `precision sum ${sum(r.precision)} vs ${e.precisionSum}`);
    assert.ok(Math.abs(sum(r.scores) - e.scoresSum) <= 1e-6, `scores sum ${sum(r.scores)} vs ${e.scoresSum}`);
    assert.deepEqual(formatSummary(r.stats, r.params), e.summaryLines);
    t.diagnostic(`max |ours - pycocotools|: stats ${statDiff}, per-class ${apDiff}, recall ${recallDiff}`);
  });
}
