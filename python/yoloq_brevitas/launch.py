"""``python -m yoloq_brevitas.launch TORCHRUN_ARGS -m yoloq_brevitas STAGE_ARGS``: torchrun (torch.distributed.run)
with one addition, a clean failure. Rank 0's JSON lines pass straight through on stdout (workers inherit it); when a
rank fails, torchrun stops the others and this prints one protocol error event naming the rank that failed first,
its exit code and its last error, and exits 2 when that was an input error (exit code 2), else 1.
"""

from __future__ import annotations

import signal
import sys

from .events import Reporter

INPUT_EXIT = 2


def _root_failure(failures: dict) -> tuple[int, object]:
    """The failure that caused the others: a rank killed by a signal other than SIGTERM (the one torchrun stops the
    survivors with), else the earliest recorded error (ranks that failed because a peer vanished fail later), else
    the lowest rank."""

    def key(item):
        rank, f = item
        info = f.error_file_data.get("message", {}) if isinstance(f.error_file_data, dict) else {}
        extra = info.get("extraInfo", {}) if isinstance(info, dict) else {}
        t = extra.get("yoloqTime", float(f.timestamp)) if isinstance(extra, dict) else float(f.timestamp)
        order = 2 if f.exitcode == -signal.SIGTERM else 0 if f.exitcode < 0 else 1
        return (order, float(t), rank)

    return min(failures.items(), key=key)


def describe(rank: int, failure, world: int | None = None) -> tuple[str, str]:
    """(kind, one line) for a failed rank: "rank 1 of 2 exited with code 1: RuntimeError: ..."."""
    msg = failure.message
    if isinstance(msg, dict):
        msg = msg.get("message", "")
    msg = " ".join(str(msg).split())
    of = f" of {world}" if world else ""
    if failure.exitcode < 0:
        how = f"was killed by {failure.signal_name()} (exit code {failure.exitcode})"
    else:
        how = f"exited with code {failure.exitcode}"
    kind = "input" if failure.exitcode == INPUT_EXIT else "internal"
    has_detail = msg and not msg.startswith("To enable traceback") and not msg.startswith("Signal ")
    return kind, f"rank {rank}{of} {how}{': ' + msg if has_detail else ''}"


def main(argv: list[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    rep = Reporter(sys.stdout)
    args = get_args_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
        return 0
    except ChildFailedError as e:
        if not e.failures:
            rep.error(f"torchrun: {e.name} failed", kind="internal")
            return 1
        rank, failure = _root_failure(e.failures)
        world = None
        if isinstance(args.nproc_per_node, str) and args.nproc_per_node.isdigit() and str(args.nnodes).isdigit():
            world = int(args.nproc_per_node) * int(args.nnodes)
        kind, line = describe(rank, failure, world)
        print(f"yoloq: {line}", file=sys.stderr)
        rep.error(line, kind=kind)
        return INPUT_EXIT if kind == "input" else 1
    except Exception as e:  # noqa: BLE001 - rendezvous or agent failure: one line, torchrun's log is on stderr
        rep.error(f"torchrun: {type(e).__name__}: {e}".splitlines()[0], kind="internal")
        return 1


if __name__ == "__main__":
    sys.exit(main())
