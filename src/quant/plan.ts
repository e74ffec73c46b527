import { InputError } from '../errors.js';
import { isSchemeName, type SchemeName } from './scheme.js';
import { blockScaleCodeRange, blockScalesOf, codeKindOf, perTensorSecondLevel, type BlockScalesField } from './weights/two-level.js';

/**
 * The QuantPlan: every quantization decision, per tensor, as JSON. Producers (RTN, GPTQ, calibration, policy)
 * write it; exporters (qcdq, int4, qdq) only read it. A saved plan re-applies to the same model bit for bit.
 */

export type ObserverName = 'minmax' | 'percentile' | 'mse' | 'entropy';

/**
 * How a weight's scales are laid out.
 * - per-tensor: one scale.
 * - per-channel: one scale per output channel; `axis` is that axis of the stored weight (0 for Conv, 1 for
 *   ConvTranspose, Gemm with transB=0 and MatMul).
 * - blocked: the weight viewed 2-D as [Cout, K] (K = Cin·kh·kw, row-major as stored), one scale per block of
 *   `blockSize` consecutive elements of a row: scales [Cout, ceil(K / blockSize)]. Only Conv and Gemm(transB=1).
 */
export type WeightGranularity = { kind: 'per-tensor' } | { kind: 'per-channel'; axis: number } | { kind: 'blocked'; blockSize: number };

/** GPTQ's settings as recorded per weight (src/quant/algorithms/gptq-plan.ts). */
export interface GptqRecord {
  name: 'gptq';
  /** Dampening as a fraction of mean diag(H). */
  damp: number;
  actOrder: boolean;
  /** Scales chosen by GPTQ's clipping search (always, today). */
  clipSearch: true;
  /** An integer zero point per scale. */
  asymmetric: boolean;
  /** Coordinate-descent sweeps after the rounding (absent: none). */
  refine?: number;
}

/**
 * Error correction's settings as recorded per weight (src/quant/algorithms/correction.ts): the ridge strengths
 * chosen for the layer's groups (fractions of mean diag(H̃); null keeps the float target) and layers per ORT pass.
 */
export interface CorrectionRecord {
  ridges: Array<{ ridge: number | null; groups: number }>;
  chunk: number;
}

/**
 * Codes and scales read back from a quantized graph (src/quant/read): whatever chose them, the file does not say.
 * `from` is the form they were read from (qcdq, qdq, int4, …).
 */
export interface ImportedRecord {
  name: 'imported';
  from: string;
}

/**
 * Codes re-rounded by block reconstruction (src/quant/learned, python/yoloq_brevitas/learned): each weight's rounding
 * learned against its block's float output, starting from `base`'s codes on `base`'s grid (scales unchanged).
 */
export interface LearnedRoundingRecord {
  name: 'learned-rounding';
  base: AlgorithmRecord;
  iterations: number;
  batch: number;
  images: number;
  seed: number;
  /** Probability of dropping an activation's quantization during learning (QDrop; 0 for A16 plans). */
  qdrop: number;
  /** 'output': the block loss weighted by the output metric (docs/learned-rounding.md); absent: plain squared error. */
  loss?: 'output';
}

/** Which algorithm chose a weight's scales and codes, as a typed record (not a settings string). */
export type AlgorithmRecord = ({ name: 'rtn' } | GptqRecord | ImportedRecord | LearnedRoundingRecord) & { correction?: CorrectionRecord };

/**
 * A granularity as asked for before any layer is known (`--granularity`, recipes, the run config): the same kinds
 * as WeightGranularity; per-channel's axis is each layer's output axis, filled in by the weight policy.
 */
export type GranularityRequest = { kind: 'per-tensor' } | { kind: 'per-channel' } | { kind: 'blocked'; blockSize: number };

/** `per-channel` | `per-tensor` | `block:N`, the CLI spelling of a granularity request; InputError otherwise. */
export function parseGranularity(text: string, option = '--granularity'): GranularityRequest {
  if (text === 'per-channel' || text === 'per-tensor') return { kind: text };
  const m = /^block:(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new InputError(`${option} ${text}: expected per-channel, per-tensor or block:N`);
  return { kind: 'blocked', blockSize: Number(m[1]) };
}

/** The CLI spelling of a granularity (the inverse of parseGranularity; a per-channel axis is not spelled). */
export function formatGranularity(g: GranularityRequest | WeightGranularity): string {
  return g.kind === 'blocked' ? `block:${g.blockSize}` : g.kind;
}

export interface WeightDecision {
  /** The consuming node's name. */
  node: string;
  opType: string;
  /** Which input of the node holds the weight. */
  input: number;
  /** The float initializer that is quantized. */
  tensor: string;
  shape: number[];
  bits: number;
  /** Symmetric range [-(2^(b-1)-1), 2^(b-1)-1] when true (Brevitas' default), [-2^(b-1), 2^(b-1)-1] otherwise. */
  narrow: boolean;
  granularity: WeightGranularity;
  /** Row-major scales, float32 values (see WeightGranularity for the layout). */
  scales: number[];
  /**
   * Asymmetric weights: one integer zero point per scale, same layout, in the code range; a code q stands for
   * (q − z)·s. Only with `codes` and `narrow: false` (all 2^b levels). Absent: every zero point is 0 (symmetric).
   */
  zeroPoints?: number[];
  /**
   * Two-level block scales (blocked granularity only), src/quant/weights/two-level.ts: uint8 codes 1…255 with one
   * float32 scale per row, `scales[r·B + j]` = float32(codes[r·B + j] · rowScales[r]); or, with `codeType: 'e4m3'`,
   * FP8 E4M3FN bytes 1…126 with one float32 scale for the tensor, `scales[i]` = float32(e4m3(codes[i]) ·
   * rowScales[0]). Formats with two scale levels store the codes and second-level scales; any other format stores
   * `scales` as they are.
   */
  blockScales?: BlockScalesField;
  /** The algorithm that chose scales and codes, with its settings. */
  algorithm: AlgorithmRecord;
  /** Base64 of the int8 codes (row-major, one byte each) when they differ from round-to-nearest of the float weight. */
  codes?: string;
  /**
   * float32 values that replace the node's bias (Conv input 2; one per output channel), set by error correction
   * when it re-fits the bias with the weights. Absent: the model's own bias (or none).
   */
  bias?: number[];
  /** Why the policy gave this weight these bits. */
  reason: string;
}

export interface ActivationDecision {
  /** Value name in the float graph. */
  value: string;
  bits: 8;
  signed: boolean;
  /** float32 scale and integer zero point of the per-tensor quantizer. */
  scale: number;
  zeroPoint: number;
  observer: ObserverName;
  /** [min, max] seen during calibration, and the range the scale encodes. */
  observed: [number, number];
  range: [number, number];
  /** Values that share this scale (a Concat's inputs share its output's). */
  group?: string;
  /**
   * Which readers see the fake-quantized value: only quantized ops (default), or every reader — used for the
   * SiLU path (Conv output, Sigmoid output) so ORT can run Conv → Sigmoid → Mul as integer kernels.
   */
  readers?: 'quantized' | 'all';
}

/**
 * Per-channel range equalization of a depthwise Conv's input (see quant/calibration/equalization.ts): the float graph
 * gets Mul(value, 1/scales) before `node` and the node's filters times `scales`, before any other decision applies.
 */
export interface EqualizationDecision {
  /** The depthwise Conv's label in the float working graph. */
  node: string;
  /** The value it reads. */
  value: string;
  /** One positive factor per channel. */
  scales: number[];
}

export interface QuantPlan {
  yoloqPlan: 1;
  scheme: SchemeName;
  /** SHA-256 of the float model's bytes: a plan applies only to the model it was made for. */
  modelSha256: string;
  weights: WeightDecision[];
  activations: ActivationDecision[];
  /** Quantizable nodes left in float, and why. */
  float: Array<{ node: string; reason: string }>;
  calibration?: { source: string; images: number; seed: number; observer: ObserverName; skipped: number };
  /** Applied to the float working graph first; node and tensor names elsewhere in the plan refer to the result. */
  equalization?: EqualizationDecision[];
}

/** Stable JSON: keys in a fixed order per object, so equal plans give equal bytes. */
export function planToJson(plan: QuantPlan): string {
  return `${JSON.stringify(plan, null, 1)}\n`;
}

function fail(msg: string): never {
  throw new InputError(`plan: ${msg}`);
}

function isNumArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v));
}

function checkWeight(w: Partial<WeightDecision>, i: number): void {
  const at = `weights[${i}]`;
  if (typeof w.node !== 'string' || typeof w.tensor !== 'string') fail(`${at} needs "node" and "tensor" names`);
  if (!Number.isInteger(w.bits) || w.bits! < 2 || w.bits! > 8) fail(`${at}.bits must be an integer in [2, 8]`);
  if (!isNumArray(w.shape) || !isNumArray(w.scales) || w.scales.some((s) => !(s > 0))) fail(`${at} needs a shape and positive scales`);
  const g = w.granularity;
  if (!g || !['per-tensor', 'per-channel', 'blocked'].includes(g.kind))
    fail(`${at}.granularity.kind must be per-tensor, per-channel or blocked`);
  if (g.kind === 'blocked' && !(Number.isInteger(g.blockSize) && g.blockSize > 0))
    fail(`${at}.granularity.blockSize must be a positive integer`);
  if (g.kind === 'per-channel' && !(Number.isInteger(g.axis) && g.axis >= 0 && g.axis < w.shape.length))
    fail(`${at}.granularity.axis is out of range`);
  if (w.zeroPoints !== undefined) {
    const half = 2 ** (w.bits! - 1);
    if (!isNumArray(w.zeroPoints) || w.zeroPoints.length !== w.scales.length) fail(`${at}.zeroPoints needs one zero point per scale`);
    if (w.zeroPoints.some((z) => !Number.isInteger(z) || z < -half || z > half - 1))
      fail(`${at}.zeroPoints must be integers in [${-half}, ${half - 1}]`);
    if (w.narrow !== false || typeof w.codes !== 'string') fail(`${at}: zero points need "narrow": false and explicit "codes"`);
  }
  if (w.blockScales !== undefined) checkBlockScales(w as WeightDecision, at);
  const a = w.algorithm as Partial<AlgorithmRecord> | undefined;
  if (!a || typeof a !== 'object' || !['rtn', 'gptq', 'imported', 'learned-rounding'].includes(a.name as string))
    fail(`${at}.algorithm must be {"name": "rtn" | "gptq" | "imported" | "learned-rounding", …}`);
  if (a.name === 'learned-rounding' && typeof w.codes !== 'string') fail(`${at}: learned rounding needs explicit "codes"`);
  if (a.name === 'imported' && typeof w.codes !== 'string') fail(`${at}: an imported weight needs explicit "codes"`);
  if (w.bias !== undefined && (w.opType !== 'Conv' || !isNumArray(w.bias) || w.bias.length !== w.shape[0]))
    fail(`${at}.bias must be one number per output channel of a Conv`);
}

/** Two-level scales must rebuild `scales` exactly, so a file storing codes and row scales equals the plan. */
function checkBlockScales(w: WeightDecision, at: string): void {
  const b = w.blockScales!;
  const rows = w.shape[0]!;
  if (w.granularity.kind !== 'blocked') fail(`${at}.blockScales need blocked granularity`);
  if (b.codeType !== undefined && b.codeType !== 'e4m3') fail(`${at}.blockScales.codeType must be "e4m3" or absent (uint8)`);
  const kind = codeKindOf(b);
  const { min, max } = blockScaleCodeRange(kind);
  if (!isNumArray(b.codes) || b.codes.length !== w.scales.length || b.codes.some((c) => !Number.isInteger(c) || c < min || c > max)) {
    fail(`${at}.blockScales.codes must be one integer in [${min}, ${max}] per scale`);
  }
  const perTensor = perTensorSecondLevel(kind);
  if (!isNumArray(b.rowScales) || b.rowScales.length !== (perTensor ? 1 : rows) || b.rowScales.some((s) => !(s > 0))) {
    fail(
      `${at}.blockScales.rowScales must be ${perTensor ? 'one positive number (e4m3 codes share one scale)' : 'one positive number per output channel'}`,
    );
  }
  const rebuilt = blockScalesOf(b, w.scales.length / rows);
  const i = w.scales.findIndex((s, k) => s !== rebuilt[k]);
  if (i >= 0) fail(`${at}.scales[${i}] is not blockScales.codes[${i}]'s value × its second-level scale`);
}

function checkActivation(a: Partial<ActivationDecision>, i: number): void {
  const at = `activations[${i}]`;
  if (typeof a.value !== 'string') fail(`${at} needs a "value" name`);
  if (a.bits !== 8) fail(`${at}.bits must be 8`);
  if (!(typeof a.scale === 'number' && a.scale > 0 && Number.isFinite(a.scale))) fail(`${at}.scale must be a positive number`);
  const [lo, hi] = a.signed ? [-128, 127] : [0, 255];
  if (!Number.isInteger(a.zeroPoint) || a.zeroPoint! < lo || a.zeroPoint! > hi)
    fail(`${at}.zeroPoint must be an integer in [${lo}, ${hi}]`);
}

/**
 * A weight's algorithm as older plans wrote it — "rtn", or "gptq(damp=0.01,act-order,clip-search,asymmetric)"
 * with "+correct(ridge=…,chunk=N)" — turned into the typed record. Settings not in the string take GPTQ's defaults.
 */
function upgradeAlgorithm(w: { algorithm: unknown }): void {
  if (typeof w?.algorithm !== 'string') return;
  const [head = '', corr] = w.algorithm.split('+correct');
  const m = /^(\w+)(?:\((.*)\))?$/.exec(head);
  if (!m) fail(`unknown algorithm ${JSON.stringify(w.algorithm)}`);
  const flags = (m[2] ?? '').split(',');
  const setting = (k: string) => flags.find((f) => f.startsWith(`${k}=`))?.slice(k.length + 1);
  const base: AlgorithmRecord =
    m[1] === 'gptq'
      ? {
          name: 'gptq',
          damp: Number(setting('damp') ?? 0.01),
          actOrder: flags.includes('act-order'),
          clipSearch: true,
          asymmetric: flags.includes('asymmetric'),
          ...(setting('refine') ? { refine: Number(setting('refine')) } : {}),
        }
      : { name: 'rtn' };
  const c = corr ? /^\(ridge=(.*),chunk=(\d+)\)$/.exec(corr) : null;
  const ridges = c?.[1]?.split(' ').map((r) => {
    const [v = '', n] = r.split('×');
    return { ridge: v === 'Infinity' ? null : Number(v), groups: n ? Number(n) : 1 };
  });
  w.algorithm = c && ridges ? { ...base, correction: { ridges, chunk: Number(c[2]) } } : base;
}

/** Parse and validate a plan file's text; InputError with the first problem found. */
export function parsePlan(text: string): QuantPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('not valid JSON');
  }
  return validatePlan(raw);
}

/**
 * Validate a parsed plan object (parsePlan's checks, and its upgrades of older spellings, in place). A plan whose
 * arrays are in a sidecar file must be read with readPlanFiles (src/quant/plan-file.ts), which fills them in first.
 */
export function validatePlan(raw: unknown): QuantPlan {
  const p = raw as Partial<QuantPlan> & { sidecar?: { file?: unknown } };
  if (!p || typeof p !== 'object' || p.yoloqPlan !== 1) fail('not a yoloq plan (missing "yoloqPlan": 1)');
  if (p.sidecar !== undefined)
    fail(
      `its scales and codes are in the sidecar file ${JSON.stringify(p.sidecar?.file)}: read the pair with readPlanFiles (as yoloq apply does)`,
    );
  if (typeof p.scheme !== 'string' || !isSchemeName(p.scheme)) fail(`unknown scheme ${JSON.stringify(p.scheme)}`);
  if (typeof p.modelSha256 !== 'string') fail('missing "modelSha256"');
  if (!Array.isArray(p.weights) || !Array.isArray(p.activations) || !Array.isArray(p.float))
    fail('"weights", "activations" and "float" must be arrays');
  // Plans written before the rename call equalization "smoothing"; their weights name the algorithm by a string.
  const legacy = p as Partial<QuantPlan> & { smoothing?: EqualizationDecision[] };
  if (legacy.smoothing !== undefined && p.equalization === undefined) {
    p.equalization = legacy.smoothing;
    delete legacy.smoothing;
  }
  if (Array.isArray(p.weights)) p.weights.forEach((w) => upgradeAlgorithm(w as { algorithm: unknown }));
  if (p.equalization !== undefined) {
    if (!Array.isArray(p.equalization)) fail('"equalization" must be an array');
    p.equalization.forEach((d, i) => {
      if (typeof d?.node !== 'string' || typeof d.value !== 'string' || !isNumArray(d.scales) || d.scales.some((s) => !(s > 0)))
        fail(`equalization[${i}] needs "node", "value" and positive "scales"`);
    });
  }
  p.weights.forEach(checkWeight);
  p.activations.forEach(checkActivation);
  return p as QuantPlan;
}
