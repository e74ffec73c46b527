import table from './schemes.json' with { type: 'json' };

/**
 * Quantization schemes as plain data. "A16" means activations stay floating point (FP16 in the GPU graph, FP32 in
 * its CPU twin); "A8" means per-tensor int8 Q/DQ on the inputs of quantized ops.
 *
 * The rows live in schemes.json, the one scheme table: the Python stage (python/yoloq_brevitas/config.py) reads the
 * same file (the runner passes its path as $YOLOQ_SCHEMES). Each row is checked here once, at load.
 */
export type SchemeName = 'w4a8' | 'w4a16' | 'w8a8' | 'w8a16';

export interface Scheme {
  readonly name: SchemeName;
  /** Bits of the quantized Conv/Gemm/MatMul weights under the default policy. */
  readonly weightBits: 4 | 8;
  /** Bits of the layers the policy keeps at higher precision (first Conv, prediction Convs). */
  readonly keptWeightBits: 8;
  readonly activations: 'int8' | 'float';
}

const NAMES: readonly SchemeName[] = ['w4a8', 'w4a16', 'w8a8', 'w8a16'];

/** One row of schemes.json as a frozen Scheme; a row that does not fit the type is an Error naming it. */
function schemeRow(row: unknown): Scheme {
  const r = (typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>;
  const { name, weightBits, keptWeightBits, activations } = r;
  const ok =
    NAMES.includes(name as SchemeName) &&
    (weightBits === 4 || weightBits === 8) &&
    keptWeightBits === 8 &&
    (activations === 'int8' || activations === 'float');
  if (!ok) throw new Error(`src/quant/schemes.json: bad scheme row ${JSON.stringify(row)}`);
  return Object.freeze({ name, weightBits, keptWeightBits, activations } as Scheme);
}

function buildSchemes(rows: readonly unknown[]): Readonly<Record<SchemeName, Scheme>> {
  const out: Partial<Record<SchemeName, Scheme>> = {};
  for (const row of rows) {
    const s = schemeRow(row);
    if (out[s.name]) throw new Error(`src/quant/schemes.json: scheme ${s.name} appears twice`);
    out[s.name] = s;
  }
  const missing = NAMES.filter((n) => !out[n]);
  if (missing.length) throw new Error(`src/quant/schemes.json: no row for ${missing.join(', ')}`);
  return Object.freeze(out as Record<SchemeName, Scheme>);
}

export const SCHEMES: Readonly<Record<SchemeName, Scheme>> = buildSchemes(table.schemes);

export function isSchemeName(s: string): s is SchemeName {
  return Object.hasOwn(SCHEMES, s);
}

/**
 * Whether planning this scheme needs calibration images whatever the recipe: int8 activations need observed
 * ranges. (Recipes that measure — GPTQ, the budget, correction — need them for any scheme; see recipe.ts.)
 */
export function schemeNeedsCalibration(scheme: Scheme | SchemeName): boolean {
  return (typeof scheme === 'string' ? SCHEMES[scheme] : scheme).activations === 'int8';
}
