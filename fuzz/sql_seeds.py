"""Writes the seed corpus of the `sql` fuzz target into fuzz/corpus/sql/.

Seeds are small: from each sqllogictest file (../shared/slt, see its README) the first table
definitions with a few rows, then one query or statement of the file; and the SQL string literals
of engine/tests/*.rs. Run from the repository root: `python3 fuzz/sql_seeds.py`. Inputs the fuzzer
found (named crash-*, timeout-*, ...) live in the same directory and are left alone.
"""

import hashlib
import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLT = ROOT.parent / "shared" / "slt"
OUT = ROOT / "fuzz" / "corpus" / "sql"
PER_SLT_FILE = 4
MAX_SEED = 1500
MAX_SETUP_INSERTS = 3


def records(text):
    """(kind, sql) for every statement/query record, skipping ones limited to other engines."""
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.splitlines() if not l.startswith("#")]
        if any(l.startswith("onlyif") and "sqlite" not in l for l in lines):
            continue
        lines = [l for l in lines if not l.startswith(("skipif", "onlyif"))]
        if not lines or not lines[0].startswith(("statement", "query")):
            continue
        body = []
        for l in lines[1:]:
            if l.startswith("----"):
                break
            body.append(l)
        if body:
            yield lines[0].split()[0], "\n".join(body)


def slt_seeds(rng):
    for path in sorted(SLT.rglob("*.test")):
        recs = list(records(path.read_text(errors="replace")))
        creates = [s for k, s in recs if k == "statement" and s.upper().startswith("CREATE TABLE")]
        inserts = [s for k, s in recs if k == "statement" and s.upper().startswith("INSERT")]
        setup = creates[:3] + inserts[:MAX_SETUP_INSERTS]
        rest = [s for k, s in recs if s not in setup and len(s) < MAX_SEED // 2]
        for s in rng.sample(rest, min(PER_SLT_FILE, len(rest))):
            seed = ";\n".join(setup + [s]) + ";\n"
            if len(seed) <= MAX_SEED:
                yield seed


def test_seeds(rng):
    keywords = ("SELECT", "INSERT", "CREATE", "UPDATE", "DELETE", "WITH", "ALTER", "DROP", "PRAGMA",
                "VALUES", "REPLACE", "BEGIN", "EXPLAIN")
    found = []
    for path in sorted((ROOT / "engine" / "tests").rglob("*.rs")):
        for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', path.read_text()):
            s = re.sub(r"\\\n\s*", " ", m.group(1)).replace('\\"', '"').replace("\\n", "\n")
            if s.lstrip().upper().startswith(keywords) and 10 < len(s) <= MAX_SEED:
                found.append(s)
    found = sorted(set(found))
    return rng.sample(found, min(250, len(found)))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("seed-*"):
        old.unlink()
    rng = random.Random(20261206)
    seeds = list(slt_seeds(rng)) + test_seeds(rng)
    for seed in seeds:
        name = "seed-" + hashlib.sha1(seed.encode()).hexdigest()[:16] + ".sql"
        (OUT / name).write_text(seed)
    print(f"{len(seeds)} seeds, {sum(len(s) for s in seeds)} bytes")


main()
