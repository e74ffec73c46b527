/**
 * Strict numbers for options and config values: a decimal integer ("12", "-3") or a decimal number ("0.5", "1e-3",
 * ".5"), nothing else. `Number()` alone would take "0x2", " 2 ", "" (0), "0b1" and "Infinity"; an option given as
 * one of those is a typo, never what the user meant.
 */
const INTEGER = /^[-+]?\d+$/;
const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The value of `text` as a strict decimal (integer when `integer`), or undefined when it is not one. */
export function parseStrictNumber(text: string, options: { integer?: boolean } = {}): number | undefined {
  if (!(options.integer ? INTEGER : DECIMAL).test(text)) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || (options.integer && !Number.isSafeInteger(v))) return undefined;
  return v;
}
