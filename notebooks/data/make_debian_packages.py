"""Builds ``debian_packages.jsonl``, the small corpus of the agent-memory notebook: real Debian
package descriptions (bookworm main) with their section and priority as metadata, 30 packages
from each of 12 sections (the synopsis and the start of the long description), chosen by a seeded shuffle. Committed, so the notebook needs neither
apt's lists nor the network; rerun (on a Debian machine after ``apt-get update``) to rebuild:

    PYTHONPATH=datasets python notebooks/data/make_debian_packages.py
"""

from __future__ import annotations

import glob
import json
import random
import re
from pathlib import Path

from embedlite_datasets.debian_text import APT_LISTS, read_index_file

SECTIONS = ["games", "editors", "database", "python", "science", "sound", "graphics", "mail", "net", "web", "math", "electronics"]
PER_SECTION = 30
MAX_CHARS = 240  # keeps embedding the corpus a matter of seconds
OUT = Path(__file__).with_name("debian_packages.jsonl")


def stanzas(text: str) -> list[dict[str, str]]:
    out = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.split("\n"):
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields:
            out.append(fields)
    return out


def first_paragraph(description: str) -> str:
    """The synopsis and the first paragraph of the long description, whitespace collapsed."""
    lines = description.split("\n")
    body = []
    for line in lines[1:]:
        if line.strip() == ".":
            break
        body.append(line.strip())
    return re.sub(r"\s+", " ", " ".join([lines[0].strip().rstrip(".") + "."] + body)).strip()


def shorten(text: str) -> str:
    """At most MAX_CHARS, cut after the last whole sentence (or word) that fits."""
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS]
    end = cut.rfind(". ")
    return cut[: end + 1] if end > MAX_CHARS // 3 else cut[: cut.rfind(" ")] + " ..."


def main() -> None:
    main_lists = [p for p in glob.glob(f"{APT_LISTS}/*_bookworm_main_*") if "security" not in p and "updates" not in p]
    packages = [s for p in main_lists if "binary-amd64_Packages" in p for s in stanzas(read_index_file(p))]
    long = {
        s["Package"]: s["Description-en"]
        for p in main_lists
        if "Translation-en" in p
        for s in stanzas(read_index_file(p))
        if "Package" in s and "Description-en" in s
    }
    rnd = random.Random(8)
    rows = []
    for section in SECTIONS:
        cands = sorted(
            {s["Package"]: s for s in packages if s.get("Section") == section and s.get("Package") in long}.values(),
            key=lambda s: s["Package"],
        )
        cands = [s for s in cands if not re.search(r"-(dev|dbg|doc|data|common)$", s["Package"])]
        rnd.shuffle(cands)
        for s in sorted(cands[:PER_SECTION], key=lambda s: s["Package"]):
            rows.append({"package": s["Package"], "section": section, "priority": s.get("Priority", "optional"),
                         "text": shorten(first_paragraph(long[s["Package"]]))})
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{OUT}: {len(rows)} packages")


if __name__ == "__main__":
    main()
