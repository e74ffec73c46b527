import { InputError } from '../../errors.js';
import { decodeSafetensors } from '../../util/safetensors.js';
import { validatePlan, type LearnedRoundingRecord, type QuantPlan, type WeightDecision } from '../plan.js';
import { codeRange } from '../weights/layout.js';
import { quantizeCodes } from '../weights/codes.js';

/** The settings a learning run records on each weight it changed (LearnedRoundingRecord less name and base). */
export type LearnSettings = Omit<LearnedRoundingRecord, 'name' | 'base'>;

/** Learned int8 codes per weight decision, by node label (row-major in the weight's shape). */
export type LearnedCodes = ReadonlyMap<string, Int8Array>;

/** codes.safetensors as the Python stage writes it: one I8 tensor per weight, named by its node label. */
export function readLearnedCodes(bytes: Uint8Array): Map<string, Int8Array> {
  const { tensors } = decodeSafetensors(bytes);
  const out = new Map<string, Int8Array>();
  for (const [name, t] of tensors) {
    if (t.dtype !== 'I8') throw new InputError(`learned codes: ${name} is ${t.dtype}, expected I8`);
    out.set(name, new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength).slice());
  }
  return out;
}

function currentCodes(d: WeightDecision, weight: ((tensor: string) => Float32Array) | undefined): Int8Array | undefined {
  if (d.codes) {
    const b = Buffer.from(d.codes, 'base64');
    return new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const w = weight?.(d.tensor);
  return w ? quantizeCodes(w, d.shape, d.granularity, d.scales, d.bits, d.narrow) : undefined;
}

function sameCodes(a: Int8Array, b: Int8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A new plan whose weights carry the learned codes. A weight whose learned codes equal its current ones (its
 * explicit codes, or round-to-nearest on its grid computed from `weight` when it has none) is left exactly as it
 * was, so merging unchanged codes gives back the same plan, byte for byte; a changed one gets `codes` and the
 * record {name: "learned-rounding", base: its previous record, …settings}. Scales are never changed. InputError
 * when a code is out of its range, a count is wrong or a label is not in the plan; the result passes the plan
 * validator.
 */
export function mergeLearnedCodes(
  plan: QuantPlan,
  learned: LearnedCodes,
  settings: LearnSettings,
  weight?: (tensor: string) => Float32Array,
): { plan: QuantPlan; changed: number } {
  const known = new Set(plan.weights.map((w) => w.node));
  const stray = [...learned.keys()].find((k) => !known.has(k));
  if (stray !== undefined) throw new InputError(`learned codes name ${stray}, which the plan does not quantize`);
  let changed = 0;
  const weights = plan.weights.map((d): WeightDecision => {
    const codes = learned.get(d.node);
    if (!codes) return d;
    const n = d.shape.reduce((a, b) => a * b, 1);
    if (codes.length !== n) throw new InputError(`learned codes: ${d.node} has ${codes.length} codes for ${n} weights`);
    const [qmin, qmax] = codeRange(d.bits, d.narrow);
    if (codes.some((c) => c < qmin || c > qmax)) throw new InputError(`learned codes: ${d.node} has codes outside [${qmin}, ${qmax}]`);
    const before = currentCodes(d, weight);
    if (before && sameCodes(before, codes)) return d;
    changed++;
    const record: LearnedRoundingRecord = { name: 'learned-rounding', base: d.algorithm, ...settings };
    return {
      ...d,
      algorithm: record,
      codes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64'),
    };
  });
  // Round trip through the validator: the merged plan must read back as a plan (codes explicit, blockScales exact).
  const merged = validatePlan(JSON.parse(JSON.stringify({ ...plan, weights })));
  return { plan: merged, changed };
}
