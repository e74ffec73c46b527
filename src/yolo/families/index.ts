import { InputError } from '../../errors.js';
import type { FamilyAdapter, FamilyName } from './types.js';
import { yolov10 } from './yolov10.js';
import { yolov5 } from './yolov5.js';
import { yolov8 } from './yolov8.js';
import { yolox } from './yolox.js';

export type { FamilyAdapter, FamilyName, LayoutMatch, ModelInputSpec, PostprocessOptions } from './types.js';
export { DEFAULT_POSTPROCESS } from './types.js';

/** The explicit registry: family name → adapter. */
export const FAMILIES: Readonly<Record<FamilyName, FamilyAdapter>> = Object.freeze({ yolox, yolov5, yolov8, yolov10 });

export const FAMILY_NAMES: readonly FamilyName[] = Object.freeze(Object.keys(FAMILIES) as FamilyName[]);

/** Other spellings users type, mapped to the adapter that reads that output. */
const ALIASES: Readonly<Record<string, FamilyName>> = Object.freeze({
  yolo11: 'yolov8',
  yolov11: 'yolov8',
  yolov9: 'yolov8',
  yolov5u: 'yolov8',
});

export function isFamilyName(s: string): s is FamilyName {
  return Object.hasOwn(FAMILIES, s);
}

/** Parse a user-given family name (case-insensitive, aliases accepted); InputError listing the choices otherwise. */
export function parseFamilyName(s: string): FamilyName {
  const k = s.trim().toLowerCase();
  if (isFamilyName(k)) return k;
  const alias = ALIASES[k];
  if (alias) return alias;
  throw new InputError(`unknown model family '${s}': expected one of ${FAMILY_NAMES.join(', ')} (or ${Object.keys(ALIASES).join(', ')})`);
}

export function familyAdapter(name: FamilyName): FamilyAdapter {
  return FAMILIES[name];
}
