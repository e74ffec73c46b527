import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { writeOutputs, type OutputBatch } from '../io/atomic-write.js';
import { sha256 } from '../util/sha256.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  tensorFromNumbers,
  tensorToNumbers,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from '../util/safetensors.js';
import { parsePlan, validatePlan, type QuantPlan } from './plan.js';

/**
 * A plan on disk as two files: `NAME.json` holds every decision (bits, granularity, algorithm, activation scales,
 * reasons) and `NAME.safetensors` beside it the bulk arrays — each weight's codes (4-bit codes packed two per
 * byte, low nibble first, as ONNX INT4), scales, zero points and corrected biases, and equalization factors.
 *
 * In the JSON an array that moved reads `{"sidecar": "weights.3.scales"}` (a tensor of the sidecar, stored in the
 * smallest dtype that holds every value exactly: I8, U8, F32 or F64), and codes read `{"sidecar": …, "codes":
 * "int4" | "int8", "count": N}`. Number arrays of at most 8 elements (shapes, a per-tensor scale) stay inline.
 * `"sidecar": {"file", "format", "bytes", "sha256"}` at the top names the sidecar and pins its bytes: a missing,
 * truncated or other sidecar is refused with one line. Reading the pair gives back exactly the plan that was
 * written (planToJson of it is the inline plan, byte for byte), so `apply` makes the same model from either form;
 * parsePlan still reads single-file (inline) plans.
 */

export interface PlanSidecar {
  /** The sidecar's file name, in the plan's folder. */
  file: string;
  format: 'safetensors';
  bytes: number;
  sha256: string;
}

/** Arrays longer than this move to the sidecar. */
const INLINE_MAX = 8;

/** `plan.json` → `plan.safetensors` (any other name gets `.safetensors` appended). */
export function sidecarPath(planPath: string): string {
  if (/\.safetensors$/i.test(planPath))
    throw new InputError(`plan ${planPath}: give the plan a .json name; its arrays go beside it in a .safetensors file`);
  return `${planPath.replace(/\.json$/i, '')}.safetensors`;
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

/** The smallest dtype that holds every value exactly (−0 is written as 0, as JSON writes it). */
function exactDtype(values: readonly number[]): SafetensorsDtype {
  if (values.every((v) => Number.isInteger(v) && v >= -128 && v <= 127)) return 'I8';
  if (values.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return 'U8';
  if (values.every((v) => Math.fround(v) === v)) return 'F32';
  return 'F64';
}

/** int8 codes in [−8, 7], two per byte (element 2k in the low nibble), as ONNX packs INT4. */
function packInt4(codes: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) out[i >> 1]! |= (codes[i]! & 0xf) << ((i & 1) * 4);
  return out;
}

function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const n = (packed[i >> 1]! >> ((i & 1) * 4)) & 0xf;
    out[i] = n >= 8 ? n - 16 : n;
  }
  return out;
}

type Json = Record<string, unknown>;

/** Copy `obj` with its long number arrays (and a weight's codes) replaced by sidecar references. */
function extract(obj: Json, path: string, bits: number | undefined, tensors: Array<[string, SafetensorsTensor]>): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = `${path}.${k}`;
    if (k === 'codes' && typeof v === 'string' && bits !== undefined) {
      const codes = new Int8Array(Buffer.from(v, 'base64'));
      const int4 = bits <= 4 && codes.every((c) => c >= -8 && c <= 7);
      tensors.push([
        name,
        int4 ? { dtype: 'U8', shape: [Math.ceil(codes.length / 2)], data: packInt4(codes) } : tensorFromNumbers('I8', codes),
      ]);
      out[k] = { sidecar: name, codes: int4 ? 'int4' : 'int8', count: codes.length };
    } else if (isNumberArray(v) && v.length > INLINE_MAX && k !== 'shape') {
      const values = v.map((x) => (x === 0 ? 0 : x));
      tensors.push([name, tensorFromNumbers(exactDtype(values), values)]);
      out[k] = { sidecar: name };
    } else if (v && typeof v === 'object' && !Array.isArray(v)) out[k] = extract(v as Json, name, undefined, tensors);
    else out[k] = v;
  }
  return out;
}

/**
 * The two files' contents for `plan`, the sidecar named `sidecarName` (a file name in the plan's folder). Pure:
 * the same plan gives the same bytes.
 */
export function planToFiles(plan: QuantPlan, sidecarName: string): { json: string; sidecar: Uint8Array } {
  const tensors: Array<[string, SafetensorsTensor]> = [];
  const weights = plan.weights.map((w, i) => extract(w as unknown as Json, `weights.${i}`, w.bits, tensors));
  const equalization = plan.equalization?.map((e, i) => extract(e as unknown as Json, `equalization.${i}`, undefined, tensors));
  const sidecar = encodeSafetensors(tensors, { yoloqPlan: '1', modelSha256: plan.modelSha256 });
  const { yoloqPlan, scheme, modelSha256, ...rest } = plan;
  const head: PlanSidecar = { file: sidecarName, format: 'safetensors', bytes: sidecar.byteLength, sha256: sha256(sidecar) };
  const json = { yoloqPlan, scheme, modelSha256, sidecar: head, ...rest, weights, ...(equalization ? { equalization } : {}) };
  return { json: `${JSON.stringify(json, null, 1)}\n`, sidecar };
}

/** Stage both files of `plan` at `path` (JSON) and sidecarPath(path) in `batch`, to be committed with other outputs. */
export function stagePlanFiles(batch: OutputBatch, path: string, plan: QuantPlan): { json: string; sidecar: string } {
  const side = sidecarPath(path);
  const files = planToFiles(plan, basename(side));
  batch.add(side, files.sidecar);
  batch.add(path, files.json);
  return { json: path, sidecar: side };
}

/** Write `plan` as `path` + its sidecar, both or neither (see stagePlanFiles). */
export function writePlanFiles(path: string, plan: QuantPlan): { json: string; sidecar: string } {
  let out: { json: string; sidecar: string } | undefined;
  writeOutputs((b) => {
    out = stagePlanFiles(b, path, plan);
  });
  return out!;
}

/** Replace sidecar references in `obj` (in place) with the arrays and base64 codes they name. */
function fill(obj: Json, tensors: Map<string, SafetensorsTensor>, missing: (name: string) => never): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!v || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) if (item && typeof item === 'object' && !Array.isArray(item)) fill(item as Json, tensors, missing);
      continue;
    }
    const ref = v as { sidecar?: unknown; codes?: unknown; count?: unknown };
    if (typeof ref.sidecar !== 'string') {
      fill(v as Json, tensors, missing);
      continue;
    }
    const t = tensors.get(ref.sidecar) ?? missing(ref.sidecar);
    if (ref.codes === 'int4') {
      const count = Number(ref.count);
      if (!Number.isInteger(count) || t.dtype !== 'U8' || t.data.byteLength !== Math.ceil(count / 2)) missing(ref.sidecar);
      obj[k] = Buffer.from(unpackInt4(t.data, count).buffer).toString('base64');
    } else if (ref.codes === 'int8') obj[k] = Buffer.from(Int8Array.from(tensorToNumbers(t)).buffer).toString('base64');
    else obj[k] = tensorToNumbers(t);
  }
}

/**
 * The plan in `text` (the JSON file at `path`), its arrays read from `sidecar` (the sidecar file's bytes, or
 * undefined when it could not be read). Inline plans need no sidecar. InputError, one line, when the sidecar is
 * missing, truncated, another plan's, or lacks a tensor the JSON names.
 */
export function planFromFiles(text: string, path: string, readSidecar: (file: string) => Uint8Array | undefined): QuantPlan {
  let raw: Json;
  try {
    raw = JSON.parse(text) as Json;
  } catch {
    return parsePlan(text); // its "not valid JSON" message
  }
  const head = raw?.sidecar as Partial<PlanSidecar> | undefined;
  if (!head || typeof head !== 'object') return validatePlan(raw);
  if (typeof head.file !== 'string' || typeof head.sha256 !== 'string' || typeof head.bytes !== 'number')
    throw new InputError(`plan ${path}: "sidecar" needs "file", "bytes" and "sha256"`);
  const file = join(dirname(path), head.file);
  const bytes = readSidecar(file);
  if (!bytes)
    throw new InputError(
      `plan ${path}: its sidecar ${file} is missing (the plan's codes and scales are there: keep the two files together)`,
    );
  let tensors: Map<string, SafetensorsTensor> | undefined;
  let unreadable = '';
  try {
    tensors = decodeSafetensors(bytes).tensors;
  } catch (e) {
    unreadable = (e as Error).message;
  }
  const got = sha256(bytes);
  if (bytes.byteLength !== head.bytes || got !== head.sha256) {
    // A cut-off copy no longer parses; a complete file with other bytes is another plan's sidecar.
    if (!tensors && bytes.byteLength < head.bytes)
      throw new InputError(`plan ${path}: its sidecar ${file} is truncated (${bytes.byteLength} of ${head.bytes} bytes)`);
    throw new InputError(
      `plan ${path}: its sidecar ${file} does not match it (SHA-256 ${got.slice(0, 12)}…, the plan expects ${head.sha256.slice(0, 12)}…): it belongs to another plan`,
    );
  }
  if (!tensors) throw new InputError(`plan ${path}: its sidecar ${file} is not a readable safetensors file: ${unreadable}`);
  delete raw.sidecar;
  fill(raw, tensors, (name) => {
    throw new InputError(`plan ${path}: its sidecar ${file} has no tensor ${name} as the plan describes it`);
  });
  return validatePlan(raw);
}

/** Read a plan file and, when it has one, its sidecar (see planFromFiles). */
export function readPlanFiles(path: string): QuantPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`cannot read plan ${path}`);
  }
  return planFromFiles(text, path, (file) => {
    try {
      return readFileSync(file);
    } catch {
      return undefined;
    }
  });
}
