"""Command line: build, list, verify, export and describe the datasets.

    python -m embedlite_datasets build [NAME ...] [--force] [--strict] [--no-progress]
    python -m embedlite_datasets list
    python -m embedlite_datasets verify NAME ...
    python -m embedlite_datasets info NAME
    python -m embedlite_datasets export NAME --format hdf5|fvecs --out PATH
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import registry


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m embedlite_datasets", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=None, help="cache folder (default datasets/cache)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build (or resume, or verify) datasets")
    b.add_argument("names", nargs="*", default=list(registry.DEFAULT_BUILD),
                   help=f"default: {' '.join(registry.DEFAULT_BUILD)}; known: {' '.join(registry.SPECS)}")
    b.add_argument("--force", action="store_true", help="redo every step (the embedding parts are reused "
                   "only if their texts and model are unchanged)")
    b.add_argument("--strict", action="store_true", help="fail when checksums differ from the reference")
    b.add_argument("--update-reference", action="store_true",
                   help="overwrite datasets/checksums/NAME.json with this build's checksums")
    b.add_argument("--no-progress", action="store_true")
    sub.add_parser("list", help="the datasets and whether they are built")
    v = sub.add_parser("verify", help="recompute checksums of cached datasets")
    v.add_argument("names", nargs="+")
    i = sub.add_parser("info", help="print a dataset's manifest (without per-query hashes)")
    i.add_argument("name")
    e = sub.add_parser("export", help="write a dataset as ann-benchmarks HDF5 or TEXMEX fvecs/ivecs")
    e.add_argument("name")
    e.add_argument("--format", choices=("hdf5", "fvecs"), required=True)
    e.add_argument("--out", type=Path, required=True, help="file (hdf5) or folder (fvecs)")
    args = ap.parse_args(argv)
    cache = args.cache

    if args.cmd == "build":
        for name in args.names:
            registry.build(name, cache, force=args.force, strict=args.strict,
                           progress=not args.no_progress, update_reference=args.update_reference)
        return 0
    if args.cmd == "list":
        root = cache or registry.default_cache_dir()
        for name, spec in registry.SPECS.items():
            built = (root / name / "manifest.json").exists()
            print(f"{name:15s} {'built ' if built else 'absent'} {spec.metric:6s} d={spec.dim:<4d} {spec.description}")
        return 0
    if args.cmd == "verify":
        bad = 0
        for name in args.names:
            problems = registry.verify(name, cache)
            for p in problems:
                print(f"{name}: {p}")
            print(f"{name}: {'OK' if not problems else 'DIFFERS'}")
            bad += bool(problems)
        return 1 if bad else 0
    if args.cmd == "info":
        ds = registry.load(args.name, cache)
        man = dict(ds.manifest)
        man["checksums"] = {k: v for k, v in man.get("checksums", {}).items() if k != "neighbors_per_query"}
        print(json.dumps(man, indent=1, sort_keys=True))
        return 0
    if args.cmd == "export":
        from .formats import write_fvecs, write_hdf5, write_ivecs

        ds = registry.load(args.name, cache)
        if args.format == "hdf5":
            write_hdf5(args.out, ds.base, ds.queries, ds.metric, ds.neighbors, ds.distances)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            write_fvecs(args.out / f"{ds.name}_base.fvecs", ds.base)
            write_fvecs(args.out / f"{ds.name}_query.fvecs", ds.queries)
            write_ivecs(args.out / f"{ds.name}_groundtruth.ivecs", ds.neighbors)
        print(f"wrote {args.out}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
