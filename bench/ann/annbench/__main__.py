"""Command line of the ANN harness.

    python -m annbench --dataset glove-50 [--systems a,b] [--skip c] [--limit N] [--queries N]
                       [--passes 3] [--warmup 200] [--point-budget S] [--build-timeout S]
                       [--threads T] [--out bench/results] [--name NAME] [--list]

``--dataset`` is a name built by ``make datasets`` (glove-50, glove-50-full, random-128,
debian-384), an ann-benchmarks ``.hdf5`` file, or a folder/prefix with TEXMEX ``*base.fvecs`` /
``*query.fvecs`` files. Results go to ``<out>/<name>.json|.md|.png``; ``name`` defaults to the
dataset name, with ``-limitN`` when ``--limit`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .runner import Options, log, run
from .systems import HIDDEN, SYSTEMS, Unavailable, get_system


def _names(s: str) -> list[str]:
    return [x.strip() for x in s.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m annbench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", help="dataset name or file (see above)")
    ap.add_argument("--systems", type=_names, default=None,
                    help=f"comma-separated subset (default all: {','.join(s for s in SYSTEMS if s not in HIDDEN)})")
    ap.add_argument("--skip", type=_names, default=[], help="comma-separated systems to leave out")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N base vectors (exact ground "
                    "truth is recomputed for the slice)")
    ap.add_argument("--queries", type=int, default=None, help="use only the first N queries")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--passes", type=int, default=3, help="measured passes per point (median reported)")
    ap.add_argument("--warmup", type=int, default=200, help="warm-up queries per point, not measured")
    ap.add_argument("--point-budget", type=float, default=None,
                    help="seconds after which a single-thread pass stops early (slow brute-force systems)")
    ap.add_argument("--build-timeout", type=float, default=None,
                    help="seconds after which a build is abandoned and the system reported as skipped")
    ap.add_argument("--threads", type=int, default=None, help="threads for the batch figure (default: cores)")
    ap.add_argument("--threshold", type=float, default=0.95, help="recall for the summary line")
    ap.add_argument("--out", type=Path, default=Path("bench/results"))
    ap.add_argument("--name", default=None, help="output file stem")
    ap.add_argument("--cache", default=None, help="datasets cache folder")
    ap.add_argument("--workdir", default=None, help="where index/database files go (default: a temp dir)")
    ap.add_argument("--keep-workdir", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--list", action="store_true", help="list the systems and whether they can run here")
    ap.add_argument("--render", type=Path, default=None, metavar="RESULTS.json",
                    help="rewrite the .md and .png (and the summary) of an existing results file, run nothing")
    args = ap.parse_args(argv)

    if args.render:
        import json

        from .metrics import summary
        from .report import write_markdown, write_plot

        res = json.loads(args.render.read_text())
        res["summary"] = summary(res["systems"], res["settings"]["recall_threshold"])
        from .report import write_json

        write_json(res, args.render)
        write_markdown(res, args.render.with_suffix(".md"))
        write_plot(res, args.render.with_suffix(".png"))
        print(res["summary"]["line"])
        return 0

    if args.list:
        for name in SYSTEMS:
            cls = get_system(name)
            try:
                cls(8, "cosine", Path("/tmp")).check()
                status = "available"
            except Unavailable as e:
                status = f"skipped: {e}"
            print(f"{name:16s} {status}")
        return 0
    if not args.dataset:
        ap.error("--dataset is required")
    systems = args.systems if args.systems is not None else [s for s in SYSTEMS if s not in HIDDEN]
    for s in systems + args.skip:
        get_system(s)  # unknown names fail here, before any work
    systems = [s for s in systems if s not in args.skip]
    opts = Options(dataset=args.dataset, systems=systems, limit=args.limit, n_queries=args.queries, k=args.k,
                   passes=args.passes, warmup=args.warmup, point_budget_s=args.point_budget,
                   build_timeout_s=args.build_timeout, threshold=args.threshold, cache=args.cache,
                   workdir=args.workdir, keep_workdir=args.keep_workdir, quiet=args.quiet)
    if args.threads:
        opts.threads = args.threads
    res = run(opts)
    name = args.name or (Path(args.dataset).stem if not args.dataset.startswith("synthetic:") else "synthetic")
    if args.limit and not args.name:
        name += f"-limit{args.limit}"
    from .report import write_all

    paths = write_all(res, args.out, name)
    print(res["summary"]["line"])
    log("wrote " + ", ".join(str(p) for p in paths.values() if p is not None))
    failed = [s["name"] for s in res["systems"] if s.get("status") == "failed"]
    if failed:
        log(f"failed: {', '.join(failed)} (see the JSON for the tracebacks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
