"""A synthetic dataset and a toy system with known answers, for the harness's own tests.

``synthetic:n=2000,d=16,nq=50,metric=l2,seed=1`` names a small Gaussian dataset generated on
the fly. ``ToySystem`` answers with the first ``p`` true neighbours (``p`` = its parameter)
followed by the farthest points, so its recall@k is exactly ``p / k``.
"""

from __future__ import annotations

import numpy as np

from .systems import System


def synthetic(spec: str) -> dict:
    """Parse ``synthetic:key=value,...`` and generate the dataset (deterministic)."""
    body = spec.split(":", 1)[1] if ":" in spec else ""
    kv = dict(part.split("=", 1) for part in body.split(",") if part)
    n, d, nq = int(kv.get("n", 2000)), int(kv.get("d", 16)), int(kv.get("nq", 50))
    metric, seed = kv.get("metric", "l2"), int(kv.get("seed", 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n + nq, d), dtype=np.float32)
    return {"name": spec, "base": x[nq:], "queries": x[:nq], "metric": metric}


class ToySystem(System):
    name = "toy"
    param_name = "p"
    params = [0, 5, 10]

    def build(self, progress):
        from embedlite_datasets.groundtruth import distances

        self._d = distances  # exact distances against the whole base at query time
        progress(len(self.base))

    def search(self, q, k):
        d = self._d(q[None, :], self.base, self.metric)[0]
        order = np.argsort(d, kind="stable")
        good = order[:min(self.param, k)]
        bad = order[::-1][:k - len(good)]
        return np.concatenate([good, bad]).astype(np.int64)
