"""QCDQ export that works on torch ≥ 2.9 whatever the Brevitas version.

What broke: torch 2.9 moved the TorchScript exporter's globals from ``torch.onnx._globals`` to
``torch.onnx._internal.torchscript_exporter._globals`` and dropped ``torch.onnx.symbolic_helper._export_onnx_opset_version``;
Brevitas ≤ 0.12 reads the opset from one or the other during export (ModuleNotFoundError / AttributeError), and
torch ≥ 2.9 defaults ``torch.onnx.export`` to the dynamo exporter, which cannot trace Brevitas' autograd functions.

What this module does, for the duration of one export only (nothing stays patched):
  * makes ``torch.onnx._globals`` importable again, as an alias of wherever the exporter's GLOBALS now live;
  * passes ``dynamo=False`` (when torch.onnx.export knows the keyword) and an explicit ``opset_version``.
Brevitas 0.13.x already handles both, so with it the shim is a no-op.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Iterator

import torch

GLOBALS_MODULE = "torch.onnx._globals"
GLOBALS_CANDIDATES = ("torch.onnx._internal.torchscript_exporter._globals", "torch.onnx._globals")


def _import_or_none(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def exporter_globals():
    """The TorchScript exporter's GLOBALS object (holds export_onnx_opset_version), wherever this torch keeps it."""
    for name in GLOBALS_CANDIDATES:
        mod = _import_or_none(name)
        if mod is not None and hasattr(mod, "GLOBALS"):
            return mod.GLOBALS
    raise RuntimeError(f"torch {torch.__version__}: no TorchScript ONNX exporter globals found in {GLOBALS_CANDIDATES}")


@contextlib.contextmanager
def legacy_onnx_globals() -> Iterator[None]:
    """Make `from torch.onnx._globals import GLOBALS` work inside the block (older Brevitas), then undo it."""
    if GLOBALS_MODULE in sys.modules or _import_or_none(GLOBALS_MODULE) is not None:
        yield
        return
    mod = None
    for name in GLOBALS_CANDIDATES:
        mod = _import_or_none(name)
        if mod is not None:
            break
    if mod is None:
        raise RuntimeError(f"torch {torch.__version__} has no TorchScript ONNX exporter; QCDQ export needs it")
    sys.modules[GLOBALS_MODULE] = mod
    try:
        yield
    finally:
        sys.modules.pop(GLOBALS_MODULE, None)


def export_kwargs(opset_version: int = 13) -> dict:
    """Keyword arguments for torch.onnx.export that select the TorchScript exporter at a fixed opset."""
    kw: dict = {"opset_version": opset_version, "keep_initializers_as_inputs": False, "do_constant_folding": True}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    return kw


def export_qcdq(
    model: torch.nn.Module, example: torch.Tensor, path: str, opset_version: int = 13, input_names=("images",), output_names=("output",)
) -> None:
    """Brevitas QCDQ export (QuantizeLinear → Clip → DequantizeLinear) of `model` traced on `example` to `path`."""
    from brevitas.export import export_onnx_qcdq

    with legacy_onnx_globals():
        export_onnx_qcdq(
            model,
            args=example,
            export_path=path,
            input_names=list(input_names),
            output_names=list(output_names),
            **export_kwargs(opset_version),
        )
