/**
 * Where a plan's time goes: named stages (calibration pass, Hessians, GPTQ, sensitivity, range search, error
 * correction, export), each with its seconds and the images it fed, nested when one runs inside another (GPTQ's
 * Hessian pass inside "weights"). Timings are reported (`quantize --json`, the run's build record) and never enter
 * a plan or a model, which stay byte-identical across runs. The clock is injected so nesting is testable.
 */

export interface StageTiming {
  name: string;
  seconds: number;
  /** Calibration images the stage reads (distinct images; a stage making several passes reads each once per pass). */
  images?: number;
  stages?: StageTiming[];
}

export interface StageTimer {
  /** Run `work` as stage `name`; a stage begun while another runs is nested in it. */
  time<T>(name: string, work: () => Promise<T>, info?: { images?: number }): Promise<T>;
  /** Add images to the innermost running stage (a count known only once the stage has read them). */
  addImages(n: number): void;
  /** The finished top-level stages, in start order. */
  stages(): StageTiming[];
}

interface Open {
  timing: StageTiming;
  start: number;
}

export function createStageTimer(now: () => number = () => performance.now() / 1000): StageTimer {
  const top: StageTiming[] = [];
  const stack: Open[] = [];
  const round = (s: number) => Math.round(s * 1000) / 1000;
  return {
    async time(name, work, info = {}) {
      const timing: StageTiming = { name, seconds: 0, ...(info.images !== undefined ? { images: info.images } : {}) };
      const parent = stack.at(-1)?.timing;
      if (parent) (parent.stages ??= []).push(timing);
      else top.push(timing);
      const open = { timing, start: now() };
      stack.push(open);
      try {
        return await work();
      } finally {
        timing.seconds = round(now() - open.start);
        // Stages run one after another (the plan is sequential), so the finished stage is the innermost.
        const i = stack.lastIndexOf(open);
        if (i >= 0) stack.splice(i, 1);
      }
    },
    addImages(n) {
      const cur = stack.at(-1)?.timing;
      if (cur) cur.images = (cur.images ?? 0) + n;
    },
    stages: () => top,
  };
}

/** A timer that records nothing (library callers that do not ask for timings). */
export const NO_TIMER: StageTimer = Object.freeze({
  time: <T>(_name: string, work: () => Promise<T>) => work(),
  addImages: () => {},
  stages: () => [],
});

/** One line per stage, children indented: "  hessians 12.3 s (64 images)". */
export function formatStages(stages: readonly StageTiming[], indent = ''): string[] {
  return stages.flatMap((s) => [
    `${indent}${s.name} ${s.seconds.toFixed(1)} s${s.images !== undefined ? ` (${s.images} images)` : ''}`,
    ...formatStages(s.stages ?? [], `${indent}  `),
  ]);
}

/** The stages on one line, children in brackets: "read model 0.2 s, weights (gptq) 9.1 s [hessians 6.0 s, gptq 3.1 s]". */
export function stagesInline(stages: readonly StageTiming[]): string {
  return stages.map((s) => `${s.name} ${s.seconds.toFixed(1)} s${s.stages?.length ? ` [${stagesInline(s.stages)}]` : ''}`).join(', ');
}
