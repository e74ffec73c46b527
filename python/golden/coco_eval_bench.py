"""Time one Python COCO bbox evaluator on a ground-truth file and a results file (for bench/coco-eval.ts).

    python python/golden/coco_eval_bench.py --impl pycocotools|faster-coco-eval --gt GT.json --dt DETS.json

Prints one JSON line: {"impl", "version", "load_s", "eval_s", "stats"}; load = reading both files into COCO objects,
eval = evaluate + accumulate + summarize. Exits 3 with a message on stderr when the package is not installed.
"""

import argparse
import contextlib
import io
import json
import sys
import time
from importlib import metadata


def run(impl, gt_path, dt_path):
    if impl == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval as Eval

        make = lambda gt, dt: Eval(gt, dt, "bbox")  # noqa: E731
    else:
        from faster_coco_eval import COCO, COCOeval_faster

        make = lambda gt, dt: COCOeval_faster(gt, dt, "bbox", print_function=lambda *a, **k: None)  # noqa: E731
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        t1 = time.perf_counter()
        ev = make(gt, dt)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        t2 = time.perf_counter()
    return {
        "impl": impl,
        "version": metadata.version(impl),
        "load_s": t1 - t0,
        "eval_s": t2 - t1,
        "stats": [float(x) for x in ev.stats[:12]],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["pycocotools", "faster-coco-eval"], required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--dt", required=True)
    a = ap.parse_args()
    try:
        out = run(a.impl, a.gt, a.dt)
    except ImportError as e:
        print(f"{a.impl} is not installed in {sys.executable}: {e}", file=sys.stderr)
        sys.exit(3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
