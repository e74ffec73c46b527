/** An image a command skipped: "path: reason" (calibration sets record them so), or the two apart (predictions). */
export type SkippedImage = string | { path: string; reason: string };

/**
 * One console line naming the images a command could not read and left out, e.g.
 * "1 calibration image could not be read and was skipped (--strict makes this an error): a.jpg: not a JPEG".
 * The first `max` (10) are named, then how many more; `strictHint` (default true) mentions --strict.
 */
export function skippedImagesLine(
  what: string,
  skipped: readonly SkippedImage[],
  options: { max?: number; strictHint?: boolean } = {},
): string {
  const { max = 10, strictHint = true } = options;
  const named = skipped.slice(0, max).map((s) => (typeof s === 'string' ? s : `${s.path}: ${s.reason}`));
  const more = skipped.length > max ? `; and ${skipped.length - max} more` : '';
  const one = skipped.length === 1;
  return `${skipped.length} ${what} image${one ? '' : 's'} could not be read and ${one ? 'was' : 'were'} skipped${strictHint ? ' (--strict makes this an error)' : ''}: ${named.join('; ')}${more}`;
}
