"""codes.safetensors by hand (the safetensors package is not a dependency): an 8-byte little-endian header length,
a JSON header {name: {"dtype", "shape", "data_offsets"}} padded with spaces to 8 bytes, then the raw data, as
src/util/safetensors.ts reads it.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np


def write_codes(path: str, codes: dict[str, np.ndarray]) -> None:
    """int8 arrays by name, in the dict's order; written to a temporary name and renamed."""
    header: dict = {}
    offset = 0
    for name, a in codes.items():
        n = int(a.size)
        header[name] = {"dtype": "I8", "shape": [int(d) for d in a.shape], "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode("utf8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for a in codes.values():
            f.write(np.ascontiguousarray(a, dtype=np.int8).tobytes())
    os.replace(tmp, path)


def read_codes(path: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[base + b : base + e], dtype=np.int8).reshape(t["shape"])
    return out
