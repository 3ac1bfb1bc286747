"""The whole harness on a synthetic dataset with a toy system whose recall is known: p / k."""

import json

import numpy as np
import pytest

from annbench import report
from annbench.runner import Options, run


@pytest.fixture(scope="module")
def result():
    opts = Options(dataset="synthetic:n=1500,d=12,nq=30,metric=l2,seed=3", systems=["toy", "embedlite"],
                   passes=2, warmup=5, quiet=True)
    return run(opts)


def test_toy_recall_is_exact(result):
    toy = next(s for s in result["systems"] if s["name"] == "toy")
    assert toy["status"] == "ok"
    got = {p["param"]: p["recall"] for p in toy["points"]}
    assert got == {0: 0.0, 5: 0.5, 10: 1.0}
    for p in toy["points"]:
        assert p["n_queries"] == 30 and len(p["passes"]) == 2
        assert p["qps"] > 0 and p["p50_ms"] <= p["p99_ms"]
        assert p["qps"] == pytest.approx(np.median([x["qps"] for x in p["passes"]]))
    assert toy["batch"]["param"] == 10 and toy["batch"]["recall"] == 1.0
    assert toy["build"]["n"] == 1500
    assert toy["memory"]["peak_rss_after_build"] >= toy["memory"]["rss_before_build"] > 0


def test_embedlite_is_skipped_or_measured(result):
    emb = next(s for s in result["systems"] if s["name"] == "embedlite")
    if emb["status"] == "skipped":  # not built yet, or built without the vector SQL yet
        assert "import embedlite failed" in emb["reason"] or "embedlite cannot run" in emb["reason"]
        assert emb["reason"] in result["summary"]["line"]
    else:
        assert emb["status"] == "ok"


def test_reports_are_written(result, tmp_path):
    paths = report.write_all(result, tmp_path, "toy")
    data = json.loads(paths["json"].read_text())
    assert data["dataset"]["n_base"] == 1500 and data["settings"]["k"] == 10
    md = paths["md"].read_text()
    assert "| toy | p=5 | 0.5000 |" in md and "Summary" in md
    if paths.get("png") is not None:
        assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
