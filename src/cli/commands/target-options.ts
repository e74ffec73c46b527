import { InputError } from '../../errors.js';
import type { FormatName } from '../../export/formats.js';
import { targetByName, targetFormat, type TargetRow } from '../../export/targets.js';
import { formatGranularity } from '../../quant/plan.js';
import { SCHEMES, type SchemeName } from '../../quant/scheme.js';
import { stringOpt, type ParsedArgs } from '../command.js';

/**
 * `--target T`: the target row's choices become the defaults of the options it implies (--format, --granularity,
 * --asym-weights, --act-mode, --act-dtype); an option given explicitly that the runtime cannot take is refused
 * here, before any work (exit 2). Returns the row, or undefined without --target.
 */
export function applyTargetDefaults(args: ParsedArgs, scheme: SchemeName, which: { planning: boolean }): TargetRow | undefined {
  const name = stringOpt(args, 'target');
  if (name === undefined) return undefined;
  const t = targetByName(name);
  const s = SCHEMES[scheme];
  const set = (option: string, value: string, refuse?: (given: string) => boolean) => {
    const given = stringOpt(args, option);
    if (given === undefined) args.values[option] = value;
    else if (refuse?.(given)) throw new InputError(`--${option} ${given}: --target ${t.name} needs --${option} ${value} (${t.summary})`);
  };
  set('format', targetFormat(t, scheme), (f) => ![t.format.w4, t.format.w8, t.format.w4a8].includes(f as FormatName));
  if (args.values['cuda-layout'] && t.format.w4 !== 'int4-cuda')
    throw new InputError(`--cuda-layout: --target ${t.name} writes --format ${t.format.w4}`);
  if (s.activations === 'float') set('act-dtype', t.actDtype);
  if (!which.planning) return t;
  if (t.granularity !== 'recipe') set('granularity', formatGranularity(t.granularity), (g) => g.startsWith('block:'));
  if (t.symmetricWeights) set('asym-weights', 'off', (v) => v === 'on');
  if (t.actMode === 'symmetric') set('act-mode', 'symmetric', (v) => v !== 'symmetric');
  return t;
}
