"""Seeded, deterministic split of ``n`` items into held-out queries and base vectors."""

from __future__ import annotations

import numpy as np


def seeded_split(n: int, n_queries: int, n_base: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(query_ids, base_ids)``: disjoint int64 index arrays into ``range(n)``.

    One seeded permutation (numpy's PCG64); the first ``n_queries`` entries are the queries,
    the next ``n_base`` (all the rest when ``None``) the base. The same ``(n, seed)`` gives the
    same queries whatever ``n_base`` is, so a small and a full dataset share their queries.
    """
    if n_queries < 0 or n_queries > n:
        raise ValueError(f"n_queries={n_queries} outside 0..{n}")
    rest = n - n_queries
    if n_base is None:
        n_base = rest
    if n_base < 0 or n_base > rest:
        raise ValueError(f"n_base={n_base} outside 0..{rest} (n={n}, n_queries={n_queries})")
    perm = np.random.default_rng(seed).permutation(n)
    return perm[:n_queries].astype(np.int64), perm[n_queries:n_queries + n_base].astype(np.int64)
