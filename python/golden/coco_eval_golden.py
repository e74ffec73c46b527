"""Golden fixtures for yoloq's COCO bbox evaluator, produced by the pinned pycocotools.

Each case (hand-built edge cases and a seeded random set) is evaluated with pycocotools' COCOeval (iouType 'bbox')
and written as one JSON file holding the inputs and the expected numbers: the 12 stats, per-category AP50-95 and
AP50 (mean of precision[:, :, k, area all, last maxDets] over entries > -1), the full recall array and sums of the
precision and score arrays. The TypeScript test (test/eval/coco/golden.test.ts) replays every file.

Run from the repository root with the pinned environment:
    python3 -m venv .venv-golden && .venv-golden/bin/pip install -r python/requirements-golden.txt
    .venv-golden/bin/python python/golden/coco_eval_golden.py test/fixtures/coco-golden
"""

import contextlib
import copy
import io
import json
import os
import platform
import random
import sys
from importlib import metadata

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

OUT = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/coco-golden"


# ---------------------------------------------------------------------------------------------- building blocks


def image(i, w=640, h=480):
    return {"id": i, "file_name": f"{i:012d}.jpg", "width": w, "height": h}


def cat(i, name=None):
    return {"id": i, "name": name or f"class{i}", "supercategory": "thing"}


class Gt:
    """Accumulates annotations with sequential ids (start may be set to test id 0)."""

    def __init__(self, images, categories, first_id=1):
        self.images, self.categories, self.anns, self.next_id = images, categories, [], first_id

    def add(self, image_id, cat_id, box, area=None, crowd=0):
        area = box[2] * box[3] if area is None else area
        self.anns.append(
            {"id": self.next_id, "image_id": image_id, "category_id": cat_id, "bbox": list(box), "area": area, "iscrowd": crowd}
        )
        self.next_id += 1

    def json(self):
        return {"images": self.images, "categories": self.categories, "annotations": self.anns}


def det(image_id, cat_id, box, score):
    return {"image_id": image_id, "category_id": cat_id, "bbox": list(box), "score": score}


# ---------------------------------------------------------------------------------------------- hand-built cases


def case_crowd():
    g = Gt([image(1), image(2)], [cat(1, "person"), cat(2, "car")])
    g.add(1, 1, [10, 10, 50, 100])
    g.add(1, 1, [100, 0, 200, 150], area=21000.5, crowd=1)
    g.add(1, 1, [400, 300, 60, 60])
    g.add(2, 2, [0, 0, 300, 300], area=60000, crowd=1)  # the car category has only a crowd region
    d = [
        det(1, 1, [12, 8, 50, 104], 0.9),
        det(1, 1, [110, 10, 40, 60], 0.95),
        det(1, 1, [150, 20, 50, 50], 0.8),
        det(1, 1, [120, 100, 60, 40], 0.7),
        det(1, 1, [280, 100, 60, 40], 0.85),  # half inside the crowd
        det(1, 1, [402, 305, 60, 55], 0.6),
        det(1, 1, [401, 299, 58, 62], 0.65),  # duplicate on one gt
        det(1, 1, [500, 20, 30, 30], 0.99),
        det(2, 2, [10, 10, 50, 50], 0.9),
        det(2, 2, [250, 250, 100, 100], 0.8),
    ]
    return "crowd regions: detections inside crowds are ignored; a category with only crowds is -1", g.json(), d


def case_score_ties():
    g = Gt([image(i) for i in (3, 1, 2)], [cat(1)])  # image ids out of order on purpose
    for i in (1, 2, 3):
        for j in range(4):
            g.add(i, 1, [20 + 100 * j, 30 + 20 * i, 40 + 5 * j, 60])
    d = []
    for i in (3, 1, 2):
        for j in range(4):
            good = (i + j) % 2 == 0
            box = [20 + 100 * j + 2, 30 + 20 * i + 3, 40 + 5 * j, 58] if good else [20 + 100 * j + 25, 300, 40, 40]
            d.append(det(i, 1, box, 0.5))
        for j in range(12):  # 12 equal scores on one image: cut-offs at 1 and 10 fall inside a tie
            d.append(det(i, 1, [20 + 100 * (j % 4) + j, 30 + 20 * i, 40, 60], 0.75 if i == 1 else 0.25))
    return "equal scores within and across images, also at the maxDets 1 and 10 cut-offs", g.json(), d


def case_empty_categories():
    g = Gt([image(1), image(2)], [cat(1), cat(2), cat(3), cat(4)])
    g.add(1, 1, [10, 10, 100, 100])
    g.add(2, 1, [200, 200, 50, 80])
    g.add(1, 2, [300, 50, 80, 80])  # category 2: ground truth, no detections
    g.add(2, 4, [5, 5, 20, 20])  # category 4: a small object only
    d = [
        det(1, 1, [12, 11, 98, 100], 0.9),
        det(2, 1, [0, 0, 30, 30], 0.8),
        det(2, 1, [201, 198, 50, 80], 0.4),
        det(1, 3, [10, 10, 100, 100], 0.9),  # category 3 has no ground truth
        det(1, 99, [10, 10, 100, 100], 0.99),  # category 99 is not in the ground truth at all
        det(2, 4, [6, 5, 20, 21], 0.3),
    ]
    return "gt category without detections, detections for a category without gt, and for an unknown one", g.json(), d


def case_area_edges():
    g = Gt([image(1), image(2)], [cat(1), cat(2)])
    for j, area in enumerate([1024, 9216, 1023.99, 1024.01, 9215.99, 9216.01, 0.5, 1e10]):
        g.add(1, 1, [60 * j, 0, 32, 32] if area < 5000 else [60 * j, 100, 96, 96], area=area)
    g.add(2, 2, [0, 0, 32, 32])
    g.add(2, 2, [100, 0, 96, 96])
    d = [det(1, 1, [60 * j + 1, 1, 32, 32] if j in (0, 2, 3, 6) else [60 * j + 1, 101, 96, 96], 0.1 * j + 0.05) for j in range(8)]
    d += [
        det(2, 2, [0, 0, 32, 32], 0.9),
        det(2, 2, [100, 0, 96, 96], 0.3),  # det areas exactly 32² and 96²
        det(2, 2, [300, 300, 32, 32], 0.7),
        det(2, 2, [400, 300, 96, 96], 0.6),  # unmatched, exactly on edges
        det(2, 2, [300, 400, 32, 32.01], 0.5),
        det(2, 2, [500, 0, 96, 96.01], 0.4),
    ]  # unmatched, just past edges
    return "object and detection areas exactly on and just past 32² and 96²", g.json(), d


def case_many_detections():
    rnd = random.Random(7)
    g = Gt([image(1), image(2)], [cat(1), cat(2)])
    d = []
    for i in (1, 2):
        for j in range(20):
            box = [30 * (j % 10), 40 * (j // 10), 25 + j, 30]
            g.add(i, 1 + j % 2, box)
        for j in range(150):
            score = round(rnd.random(), 2) if j != 120 else 0.5
            if j < 60:  # near a ground truth (right category 5 times in 6)
                gj = j % 20
                box = [30 * (gj % 10) + rnd.uniform(-4, 4), 40 * (gj // 10) + rnd.uniform(-4, 4), 25 + gj, 30]
                c = 1 + gj % 2 if j % 6 else 2 - gj % 2
            else:
                box = [rnd.uniform(0, 300), rnd.uniform(0, 80), 25 + j % 20, 30]
                c = 1 + (j % 3 == 0)
            d.append(det(i, c, [round(box[0], 2), round(box[1], 2), box[2], box[3]], score))
        d += [det(i, 1, [0, 0, 25, 30], 0.5) for _ in range(5)]  # ties around the 100th detection
    return "more than 100 detections per image and category, ties near the cut", g.json(), d


def case_images_without_gt():
    g = Gt([image(i) for i in range(1, 6)], [cat(1)])
    g.add(1, 1, [10, 10, 60, 60])
    g.add(3, 1, [100, 100, 200, 150])
    d = [
        det(1, 1, [12, 12, 60, 60], 0.9),
        det(2, 1, [10, 10, 60, 60], 0.95),
        det(3, 1, [100, 100, 200, 150], 0.3),
        det(4, 1, [0, 0, 10, 10], 0.99),
        det(4, 1, [5, 5, 100, 100], 0.5),
    ]
    return "detections on images without ground truth are false positives", g.json(), d


def case_zero_area():
    g = Gt([image(1)], [cat(1), cat(2)])
    g.add(1, 1, [10, 10, 0, 50], area=0)
    g.add(1, 1, [100, 100, 50, 0], area=0)
    g.add(1, 1, [200, 200, 40, 40])
    g.add(1, 2, [300, 300, 0, 0], area=12.5)  # zero box, non-zero area field
    g.add(1, 2, [0, 0, 0, 0], area=0, crowd=1)
    d = [
        det(1, 1, [10, 10, 0, 50], 0.9),
        det(1, 1, [100, 100, 50, 0], 0.8),
        det(1, 1, [200, 200, 40, 40], 0.7),
        det(1, 1, [200, 200, 0, 40], 0.95),
        det(1, 2, [300, 300, 0, 0], 0.6),
        det(1, 2, [299, 299, 3, 3], 0.5),
    ]
    return "zero-width, zero-height and zero-area boxes", g.json(), d


def case_matching_rules():
    g = Gt([image(1), image(2)], [cat(1)])
    g.add(1, 1, [0, 0, 100, 100])
    g.add(1, 1, [60, 0, 100, 100])
    g.add(1, 1, [300, 0, 10, 20])  # IoU exactly 0.5 with the det below
    g.add(1, 1, [400, 0, 40, 10])  # IoU exactly 0.75 with the det below
    g.add(2, 1, [0, 0, 80, 80])  # a medium object …
    g.add(2, 1, [0, 0, 88, 80], area=50000)  # … and a large one over it (ignored when scoring medium objects)
    g.add(2, 1, [300, 300, 80, 80], area=80, crowd=0)
    d = [
        det(1, 1, [30, 0, 100, 100], 0.9),
        det(1, 1, [0, 0, 100, 100], 0.8),
        det(1, 1, [59, 0, 100, 100], 0.85),
        det(1, 1, [300, 0, 10, 10], 0.7),
        det(1, 1, [400, 0, 30, 10], 0.6),
        det(2, 1, [1, 0, 86, 80], 0.9),
        det(2, 1, [0, 0, 80, 80], 0.5),
        det(2, 1, [305, 305, 80, 80], 0.4),
        det(2, 1, [500, 300, 60, 60], 0.7),
    ]  # a false positive between them makes the order count
    return "greedy matching, competition, IoU exactly on thresholds, ignored gts after real ones", g.json(), d


def case_gt_id_zero():
    g = Gt([image(1)], [cat(1)], first_id=0)
    g.add(1, 1, [0, 0, 50, 50])
    g.add(1, 1, [100, 100, 50, 50])
    d = [det(1, 1, [1, 1, 50, 50], 0.9), det(1, 1, [101, 101, 50, 50], 0.8)]
    return "an annotation with id 0: pycocotools counts a match to it as no match", g.json(), d


def case_no_detections():
    g = Gt([image(1), image(2)], [cat(1), cat(2)])
    g.add(1, 1, [0, 0, 50, 50])
    g.add(2, 2, [0, 0, 150, 150])
    return "no detections at all", g.json(), []


def case_custom_params():
    _, gt, dets = case_many_detections()
    params = {"maxDets": [1, 5, 20], "imgIds": [2]}
    return "maxDets [1, 5, 20] (the first stat asks for 100 and is -1) and one image of two", gt, dets, params


# ---------------------------------------------------------------------------------------------- random set


def random_box(rnd, w, h):
    side = np.exp(rnd.uniform(np.log(4), np.log(400)))
    aspect = np.exp(rnd.uniform(-1, 1))
    bw, bh = min(side * aspect, w - 1), min(side / aspect, h - 1)
    return [round(rnd.uniform(0, w - bw), 2), round(rnd.uniform(0, h - bh), 2), round(bw, 2), round(bh, 2)]


def jitter(rnd, box, s):
    x, y, w, h = box
    return [
        round(x + rnd.gauss(0, s * w), 2),
        round(y + rnd.gauss(0, s * h), 2),
        round(max(w * (1 + rnd.gauss(0, s)), 0.5), 2),
        round(max(h * (1 + rnd.gauss(0, s)), 0.5), 2),
    ]


def case_random(n_images=50, seed=2024):
    rnd = random.Random(seed)
    cat_ids = [1, 2, 3, 5, 7, 11, 13, 17, 19, 23]
    g = Gt([image(1000 + 7 * i, 640, 480) for i in range(n_images)], [cat(c) for c in cat_ids])
    d = []
    for im in g.images:
        for _ in range(rnd.randint(0, 12)):
            c = rnd.choice(cat_ids[:-1])  # the last category never appears in the ground truth
            box = random_box(rnd, im["width"], im["height"])
            crowd = 1 if rnd.random() < 0.04 else 0
            g.add(im["id"], c, box, area=round(box[2] * box[3] * rnd.uniform(0.5, 0.95), 2), crowd=crowd)
            for _ in range(rnd.choice([0, 1, 1, 1, 2])):
                d.append(
                    det(
                        im["id"],
                        c if rnd.random() < 0.9 else rnd.choice(cat_ids),
                        jitter(rnd, box, rnd.choice([0.02, 0.05, 0.15])),
                        round(rnd.random(), 3),
                    )
                )
        n_fp = 110 if im["id"] == 1000 else rnd.randint(0, 8)
        for _ in range(n_fp):
            d.append(det(im["id"], rnd.choice(cat_ids), random_box(rnd, im["width"], im["height"]), round(rnd.random() * 0.6, 3)))
    return f"seeded random set: {n_images} images, jittered gt boxes and random false positives", g.json(), d


CASES = {
    "crowd": case_crowd,
    "score-ties": case_score_ties,
    "empty-categories": case_empty_categories,
    "area-edges": case_area_edges,
    "many-detections": case_many_detections,
    "images-without-gt": case_images_without_gt,
    "zero-area": case_zero_area,
    "matching-rules": case_matching_rules,
    "gt-id-zero": case_gt_id_zero,
    "no-detections": case_no_detections,
    "custom-params": case_custom_params,
    "random-50": case_random,
}


# ---------------------------------------------------------------------------------------------- evaluation


def load(gt, dets):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        if dets:
            coco_dt = coco_gt.loadRes(copy.deepcopy(dets))
        else:  # loadRes cannot take an empty list; an empty result set is still well defined
            coco_dt = COCO()
            coco_dt.dataset = {"images": gt["images"], "categories": gt["categories"], "annotations": []}
            coco_dt.createIndex()
    return coco_gt, coco_dt


def mean_valid(s):
    s = s[s > -1]
    return float(np.mean(s)) if s.size else -1.0


def evaluate(gt, dets, params):
    coco_gt, coco_dt = load(gt, dets)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        for key, value in (params or {}).items():
            setattr(ev.params, key, value)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    p, prec = ev.params, ev.eval["precision"]
    t50 = np.where(p.iouThrs == 0.5)[0]
    per_class = [
        {"categoryId": int(c), "ap": mean_valid(prec[:, :, k, 0, -1]), "ap50": mean_valid(prec[t50, :, k, 0, -1])}
        for k, c in enumerate(p.catIds)
    ]
    summary = [line for line in out.getvalue().splitlines() if line.startswith(" Average")]
    return {
        "stats": [float(x) for x in ev.stats],
        "perClass": per_class,
        "summaryLines": summary,
        "recall": [float(x) for x in ev.eval["recall"].ravel()],
        "precisionSum": float(np.sum(prec)),
        "scoresSum": float(np.sum(ev.eval["scores"])),
        "counts": [int(x) for x in ev.eval["counts"]],
    }


def main():
    versions = {"python": platform.python_version(), "numpy": np.__version__, "pycocotools": metadata.version("pycocotools")}
    os.makedirs(OUT, exist_ok=True)
    for name, build in CASES.items():
        description, gt, dets, *rest = build()
        params = rest[0] if rest else None
        expected = evaluate(gt, dets, params)
        doc = {
            "name": name,
            "description": description,
            "generator": {"script": "python/golden/coco_eval_golden.py", **versions},
            "params": params,
            "groundTruth": gt,
            "detections": dets,
            "expected": expected,
        }
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        print(f"{name:18s} AP={expected['stats'][0]:.6f} AP50={expected['stats'][1]:.6f} dets={len(dets)} gts={len(gt['annotations'])}")


if __name__ == "__main__":
    main()
