#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ultralyticsDataYaml, writeSplit } from './dataset.js';

/**
 * Writes the synthetic shapes set for training (python/train_default/train.py runs this):
 *
 *   node dist/src/synthetic/cli.js --out DIR [--train 1500] [--val 100] [--seed 1]
 *
 * DIR gets images/, labels/ (YOLO txt), annotations/instances_<split>.json (COCO) and data.yaml (ultralytics).
 * `yoloq run` makes its own evaluation and calibration splits with seed 0, so a training set made with another
 * seed never shares an image with them.
 */

function count(v: string | undefined, fallback: number, name: string): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} ${v}: expected a non-negative integer`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      train: { type: 'string' },
      val: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.out) {
    process.stdout.write('usage: node dist/src/synthetic/cli.js --out DIR [--train 1500] [--val 100] [--seed 1]\n');
    return values.help ? 0 : 2;
  }
  const root = resolve(values.out);
  const seed = count(values.seed, 1, 'seed');
  const splits: Array<[string, number]> = [
    ['train', count(values.train, 1500, 'train')],
    ['val', count(values.val, 100, 'val')],
  ];
  for (const [split, n] of splits) {
    const t0 = performance.now();
    const files = await writeSplit({
      root,
      split,
      count: n,
      seed,
      onProgress: (d, t) => {
        if (process.stderr.isTTY) process.stderr.write(`\r${split} ${d}/${t}`);
      },
    });
    process.stderr.write(
      `\r${split}: ${files.count} images, ${files.objects} objects in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }
  writeFileSync(join(root, 'data.yaml'), ultralyticsDataYaml(root, 'train', 'val'));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`synthetic: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
