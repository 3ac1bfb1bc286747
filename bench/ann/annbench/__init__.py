"""annbench: the ANN benchmark harness (``python -m annbench --dataset glove-50``).

- ``systems``  the adapters (hnswlib, FAISS, usearch, sqlite-vec, libSQL, Turso, embedlite)
- ``worker``   one process per system: build, then measurement requests
- ``runner``   the driver: builds one at a time, interleaved passes, batch figures
- ``metrics``  recall@k, QPS, latency percentiles, the summary against embedlite
- ``report``   JSON, Markdown and PNG output
- ``toy``      a synthetic dataset and a system with known answers, for tests
"""
