/**
 * Progress of long library work, as the library reports it: `done` of `total` units of a named stage ("hessians"
 * 12 of 64 images, "correcting" 8 of 61 layers). `total` 0 means the stage is not counted ("placement"). A new stage
 * name means the previous stage is over; the CLI renders the calls (src/cli/progress.ts), the library only makes them.
 * `detail` is a short free-form addition to the counts (e.g. a loss).
 */
export type OnProgress = (stage: string, done: number, total: number, detail?: string) => void;
