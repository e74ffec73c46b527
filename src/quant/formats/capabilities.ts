import { InputError } from '../../errors.js';
import { formatGranularity, type GranularityRequest, type QuantPlan } from '../plan.js';
import { codeKindOf, type BlockScaleCodes } from '../weights/two-level.js';

/**
 * What an export format can carry, as data. The exporter's format table (src/export/formats.ts) gives every row
 * one of these; quantization reads them to refuse a request a format cannot hold *before* any calibration, and
 * `apply` reads them to refuse a plan before emitting anything.
 */
export interface FormatCapabilities {
  /** Default-domain opset the format is written at (DequantizeLinear-21 brings blocked scales and INT4). */
  readonly opset: number;
  /** Blocked weight scales (DequantizeLinear `block_size`). */
  readonly blockedScales: boolean;
  /** Non-zero weight zero points (asymmetric 4-bit grids). */
  readonly zeroPoints: boolean;
  /** Element type of the stored weight codes that are at most 4 bits wide. */
  readonly weightStorage: 'int8' | 'int4';
  /** Types a weight scale may be stored in. */
  readonly scaleDtypes: readonly ('float32' | 'float16')[];
  /** Scale levels: 1 = one float scale per group; 2 = block scales that are themselves dequantized. */
  readonly scaleLevels: 1 | 2;
  /**
   * Two levels: the type of the block-scale codes — uint8 under a float scale per output channel, or FP8 E4M3 under
   * one float scale per tensor (src/quant/weights/two-level.ts).
   */
  readonly blockScaleCodes?: BlockScaleCodes;
  /**
   * Whether ORT folds the weight DequantizeLinear into a float constant when it loads the file: never — ORT's
   * constant folding skips DequantizeLinear (onnxruntime/core/optimizer/constant_folding.cc) so that its QDQ
   * fusions can see it; a weight that is not fused is dequantized on every run.
   */
  readonly ortFoldsAtLoad: false;
  /**
   * Whether ORT's CPU EP fuses the weight DequantizeLinear into an integer Conv (QLinearConv) when the Conv's input
   * is quantized too (A8): its QDQ selectors need the int8 codes read directly by the DequantizeLinear.
   */
  readonly ortIntegerConv: boolean;
  /** Whether `yoloq` folds the weight DequantizeLinear when it loads the file itself (src/runtime/prepare-model.ts). */
  readonly yoloqFoldsAtLoad: boolean;
}

/** What a plan request asks of the format, before any plan exists. */
export interface FormatRequest {
  granularity?: GranularityRequest;
  zeroPoints?: boolean;
}

/**
 * Refuse a request the format cannot carry, naming the option and the formats that can. `formats` is the whole
 * table (name → capabilities) so the message can point to an alternative.
 */
export function checkFormatRequest(name: string, formats: Readonly<Record<string, FormatCapabilities>>, req: FormatRequest): void {
  const caps = formats[name];
  if (!caps) throw new InputError(`--format ${name}: expected one of ${Object.keys(formats).join(', ')}`);
  if (req.granularity?.kind === 'blocked' && !caps.blockedScales) {
    throw new InputError(
      `--granularity ${formatGranularity(req.granularity)}: --format ${name} cannot carry blocked scales (opset ${caps.opset} DequantizeLinear has no block_size); use --format ${formatsThat(formats, (c) => c.blockedScales)}, or --granularity per-channel`,
    );
  }
  if (caps.scaleLevels === 2 && req.granularity !== undefined && req.granularity.kind !== 'blocked') {
    throw new InputError(
      `--granularity ${formatGranularity(req.granularity)}: --format ${name} stores two-level block scales; give --granularity block:N`,
    );
  }
  if (req.zeroPoints && !caps.zeroPoints)
    throw new InputError(
      `--asym-weights on: --format ${name} takes only symmetric weights (zero points 0); use --asym-weights off, or --format ${formatsThat(formats, (c) => c.zeroPoints)}`,
    );
}

function formatsThat(formats: Readonly<Record<string, FormatCapabilities>>, has: (c: FormatCapabilities) => boolean): string {
  return Object.entries(formats)
    .filter(([, c]) => has(c))
    .map(([n]) => n)
    .join(' or ');
}

/** Refuse a whole plan the format cannot carry (used by `apply` and the exporter before emitting), naming the first weight that does not fit. */
export function checkPlanFits(name: string, formats: Readonly<Record<string, FormatCapabilities>>, plan: QuantPlan): void {
  const caps = formats[name];
  if (!caps) throw new InputError(`--format ${name}: expected one of ${Object.keys(formats).join(', ')}`);
  const blocked = plan.weights.find((w) => w.granularity.kind === 'blocked');
  if (blocked && !caps.blockedScales) {
    throw new InputError(
      `plan weight ${blocked.node} has blocked scales (${formatGranularity(blocked.granularity)}): --format ${name} cannot carry them (opset ${caps.opset} DequantizeLinear has no block_size); use --format ${formatsThat(formats, (c) => c.blockedScales)}, or re-plan with --granularity per-channel`,
    );
  }
  const single =
    caps.scaleLevels === 2
      ? plan.weights.find((w) => w.granularity.kind === 'blocked' && w.bits <= 4 && !w.blockScales && w.scales.length > w.shape[0]!)
      : undefined;
  if (single) {
    throw new InputError(
      `plan weight ${single.node} has float32 block scales: --format ${name} stores two-level ones; make the plan with \`yoloq quantize --format ${name}\`, or export this one with --format ${formatsThat(formats, (c) => c.blockedScales && c.scaleLevels === 1)}`,
    );
  }
  const codes = caps.blockScaleCodes;
  const otherCodes = codes ? plan.weights.find((w) => w.blockScales && codeKindOf(w.blockScales) !== codes) : undefined;
  if (otherCodes?.blockScales) {
    const has = codeKindOf(otherCodes.blockScales);
    throw new InputError(
      `plan weight ${otherCodes.node} has ${has} block-scale codes: --format ${name} stores ${codes} ones; make the plan with \`yoloq quantize --format ${name}\`, or export this one with --format ${formatsThat(formats, (c) => c.blockScaleCodes === has)} or ${formatsThat(formats, (c) => c.blockedScales && c.scaleLevels === 1)}`,
    );
  }
  const asym = plan.weights.find((w) => w.zeroPoints?.some((z) => z !== 0));
  if (asym && !caps.zeroPoints)
    throw new InputError(
      `plan weight ${asym.node} has zero points: --format ${name} takes only symmetric weights; use --format ${formatsThat(formats, (c) => c.zeroPoints)}`,
    );
}
