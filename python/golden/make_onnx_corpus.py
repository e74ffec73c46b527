"""Write the serde round-trip corpus with onnx's own (C++) serializer.

yoloq's loader must give back these files byte for byte. Run from the repository root:
    python3 python/golden/make_onnx_corpus.py test/fixtures/onnx-corpus
Versions used are written to MANIFEST.json next to the models.
"""

import json
import os
import sys

import numpy as np

import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/onnx-corpus"
rng = np.random.default_rng(1234)


def ints(lo, hi, n):
    return [int(v) for v in rng.integers(lo, hi + 1, size=n)]


def dtype_tensors():
    """One tensor per element type, each written both as raw_data and as the typed field."""
    out = []
    specs = [
        (TensorProto.FLOAT, [2, 3], list(rng.standard_normal(6).astype(np.float32))),
        (TensorProto.DOUBLE, [3], [1.5, -2.25, 1e300]),
        (TensorProto.FLOAT16, [5], list(np.array([0.0, -1.5, 65504.0, 6e-8, 0.1], dtype=np.float16))),
        (TensorProto.BFLOAT16, [3], [1.0, -3.140625, 256.0]),
        (TensorProto.INT8, [7], ints(-128, 127, 7)),
        (TensorProto.UINT8, [7], ints(0, 255, 7)),
        (TensorProto.INT16, [3], [-32768, 12, 32767]),
        (TensorProto.UINT16, [3], [0, 1, 65535]),
        (TensorProto.INT32, [4], [-(2**31), -1, 0, 2**31 - 1]),
        (TensorProto.UINT32, [3], [0, 7, 2**32 - 1]),
        (TensorProto.INT64, [4], [-(2**63), -1, 9, 2**63 - 1]),
        (TensorProto.UINT64, [2], [0, 2**64 - 1]),
        (TensorProto.BOOL, [3], [True, False, True]),
        (TensorProto.INT4, [5], [-8, -1, 0, 3, 7]),
        (TensorProto.UINT4, [5], [0, 1, 9, 14, 15]),
        (TensorProto.FLOAT8E4M3FN, [3], [1.0, -2.0, 448.0]),
        (TensorProto.FLOAT8E5M2, [3], [1.0, -0.5, 57344.0]),
        (TensorProto.COMPLEX64, [2], [1 + 2j, -3 - 4j]),
    ]
    for code, dims, vals in specs:
        name = TensorProto.DataType.Name(code).lower()
        out.append(helper.make_tensor(f"{name}_typed", code, dims, vals, raw=False))
        if code in (
            TensorProto.FLOAT16,
            TensorProto.BFLOAT16,
            TensorProto.FLOAT8E4M3FN,
            TensorProto.FLOAT8E5M2,
            TensorProto.INT4,
            TensorProto.UINT4,
        ):
            # onnx's raw path expects bytes for these types: reuse the typed encoding's bytes.
            typed = out[-1]
            arr = numpy_helper.to_array(typed)
            raw = numpy_helper.from_array(arr, f"{name}_raw")
        elif code == TensorProto.COMPLEX64:
            raw = numpy_helper.from_array(np.array(vals, dtype=np.complex64).reshape(dims), f"{name}_raw")
        else:
            raw = helper.make_tensor(f"{name}_raw", code, dims, vals, raw=False)
            raw = numpy_helper.from_array(numpy_helper.to_array(raw), f"{name}_raw")
        out.append(raw)
    out.append(helper.make_tensor("string_typed", TensorProto.STRING, [2], [b"yolo", b"q\xc3\xa9"]))
    out.append(helper.make_tensor("empty_float", TensorProto.FLOAT, [0, 3], [], raw=False))
    return out


def all_dtypes_model():
    inits = dtype_tensors()
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, None])
    node = helper.make_node("Identity", ["x"], ["y"], name="id")
    graph = helper.make_graph([node], "all_dtypes", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], producer_name="yoloq-corpus")
    model.ir_version = 10
    return model


def rich_model():
    """Doc strings, metadata, every attribute kind, a subgraph, value_info, a function and a sparse initializer."""
    then_g = helper.make_graph(
        [helper.make_node("Constant", [], ["t_out"], value_float=1.0)],
        "then",
        [],
        [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [])],
    )
    else_g = helper.make_graph(
        [helper.make_node("Constant", [], ["e_out"], value_float=2.0)],
        "else",
        [],
        [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [])],
    )
    nodes = [
        helper.make_node("ReduceSum", ["x", "axes"], ["s"], name="sum", keepdims=0, doc_string="sums"),
        helper.make_node("Greater", ["s", "zero"], ["cond"], name="gt"),
        helper.make_node("If", ["cond"], ["r"], name="branch", then_branch=then_g, else_branch=else_g),
        helper.make_node(
            "Custom",
            ["x"],
            ["c"],
            name="custom",
            domain="yoloq.test",
            f=0.5,
            i=-3,
            s=b"text",
            floats=[1.0, 2.5],
            ints=[1, -2, 2**62],
            strings=[b"a", b"b"],
            t=helper.make_tensor("attr_t", TensorProto.INT64, [2], [1, 2]),
            tensors=[helper.make_tensor("attr_t2", TensorProto.FLOAT, [1], [3.0])],
        ),
        helper.make_node("LocalFn", ["x"], ["f"], name="call", domain="yoloq.local"),
    ]
    nodes[0].metadata_props.add(key="origin", value="corpus")
    fn = helper.make_function(
        "yoloq.local", "LocalFn", ["a"], ["b"], [helper.make_node("Neg", ["a"], ["b"])], [helper.make_opsetid("", 21)]
    )
    graph = helper.make_graph(
        nodes,
        "rich",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [
            helper.make_tensor_value_info("r", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("c", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("f", TensorProto.FLOAT, [1, "n"]),
        ],
        initializer=[helper.make_tensor("axes", TensorProto.INT64, [1], [1]), helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])],
        value_info=[helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])],
        doc_string="a graph with everything",
        sparse_initializer=[
            helper.make_sparse_tensor(
                helper.make_tensor("sp_v", TensorProto.FLOAT, [2], [1.0, 2.0]),
                helper.make_tensor("sp_i", TensorProto.INT64, [2], [0, 3]),
                [4],
            )
        ],
    )
    seq_vi = helper.make_value_info("seq", helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))
    graph.value_info.append(seq_vi)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("yoloq.test", 1), helper.make_opsetid("yoloq.local", 1)],
        functions=[fn],
        producer_name="yoloq-corpus",
        producer_version="1",
        doc_string="rich",
    )
    model.ir_version = 10
    helper.set_model_props(model, {"stride": "[8, 16, 32]", "names": "{0: 'person'}"})
    return model


def ir3_model():
    """IR version 3: initializers are listed among the graph inputs."""
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])],
        "ir3",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 3, 3]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [4]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        initializer=[w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 8)])
    model.ir_version = 3
    return model


def external_model():
    w1 = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((4, 8, 1, 1)).astype(np.float32), "w2")
    small = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "small")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w1"], ["h"], name="c1", pads=[1, 1, 1, 1]),
            helper.make_node("Mul", ["h", "small"], ["h2"], name="m"),
            helper.make_node("Conv", ["h2", "w2"], ["y"], name="c2"),
        ],
        "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        initializer=[w1, w2, small],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def main():
    os.makedirs(OUT, exist_ok=True)
    onnx.save(all_dtypes_model(), os.path.join(OUT, "all_dtypes.onnx"))
    onnx.save(rich_model(), os.path.join(OUT, "rich.onnx"))
    onnx.save(ir3_model(), os.path.join(OUT, "ir3_initializer_inputs.onnx"))
    onnx.save(
        external_model(),
        os.path.join(OUT, "external.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="external.onnx.data",
        size_threshold=64,
    )
    manifest = {
        "generator": "python/golden/make_onnx_corpus.py",
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "files": sorted(os.listdir(OUT)),
    }
    with open(os.path.join(OUT, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
