import { existsSync, readFileSync } from 'node:fs';
import { planFacts, type VariantFacts } from './report/targets.js';
import { readStage, stageKey, writeStage, type RunPaths } from './run-folder.js';
import type { VariantRow } from './summary.js';

/**
 * report.html as a resumable stage: its key is everything the page shows (rows, notes, sensitivity, per-variant
 * facts, environment, configuration, the evaluation set) and REPORT_VERSION, so a resumed run with nothing changed
 * keeps the page it has instead of reading every detection file and re-encoding the overlay images again.
 */

/** Bump when the report's content changes for the same inputs. */
export const REPORT_VERSION = 2;

/** What the rows do not say about each built variant: its activation dtype (build record) and its plan's grids. */
export function variantFacts(paths: RunPaths, rows: readonly VariantRow[]): VariantFacts[] {
  return rows
    .filter((r) => r.status === 'done')
    .map((r) => {
      const facts: VariantFacts = { id: r.id };
      try {
        const build = JSON.parse(readFileSync(paths.metrics(r.id, 'build'), 'utf8')) as { data?: { actDtype?: 'fp16' | 'fp32' } };
        if (build.data?.actDtype) facts.actDtype = build.data.actDtype;
      } catch {
        // no build record (an older run folder): the row alone
      }
      const plan = paths.plan(r.id);
      if ((r.kind === 'ptq' || r.kind === 'learned') && existsSync(plan)) {
        try {
          Object.assign(facts, { plan }, planFacts(JSON.parse(readFileSync(plan, 'utf8'))));
        } catch {
          // an unreadable plan: say nothing about its grids
        }
      }
      return facts;
    });
}

/** The report's stage record (metrics/report.json). */
function recordPath(paths: RunPaths): string {
  return paths.metrics('report');
}

/** Whether report.html is there and was made from exactly `inputs`. */
export function reportIsCurrent(paths: RunPaths, inputs: unknown): boolean {
  return readStage(recordPath(paths), reportKey(inputs), [paths.report]) !== undefined;
}

export function recordReport(paths: RunPaths, inputs: unknown): void {
  writeStage(recordPath(paths), reportKey(inputs), { file: 'report.html' });
}

function reportKey(inputs: unknown): string {
  return stageKey({ version: REPORT_VERSION, inputs });
}
