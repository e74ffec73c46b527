import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';

/**
 * The run folder and its resumable stages.
 *
 *   runs/<id>/onnx/<variant>.onnx         every variant's model (fp32 is a copy of the source model)
 *   runs/<id>/plans/<variant>.json        the QuantPlan of each PTQ variant (re-apply with `yoloq apply`), its codes
 *                                         and scales in <variant>.safetensors beside it (src/quant/plan-file.ts)
 *   runs/<id>/metrics/<variant>.<stage>.json   build, eval, bench records; <variant>.detections.json (COCO results)
 *   runs/<id>/metrics/<variant>.json      the variant's summary row with everything the table shows
 *   runs/<id>/summary.md, report.html, config.json (+ run.yaml as given), environment.json, logs/run.log
 *
 * Each stage record carries a `key`: the SHA-256 of everything the stage's result depends on (input file hashes,
 * settings). A stage is skipped when its record exists with the same key and its outputs exist, so a second run
 * redoes nothing, and a run with one setting changed redoes exactly the stages that depend on it.
 */

export interface RunPaths {
  root: string;
  onnx(id: string): string;
  plan(id: string): string;
  metrics(id: string, stage?: string): string;
  summary: string;
  report: string;
  config: string;
  environment: string;
  log: string;
}

export function runPaths(root: string): RunPaths {
  return {
    root,
    onnx: (id) => join(root, 'onnx', `${id}.onnx`),
    plan: (id) => join(root, 'plans', `${id}.json`),
    metrics: (id, stage) => join(root, 'metrics', stage ? `${id}.${stage}.json` : `${id}.json`),
    summary: join(root, 'summary.md'),
    report: join(root, 'report.html'),
    config: join(root, 'config.json'),
    environment: join(root, 'environment.json'),
    log: join(root, 'logs', 'run.log'),
  };
}

/** SHA-256 (hex) of a JSON-able value with keys in a stable order. */
export function stageKey(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** SHA-256 (hex) of a file's bytes. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface StageRecord<T> {
  key: string;
  data: T;
}

/** The stage's data when its record has this key and every listed output exists; undefined otherwise. */
export function readStage<T>(path: string, key: string, outputs: readonly string[] = []): T | undefined {
  if (!existsSync(path) || outputs.some((p) => !existsSync(p))) return undefined;
  try {
    const rec = JSON.parse(readFileSync(path, 'utf8')) as StageRecord<T>;
    return rec.key === key ? rec.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeStage<T>(path: string, key: string, data: T): void {
  writeFileAtomic(path, `${JSON.stringify({ key, data } satisfies StageRecord<T>, null, 1)}\n`);
}

/** Timestamped lines appended to logs/run.log; every progress message of the run goes here too. */
export class RunLog {
  constructor(private readonly path: string) {
    mkdirSync(join(path, '..'), { recursive: true });
  }

  line(text: string): void {
    appendFileSync(this.path, `${new Date().toISOString()} ${text}\n`);
  }
}
