"""Data-parallel QAT under torchrun on the CPU: two gloo processes on 127.0.0.1 against one process with the same global
batch, a rank that dies mid-run, and which failure the launcher reports (docs/scale.md).

Tolerance: every floating-point tensor of the checkpoint (weights, quantizer scales, EMA) within TOL of its mean
magnitude. The two runs are not bit-equal because the distillation loss normalises by statistics of the batch it sees
(the teacher's per-channel variance, the probability-channel test), which each rank takes over its half; summation
order differs too. Measured on this tiny model (3 steps, lr 1e-2): 8e-4 apart, while one process trained on half the
batch (what a rank would do without the gradient all-reduce) lands 3.7e-2 away, so TOL = 4e-3 separates the two.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
from conftest import PYTHON_DIR, run_stage, write_data_folder

TOL = 4e-3
STAGE = ["--ptq", "calibrate", "--calib-count", "2", "--steps", "3", "--seed", "1", "--device", "cpu", "--threads", "1"]
TRAIN = ["--lr", "0.01", "--scale-lr", "0.01"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two(*args: str, env: dict | None = None) -> tuple[int, list[dict], str]:
    """The stage on 2 gloo processes through yoloq_brevitas.launch (torchrun), as `yoloq qat --nproc-per-node 2 \
    --master-addr 127.0.0.1` starts it; returns (exit code, stdout events, stderr)."""
    torchrun = ["--nnodes", "1", "--nproc-per-node", "2", "--node-rank", "0", "--master-addr", "127.0.0.1"]
    torchrun += ["--master-port", str(_free_port()), "--max-restarts", "0"]
    full_env = {**os.environ, "PYTHONPATH": PYTHON_DIR, "OMP_NUM_THREADS": "1", **(env or {})}
    cmd = [sys.executable, "-m", "yoloq_brevitas.launch", *torchrun, "-m", "yoloq_brevitas", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=600)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return r.returncode, events, r.stderr


@pytest.fixture(scope="module")
def data8(tmp_path_factory) -> str:
    return write_data_folder(str(tmp_path_factory.mktemp("data8")), 8, (64, 64))


def _worst_relative_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    worst = 0.0
    for k, v in a.items():
        if torch.is_tensor(v) and v.dtype.is_floating_point:
            worst = max(worst, float((v - b[k]).abs().max()) / max(float(v.abs().mean()), 1e-12))
    return worst


def test_two_gloo_processes_reach_the_weights_of_one_process_with_the_same_global_batch(tiny_onnx, data8, tmp_path):
    common = ["--model", tiny_onnx, "--data", data8, *STAGE, *TRAIN, "--batch", "4"]
    one, two = tmp_path / "one.ckpt", tmp_path / "two.ckpt"
    code, ev1, err = run_stage(*common, "-o", str(tmp_path / "one.onnx"), "--checkpoint", str(one))
    assert code == 0, err[-2000:]
    code, ev2, err = run_two(*common, "-o", str(tmp_path / "two.onnx"), "--checkpoint", str(two))
    assert code == 0, err[-3000:]

    # One protocol stream: rank 0's. Each QAT step is reported once, and one result names the process group.
    assert [e["step"] for e in ev2 if e["event"] == "progress" and e["stage"] == "qat"] == [1, 2, 3]
    results = [e for e in ev2 if e["event"] == "result"]
    assert len(results) == 1 and results[0]["distributed"] == {"worldSize": 2, "backend": "gloo"}
    assert "distributed" not in ev1[-1]
    assert results[0]["qat"]["lastLoss"] == pytest.approx(ev1[-1]["qat"]["lastLoss"], rel=1e-2)

    a, b = torch.load(one, weights_only=False), torch.load(two, weights_only=False)
    assert a["step"] == b["step"] == 3
    assert a["fingerprint"] == b["fingerprint"], "a checkpoint resumes on any number of processes"
    assert _worst_relative_difference(a["model"], b["model"]) < TOL
    assert _worst_relative_difference(a["ema"]["shadow"], b["ema"]["shadow"]) < TOL
    assert sorted(os.listdir(tmp_path)) == ["one.ckpt", "one.onnx", "two.ckpt", "two.onnx"], "no temp files left"


def test_a_killed_rank_ends_the_run_with_one_clear_error_and_no_output(tiny_onnx, data8, tmp_path):
    out = tmp_path / "q.onnx"
    common = ["--model", tiny_onnx, "--data", data8, *STAGE, "-o", str(out)]
    code, events, err = run_two(*common, "--batch", "4", env={"YOLOQ_FAULT": "1:1:kill"})
    assert code == 1, err[-3000:]
    assert events[-1] == {"event": "error", "kind": "internal", "message": "rank 1 of 2 was killed by SIGKILL (exit code -9)"}
    assert "result" not in [e["event"] for e in events]
    assert os.listdir(tmp_path) == [], "no output, no temp file"


def _failure(tmp_path, rank: int, exitcode: int, message: str | None = None, at: float = 0.0, kind: str = "internal"):
    """torchrun's record of a failed rank, with the error file distributed.record_failure writes."""
    from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

    path = tmp_path / f"error{rank}.json"
    if message is not None:
        extra = {"py_callstack": "", "timestamp": str(int(at)), "yoloqTime": at, "yoloqKind": kind}
        path.write_text(json.dumps({"message": {"message": message, "extraInfo": extra}}))
    return ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=exitcode, error_file=str(path))


def test_the_failure_reported_is_the_rank_that_failed_first(tmp_path):
    from yoloq_brevitas.launch import _root_failure, describe

    peer = "RuntimeError: Connection closed by peer"
    # Killed from outside: the cause, whatever its peers wrote (SIGTERM is how torchrun stops the survivors).
    failures = {0: _failure(tmp_path, 0, -15), 1: _failure(tmp_path, 1, -9), 2: _failure(tmp_path, 2, 1, peer, 5.0)}
    rank, f = _root_failure(failures)
    assert describe(rank, f, 3) == ("internal", "rank 1 of 3 was killed by SIGKILL (exit code -9)")
    # An error: the earliest one; the peers that lost it fail later.
    failures = {0: _failure(tmp_path, 0, 1, peer, 11.25), 1: _failure(tmp_path, 1, 1, "ValueError: bad scale", 11.0)}
    assert describe(*_root_failure(failures), 2) == ("internal", "rank 1 of 2 exited with code 1: ValueError: bad scale")
    # Bad input (exit code 2): every rank refuses it; the report is an input error.
    failures = {r: _failure(tmp_path, r, 2, "--batch 3: the global batch must be a multiple of the 2 processes", 7.0) for r in (0, 1)}
    kind, line = describe(*_root_failure(failures), 2)
    assert (kind, line) == ("input", "rank 0 of 2 exited with code 2: --batch 3: the global batch must be a multiple of the 2 processes")
