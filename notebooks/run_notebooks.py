"""Runs the notebooks top to bottom with nbclient, as `make test` does (stage test-notebooks).

    python notebooks/run_notebooks.py [NAME.ipynb ...]

Each notebook runs in a fresh kernel with ``notebooks/`` as its working directory; a cell that
raises fails the run (nbclient's ``CellExecutionError`` names the cell). The executed copies are
not written back: the committed notebooks keep no outputs, so diffs stay readable. Prints one
line per notebook with its time, then ``notebooks: N passed, N failed``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
NOTEBOOKS = ["quickstart.ipynb", "agent_memory.ipynb", "ann_benchmark.ipynb"]
CELL_TIMEOUT_S = 300


def run(path: Path) -> tuple[bool, float, str]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as e:
        return False, time.perf_counter() - start, str(e)
    return True, time.perf_counter() - start, ""


def main(names: list[str]) -> int:
    passed = failed = 0
    for name in names or NOTEBOOKS:
        ok, seconds, error = run(HERE / name)
        print(f"{name}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s", flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
            print(error, file=sys.stderr)
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
