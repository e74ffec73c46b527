import { InputError } from '../errors.js';
import { DataType, dtypeName, type DataTypeCode } from '../onnx/ir/dtypes.js';
import type { Dim, Model } from '../onnx/ir/graph.js';
import { FAMILIES, FAMILY_NAMES, type FamilyAdapter, type FamilyName, type ModelInputSpec } from './families/index.js';
import { parseUltralyticsMetadata, type UltralyticsMetadata } from './metadata.js';

/**
 * Which YOLO family a model is, from its input/output shapes and ultralytics metadata (stride, names, task,
 * imgsz, end2end). The output shape alone separates most cases: [1, K, 6] is YOLOv10, [1, 4+C, N] with N grid
 * cells is YOLOv8/11, [1, N, 5+C] is YOLOv5 when N = 3 × grid cells and YOLOX when N = grid cells. Metadata breaks
 * ties when dims are symbolic. A `family` override skips detection but is still checked against the shapes.
 */

export interface TensorSignature {
  name: string;
  elemType: DataTypeCode;
  /** undefined: rank unknown. */
  shape?: Dim[];
}

export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  metadata: ReadonlyArray<readonly [string, string]>;
}

/** Graph inputs that are not initializers, outputs, and metadata_props of a model. */
export function modelSignature(model: Model): ModelSignature {
  const g = model.graph;
  if (!g) throw new InputError('model has no graph');
  const inits = new Set(g.initializers.map((t) => t.name));
  const sig = (v: (typeof g.inputs)[number]): TensorSignature => {
    const s: TensorSignature = { name: v.name, elemType: v.type?.elemType ?? DataType.UNDEFINED };
    if (v.type?.shape) s.shape = [...v.type.shape];
    return s;
  };
  return { inputs: g.inputs.filter((v) => !inits.has(v.name)).map(sig), outputs: g.outputs.map(sig), metadata: model.metadata };
}

export interface DetectOptions {
  /** Skip detection: use this family (still checked against the output shape). */
  family?: FamilyName;
  /** Input size when the model's is symbolic (or to override it): a square side or width × height. */
  inputSize?: number | { width: number; height: number };
}

export interface DetectedModel {
  family: FamilyName;
  adapter: FamilyAdapter;
  /** Why this family, in words. */
  reason: string;
  inputName: string;
  input: ModelInputSpec;
  outputName: string;
  numClasses: number;
  metadata: UltralyticsMetadata;
}

function resolveInput(sig: ModelSignature, meta: UltralyticsMetadata, o: DetectOptions): { name: string; spec: ModelInputSpec } {
  if (sig.inputs.length !== 1)
    throw new InputError(`expected a model with one image input, found ${sig.inputs.length} (${sig.inputs.map((i) => i.name).join(', ')})`);
  const inp = sig.inputs[0]!;
  const shape = inp.shape;
  if (shape && (shape.length !== 4 || (typeof shape[1] === 'number' && shape[1] !== 3))) {
    throw new InputError(`input ${inp.name} has shape ${JSON.stringify(shape)}, expected [1, 3, H, W]`);
  }
  if (inp.elemType !== DataType.FLOAT && inp.elemType !== DataType.FLOAT16) {
    throw new InputError(`input ${inp.name} is ${dtypeName(inp.elemType)}, expected FLOAT or FLOAT16`);
  }
  const dtype = inp.elemType === DataType.FLOAT16 ? 'float16' : 'float32';
  let size: { width: number; height: number } | undefined;
  if (o.inputSize !== undefined) size = typeof o.inputSize === 'number' ? { width: o.inputSize, height: o.inputSize } : o.inputSize;
  else if (typeof shape?.[2] === 'number' && typeof shape[3] === 'number') size = { width: shape[3], height: shape[2] };
  else if (meta.imgsz) size = { width: meta.imgsz[1], height: meta.imgsz[0] };
  if (!size)
    throw new InputError(
      `input ${inp.name} has no fixed height and width (${JSON.stringify(shape ?? null)}) and the model's metadata gives no imgsz: pass an input size`,
    );
  return { name: inp.name, spec: { ...size, dtype } };
}

/** Families the metadata rules out or points at. */
function metadataHint(meta: UltralyticsMetadata): { prefer?: FamilyName; exclude: FamilyName[]; why: string } {
  if (!meta.present) return { exclude: [], why: 'no ultralytics metadata' };
  if (meta.end2end) return { prefer: 'yolov10', exclude: ['yolox'], why: 'ultralytics metadata end2end=True' };
  if (meta.task !== undefined)
    return { prefer: 'yolov8', exclude: ['yolox', 'yolov5'], why: `ultralytics ≥ 8 metadata (task=${meta.task})` };
  return { prefer: 'yolov5', exclude: ['yolox'], why: 'YOLOv5-style metadata (stride/names, no task)' };
}

/**
 * A model whose output yoloq cannot read as any family's: its input is still known (quantization preprocesses
 * with a default letterbox and measures every output tensor), but boxes cannot be decoded.
 */
export interface UnrecognizedModel {
  family: undefined;
  inputName: string;
  input: ModelInputSpec;
  /** What each family said about the output, in words. */
  reason: string;
  metadata: UltralyticsMetadata;
}

/**
 * The family as detectFamily finds it, or, when no family fits the output (and none was given), the model's input
 * and why. Every other problem (no image input, a non-detection task, a given family that does not fit) throws.
 */
export function recognizeModel(sig: ModelSignature, options: DetectOptions = {}): DetectedModel | UnrecognizedModel {
  const meta = parseUltralyticsMetadata(sig.metadata);
  if (meta.task !== undefined && meta.task !== 'detect')
    throw new InputError(`model task is '${meta.task}': only detection models are supported`);
  const { name: inputName, spec } = resolveInput(sig, meta, options);
  const out = sig.outputs[0];
  if (!out) throw new InputError('model has no outputs');
  const dims = out.shape ?? [null, null, null];
  const found = (family: FamilyName, reason: string, numClasses: number): DetectedModel => ({
    family,
    adapter: FAMILIES[family],
    reason,
    inputName,
    input: spec,
    outputName: out.name,
    numClasses,
    metadata: meta,
  });
  if (options.family) {
    const m = FAMILIES[options.family].layout(dims, spec);
    if (!m.ok) throw new InputError(`model output ${out.name} ${JSON.stringify(dims)} does not fit family ${options.family}: ${m.reason}`);
    return found(options.family, 'given', m.numClasses);
  }
  const matches = FAMILY_NAMES.map((f) => ({ f, m: FAMILIES[f].layout(dims, spec) }));
  const fits = matches.filter((x) => x.m.ok);
  const hint = metadataHint(meta);
  const allowed = fits.filter((x) => !hint.exclude.includes(x.f));
  // The shape is the stronger evidence: metadata only narrows a choice, it never rules out the one family that fits.
  const kept = allowed.length > 0 ? allowed : fits;
  const pick = kept.length === 1 ? kept[0] : kept.find((x) => x.f === hint.prefer);
  const shapeText = `output ${out.name} ${JSON.stringify(dims)}${sig.outputs.length > 1 ? ` (of ${sig.outputs.length} outputs)` : ''}, input ${spec.width}x${spec.height}`;
  if (pick?.m.ok) {
    const why = kept.length === 1 && fits.length === 1 ? `${shapeText} fits only ${pick.f}` : `${shapeText}; ${hint.why}`;
    return found(pick.f, why, pick.m.numClasses);
  }
  const reasons = matches.map((x) => `${x.f}: ${x.m.ok ? 'fits' : x.m.reason}`).join('; ');
  return { family: undefined, inputName, input: spec, reason: `${shapeText}; ${hint.why}; ${reasons}`, metadata: meta };
}

/** The model's family (see recognizeModel); an InputError naming the families yoloq decodes when none fits. */
export function detectFamily(sig: ModelSignature, options: DetectOptions = {}): DetectedModel {
  const r = recognizeModel(sig, options);
  if (r.family !== undefined) return r;
  throw new InputError(
    `cannot tell which YOLO family this model is (${r.reason}): decoding boxes needs one of the families yoloq knows (${FAMILY_NAMES.join(', ')}; YOLO11 is yolov8) — pass --family if the model is one of them`,
  );
}
