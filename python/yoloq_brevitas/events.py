"""The protocol between this stage and yoloq's TypeScript side: one JSON object per line on stdout.

    {"event": "progress", "stage": "qat", "step": 3, "total": 100, "loss": 0.12}
    {"event": "result", "onnx": "out.onnx", ...}
    {"event": "error", "kind": "input" | "internal", "message": "..."}

Human-readable logs go to stderr (the ``logging`` module, configured by the command line only). Nothing else
may print to stdout, so third-party prints are redirected to stderr while the stage runs (see ``cli.py``).
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import IO, Any


def _clean(v: Any) -> Any:
    """JSON-safe values: non-finite floats become null, tuples lists, other objects strings."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        return _clean(v.item())
    return str(v)


class Reporter:
    """Writes protocol events to one stream (stdout by default), flushing each line."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._t0 = time.monotonic()

    @property
    def stream(self) -> IO[str]:
        return self._stream

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, **{k: _clean(v) for k, v in fields.items()}}
        self._stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._stream.flush()

    def progress(self, stage: str, step: int, total: int, **extra: Any) -> None:
        self.emit("progress", stage=stage, step=step, total=total, elapsed=round(time.monotonic() - self._t0, 3), **extra)

    def result(self, **fields: Any) -> None:
        self.emit("result", elapsed=round(time.monotonic() - self._t0, 3), **fields)

    def error(self, message: str, kind: str = "internal") -> None:
        self.emit("error", kind=kind, message=message)


class InputError(Exception):
    """Bad input from the user (missing file, wrong format): reported as one line, exit code 2."""
