"""Each installed peer answers a tiny search correctly (skipped when its package is absent —
``make test`` installs none of them; ``make bench-ann`` does)."""

import numpy as np
import pytest

from annbench.systems import SYSTEMS, Unavailable
from embedlite_datasets.groundtruth import exact_knn


@pytest.mark.parametrize("name", list(SYSTEMS))
@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_system_finds_neighbours(name, metric, tmp_path):
    rng = np.random.default_rng(11)
    base = rng.standard_normal((300, 16)).astype(np.float32)
    queries = rng.standard_normal((10, 16)).astype(np.float32)
    sys_ = SYSTEMS[name](16, metric, tmp_path)
    try:
        sys_.check()
    except Unavailable as e:
        pytest.skip(str(e))
    sys_.prepare(base)
    seen = []
    sys_.build(seen.append)
    assert seen and seen[-1] == 300
    assert (sys_.disk_bytes() or 1) > 0
    sys_.set_param(sys_.params[-1])  # widest search: near-exact on 300 points
    gt, _ = exact_knn(base, queries, 10, metric)
    found = np.stack([sys_.search(q, 10) for q in queries])
    hits = sum(len(set(f) & set(g)) for f, g in zip(found.tolist(), gt.tolist()))
    assert hits / 100 >= 0.9
    batch = sys_.search_batch(queries, 10, 2)
    assert batch.shape == (10, 10)
    hits = sum(len(set(f) & set(g)) for f, g in zip(batch.tolist(), gt.tolist()))
    assert hits / 100 >= 0.9
    sys_.close()
