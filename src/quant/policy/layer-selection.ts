import { InputError } from '../../errors.js';
import type { QuantTarget } from './targets.js';

/**
 * Layer patterns for --include / --exclude: an exact node name, an op type (a capitalised word such as "Conv"),
 * or a regular expression between slashes ("/head\\./"). A pattern that matches nothing is an error, so a typo
 * never silently quantizes everything.
 */
export type LayerMatcher = (t: QuantTarget) => boolean;

export function compilePattern(pattern: string): LayerMatcher {
  if (pattern.length > 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    let re: RegExp;
    try {
      re = new RegExp(pattern.slice(1, -1));
    } catch {
      throw new InputError(`layer pattern ${pattern} is not a valid regular expression`);
    }
    return (t) => re.test(t.node);
  }
  return (t) => t.node === pattern || t.opType === pattern;
}

export interface LayerSelection {
  include?: string[];
  exclude?: string[];
}

/** Split targets into selected and excluded (with the reason), checking that every pattern matched something. */
export function selectLayers(
  targets: QuantTarget[],
  sel: LayerSelection,
): { selected: QuantTarget[]; excluded: Array<{ node: string; reason: string }> } {
  const check = (patterns: string[] | undefined, flag: string) =>
    (patterns ?? []).map((p) => {
      const m = compilePattern(p);
      if (!targets.some(m)) throw new InputError(`${flag} ${p} matches no quantizable layer (see: yoloq inspect)`);
      return m;
    });
  const inc = check(sel.include, '--include');
  const exc = check(sel.exclude, '--exclude');
  const selected: QuantTarget[] = [];
  const excluded: Array<{ node: string; reason: string }> = [];
  for (const t of targets) {
    if (inc.length > 0 && !inc.some((m) => m(t))) excluded.push({ node: t.node, reason: 'not matched by --include' });
    else if (exc.some((m) => m(t))) excluded.push({ node: t.node, reason: 'matched by --exclude' });
    else selected.push(t);
  }
  return { selected, excluded };
}
