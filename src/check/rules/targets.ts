import { getInt } from '../../onnx/ir/attributes.js';
import { DataType } from '../../onnx/ir/dtypes.js';
import { type Graph, nodeLabel } from '../../onnx/ir/graph.js';
import { type GraphIndex, producerOf } from '../../onnx/ir/graph-index.js';
import { toIntegers } from '../../onnx/ir/tensor.js';
import type { FindingSink } from '../finding.js';

/**
 * What one runtime will refuse or run slowly, as rules over a graph. Each rule states its source; `yoloq check
 * --target T` runs the rules of T after the generic checks.
 */
export type RuntimeName = 'ort-cpu' | 'ort-cpu-integer' | 'ort-cuda' | 'tensorrt' | 'brevitas';

interface RuleContext {
  graph: Graph;
  index: GraphIndex;
  sink: FindingSink;
}

const INT4_TYPES: ReadonlySet<number> = new Set([DataType.INT4, DataType.UINT4]);

function constantOf(ctx: RuleContext, name: string | undefined) {
  return name ? ctx.index.initializers.get(name) : undefined;
}

/** Each DequantizeLinear with its label, stored input and whether a Conv/Gemm reads it (through a Reshape). */
function* dequantizers(ctx: RuleContext) {
  for (const [i, n] of ctx.graph.nodes.entries()) {
    if (n.opType !== 'DequantizeLinear') continue;
    const x = constantOf(ctx, n.inputs[0]);
    let out = n.outputs[0] ?? '';
    const reshape = (ctx.index.consumers.get(out) ?? []).map((j) => ctx.graph.nodes[j]!).find((r) => r.opType === 'Reshape');
    if (reshape) out = reshape.outputs[0] ?? out;
    const readers = (ctx.index.consumers.get(out) ?? []).map((j) => ctx.graph.nodes[j]!);
    yield { node: n, label: nodeLabel(n, i), x, feedsConv: readers.some((r) => r.opType === 'Conv' || r.opType === 'Gemm') };
  }
}

/**
 * TensorRT's ONNX parser accepts only zero points of 0 (symmetric quantization), block-quantizes only 2-D weights
 * (TensorRT developer guide, "Explicit Quantization" / "Q/DQ layer-placement"; onnx-tensorrt's DequantizeLinear
 * importer), and has no INT4 Conv: INT4 weights are for weight-only GEMMs.
 */
function tensorrtRules(ctx: RuleContext): void {
  for (const d of dequantizers(ctx)) {
    const zp = constantOf(ctx, d.node.inputs[2]);
    const zpProducer = d.node.inputs[2] ? producerOf(ctx.graph, ctx.index, d.node.inputs[2]) : undefined;
    if ((zp && Array.from(toIntegers(zp)).some((z) => Number(z) !== 0)) || zpProducer) {
      ctx.sink({
        severity: 'error',
        rule: 'trt-zero-point',
        node: d.label,
        message: 'TensorRT accepts only zero points of 0 (symmetric quantization)',
      });
    }
    if (getInt(d.node, 'block_size', 0) > 0 && (d.x?.dims.length ?? 2) !== 2) {
      ctx.sink({
        severity: 'error',
        rule: 'trt-block-rank',
        node: d.label,
        message: `TensorRT block-quantizes only 2-D weights; this one is ${d.x!.dims.length}-D`,
      });
    }
    if (d.x && INT4_TYPES.has(d.x.dtype) && d.feedsConv) {
      ctx.sink({
        severity: 'error',
        rule: 'trt-int4-conv',
        node: d.label,
        message: 'TensorRT has no INT4 Conv; export int8-carried 4-bit codes (--target tensorrt writes qdq)',
      });
    }
  }
}

/**
 * ORT's CUDA EP implements INT4 DequantizeLinear only in blocked form (docs/runtime-reality.md; the CUDA EP of the
 * onnxruntime-node 1.30 this project pins; not run here, no GPU).
 */
function ortCudaRules(ctx: RuleContext): void {
  for (const d of dequantizers(ctx)) {
    if (d.x && INT4_TYPES.has(d.x.dtype) && getInt(d.node, 'block_size', 0) === 0) {
      ctx.sink({
        severity: 'error',
        rule: 'cuda-int4-per-axis',
        node: d.label,
        message: "ORT's CUDA EP runs INT4 DequantizeLinear only blocked: write --format int4-cuda (or --target ort-cuda)",
      });
    }
  }
}

/**
 * ORT's x86 CPU EP has no FP16 Conv kernel (it wraps one in Casts to FP32), and it never folds a weight
 * DequantizeLinear: an INT4 weight is dequantized on every run unless the file is prepared at load (yoloq does;
 * plain ORT does not) — see docs/runtime-reality.md.
 */
function ortCpuRules(ctx: RuleContext, types: ReadonlyMap<string, number>): void {
  for (const [i, n] of ctx.graph.nodes.entries()) {
    if (n.opType === 'Conv' && types.get(n.inputs[0] ?? '') === DataType.FLOAT16) {
      ctx.sink({
        severity: 'warning',
        rule: 'cpu-fp16-conv',
        node: nodeLabel(n, i),
        message: "ORT's x86 CPU EP has no FP16 Conv: it runs this Conv in FP32 between Casts (use --act-dtype fp32)",
      });
    }
  }
  for (const d of dequantizers(ctx)) {
    if (d.x && INT4_TYPES.has(d.x.dtype) && d.feedsConv) {
      ctx.sink({
        severity: 'warning',
        rule: 'dq-every-run',
        node: d.label,
        message: 'plain ORT dequantizes this INT4 weight on every run (yoloq folds it at load)',
      });
    }
  }
}

/** Brevitas' QCDQ import expects int8 codes behind a Clip; native INT4 is not its form. */
function brevitasRules(ctx: RuleContext): void {
  for (const d of dequantizers(ctx)) {
    if (d.x && INT4_TYPES.has(d.x.dtype)) {
      ctx.sink({
        severity: 'error',
        rule: 'brevitas-int4',
        node: d.label,
        message: "Brevitas' QCDQ form stores int8 codes behind a Clip, not INT4 (--target brevitas writes qcdq)",
      });
    }
  }
}

export function checkTarget(
  target: RuntimeName,
  graph: Graph,
  index: GraphIndex,
  types: ReadonlyMap<string, number>,
  sink: FindingSink,
): void {
  const ctx = { graph, index, sink };
  if (target === 'tensorrt') tensorrtRules(ctx);
  else if (target === 'ort-cuda') ortCudaRules(ctx);
  else if (target === 'ort-cpu' || target === 'ort-cpu-integer') ortCpuRules(ctx, types);
  else brevitasRules(ctx);
}
