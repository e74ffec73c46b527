"""The scheme table: the stage reads yoloq's one table (src/quant/schemes.json, which the TypeScript side builds its
SCHEMES from), keeps the rows it implements, and names the problem when asked for another or given a bad file."""

from __future__ import annotations

import json
import os

import pytest
from conftest import PYTHON_DIR, run_stage
from yoloq_brevitas import config
from yoloq_brevitas.events import InputError

TABLE = os.path.join(os.path.dirname(PYTHON_DIR), "src", "quant", "schemes.json")


def _rows() -> dict[str, dict]:
    with open(TABLE, encoding="utf-8") as f:
        return {r["name"]: r for r in json.load(f)["schemes"]}


def test_schemes_are_the_supported_rows_of_the_shared_table(monkeypatch):
    monkeypatch.delenv(config.SCHEMES_ENV, raising=False)
    assert os.path.samefile(config.schemes_path(), TABLE), "standalone: the repository's table"
    rows = _rows()
    assert set(config.SUPPORTED) <= set(rows) and list(config.SCHEMES) == list(config.SUPPORTED)
    for name, s in config.SCHEMES.items():
        row = rows[name]
        assert (s.name, s.weight_bits, s.kept_weight_bits) == (row["name"], row["weightBits"], row["keptWeightBits"])
        assert s.act_bits == (8 if row["activations"] == "int8" else None)
    assert config.SCHEMES["w4a8"] == config.Scheme("w4a8", 4, 8, 8)
    assert config.SCHEMES["w4a16"] == config.Scheme("w4a16", 4, 8, None)
    with pytest.raises(TypeError):
        config.SCHEMES["w4a8"] = config.SCHEMES["w4a16"]  # read-only


def test_yoloq_schemes_names_the_table(tmp_path, monkeypatch):
    rows = _rows()
    rows["w4a8"] = {**rows["w4a8"], "keptWeightBits": 4}
    path = tmp_path / "schemes.json"
    path.write_text(json.dumps({"schemes": list(rows.values())}))
    monkeypatch.setenv(config.SCHEMES_ENV, str(path))
    assert config.schemes_path() == str(path)
    assert config.SCHEMES["w4a8"].kept_weight_bits == 4
    assert config.scheme_for("w4a16").act_bits is None


def test_unknown_and_unsupported_schemes_and_bad_tables_are_input_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(config.SCHEMES_ENV, raising=False)
    with pytest.raises(InputError, match="w3a3: no such scheme"):
        config.scheme_for("w3a3")
    with pytest.raises(InputError, match="w8a8: not supported by the Brevitas stage"):
        config.scheme_for("w8a8")
    with pytest.raises(InputError, match="cannot read"):
        config.load_schemes(str(tmp_path / "missing.json"))
    only_w8 = tmp_path / "w8.json"
    only_w8.write_text(json.dumps({"schemes": [_rows()["w8a8"]]}))
    with pytest.raises(InputError, match="no row for w4a8, w4a16"):
        config.load_schemes(str(only_w8))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schemes": [{**_rows()["w4a8"], "activations": "int4"}, _rows()["w4a16"]]}))
    with pytest.raises(InputError, match="bad row"):
        config.load_schemes(str(bad))


def test_the_command_line_refuses_a_scheme_it_does_not_implement(tmp_path):
    code, events, _ = run_stage("--model", "m.onnx", "--data", str(tmp_path), "-o", str(tmp_path / "x.onnx"), "--scheme", "w8a8")
    assert code == 2 and len(events) == 1 and events[0]["kind"] == "input"
    assert "w8a8: not supported" in events[0]["message"]
