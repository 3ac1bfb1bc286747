"""recall@k, QPS figures and the summary, on answers known in advance."""

import math

import numpy as np
import pytest

from annbench import metrics


def test_recall_counts_hits_misses_duplicates_and_missing():
    gt = np.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    assert metrics.recall_at_k(gt, gt, 4) == 1.0
    found = np.array([[0, 1, 9, 9], [7, 6, -1, -1]])  # duplicates count once, -1 never
    assert metrics.recall_at_k(found, gt, 4) == pytest.approx(4 / 8)
    assert metrics.recall_at_k(np.array([[3, 2, 1, 0, 99]]), gt[:1], 2) == 0.0  # only the first k count


def test_recall_counts_ties_by_distance():
    gt = np.array([[0, 1]])
    gt_d = np.array([[0.1, 0.5]])
    found = np.array([[0, 7]])
    assert metrics.recall_at_k(found, gt, 2) == 0.5
    assert metrics.recall_at_k(found, gt, 2, found_dists=np.array([[0.1, 0.5]]), gt_dists=gt_d) == 1.0
    assert metrics.recall_at_k(found, gt, 2, found_dists=np.array([[0.1, 0.6]]), gt_dists=gt_d) == 0.5


def test_pass_figures_and_medians():
    lat = np.array([1, 2, 3, 4, 100]) * 1_000_000  # ns
    f = metrics.pass_figures(5, 0.5, 0.25, lat)
    assert f["qps"] == 10 and f["qps_cpu"] == 20
    assert f["p50_ms"] == 3.0 and f["p99_ms"] == pytest.approx(96.16)
    med = metrics.median_of_passes([{"qps": 1.0}, {"qps": 5.0}, {"qps": 3.0}])
    assert med == {"qps": 3.0}
    assert math.isnan(metrics.pass_figures(0, 0.0, 0.0)["qps"])


def _sys(name, pts, status="ok"):
    return {"name": name, "status": status, "points": [{"param": i, "recall": r, "qps": q} for i, (r, q) in enumerate(pts)]}


def test_summary_ratios_to_embedlite_and_hnswlib():
    systems = [_sys("embedlite", [(0.9, 5000), (0.96, 2000), (0.99, 1000)]),
               _sys("hnswlib", [(0.96, 4000), (0.99, 3000)]),
               _sys("slow", [(1.0, 100)]),
               _sys("bad", [(0.5, 1e6)])]
    s = metrics.summary(systems, 0.95)
    rows = {r["system"]: r for r in s["rows"]}
    assert rows["embedlite"]["best_qps"] == 2000 and rows["embedlite"]["ratio_to_embedlite"] == 1.0
    assert rows["hnswlib"]["ratio_to_embedlite"] == 2.0
    assert rows["slow"]["ratio_to_embedlite"] == 0.05 and rows["slow"]["ratio_to_hnswlib"] == 0.025
    assert rows["bad"]["best_qps"] is None
    assert s["reference_note"] is None
    assert "hnswlib 4,000 QPS (2.00x embedlite)" in s["line"]


def test_summary_without_embedlite_says_why():
    systems = [{"name": "embedlite", "status": "skipped", "reason": "import embedlite failed"},
               _sys("hnswlib", [(0.96, 4000)])]
    s = metrics.summary(systems, 0.95)
    assert "import embedlite failed" in s["line"]
    assert s["rows"][0]["ratio_to_embedlite"] is None
