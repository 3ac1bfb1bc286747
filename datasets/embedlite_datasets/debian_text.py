"""Texts from Debian package descriptions: the source of the ``debian-384`` dataset.

A Debian description (``Description:`` in ``/var/lib/dpkg/status``, ``Description-en:`` in the
``Translation-en`` index files that ``apt-get update -o Acquire::Languages=en`` fetches) is a
one-line synopsis followed by an extended description in continuation lines that start with a
space; a line holding only `` .`` separates paragraphs, and lines starting with two spaces are
verbatim (lists, code). We take one text per paragraph, and the synopsis as a paragraph of its
own, with whitespace collapsed.

Texts are deduplicated on their case-folded form (the model lowercases, so two texts differing
only in case would embed to the same vector and make ties in the ground truth), keeping the
first spelling met, and sorted by that key, so the result does not depend on the order in which
the files are read.
"""

from __future__ import annotations

import bz2
import glob
import gzip
import lzma
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

APT_LISTS = "/var/lib/apt/lists"
DPKG_STATUS = "/var/lib/dpkg/status"
APT_HELPER = "/usr/lib/apt/apt-helper"

# texts shorter than this (after collapsing whitespace) carry no meaning to embed
MIN_CHARS = 10


def iter_descriptions(text: str) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(synopsis, continuation_lines)`` for every stanza of a deb822 file with a
    ``Description`` or ``Description-<lang>`` field."""
    for stanza in text.split("\n\n"):
        lines = stanza.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("Description:") or line.startswith("Description-en:"):
                synopsis = line.split(":", 1)[1].strip()
                cont = []
                for more in lines[i + 1:]:
                    if not more.startswith((" ", "\t")):
                        break
                    cont.append(more)
                yield synopsis, cont
                break


def paragraphs(synopsis: str, continuation: list[str]) -> list[str]:
    """The synopsis and each paragraph of the extended description, whitespace collapsed."""
    out = [synopsis] if synopsis else []
    cur: list[str] = []
    for line in continuation:
        body = line.strip()
        if body == ".":
            if cur:
                out.append(" ".join(cur))
            cur = []
        elif body:
            cur.append(body)
    if cur:
        out.append(" ".join(cur))
    return [" ".join(p.split()) for p in out]


def texts_from_deb822(text: str) -> list[str]:
    """All paragraphs of all descriptions in one deb822 file, in file order (not deduplicated)."""
    out: list[str] = []
    for synopsis, cont in iter_descriptions(text):
        out.extend(paragraphs(synopsis, cont))
    return out


def dedupe(texts: Iterable[str], min_chars: int = MIN_CHARS) -> list[str]:
    """Unique texts (by case-folded form), at least ``min_chars`` long, sorted by that form."""
    seen: dict[str, str] = {}
    for t in texts:
        key = t.casefold()
        if len(key) >= min_chars and key not in seen:
            seen[key] = t
    return [seen[k] for k in sorted(seen)]


def translation_files(lists_dir: str = APT_LISTS) -> list[Path]:
    """The ``Translation-en`` index files apt keeps (compressed or not), sorted by name."""
    return sorted(Path(p) for p in glob.glob(os.path.join(lists_dir, "*_i18n_Translation-en*"))
                  if not p.endswith((".diff", ".gpg")))


def read_index_file(path: str | os.PathLike) -> str:
    """Decompress an apt index file. ``.lz4`` (apt's own default) goes through ``apt-helper``."""
    p = Path(path)
    name = p.name
    if name.endswith(".gz"):
        data = gzip.decompress(p.read_bytes())
    elif name.endswith(".xz") or name.endswith(".lzma"):
        data = lzma.decompress(p.read_bytes())
    elif name.endswith(".bz2"):
        data = bz2.decompress(p.read_bytes())
    elif name.endswith(".lz4") or name.endswith(".zst"):
        if not os.path.exists(APT_HELPER):
            raise RuntimeError(f"{p}: needs {APT_HELPER} (package apt) to decompress")
        data = subprocess.run([APT_HELPER, "cat-file", str(p)], check=True, capture_output=True).stdout
    else:
        data = p.read_bytes()
    return data.decode("utf-8", errors="replace")


def apt_update_translations() -> None:
    """Fetch the English description indexes (root only; never called by the tests)."""
    subprocess.run(["apt-get", "update", "-o", "Acquire::Languages=en"], check=True)


def collect_texts(lists_dir: str = APT_LISTS, status: str = DPKG_STATUS, *,
                  allow_apt_update: bool = True) -> tuple[list[str], list[str]]:
    """Unique description paragraphs from apt's Translation-en files.

    Returns ``(texts, sources)``. Without Translation-en files, runs ``apt-get update -o
    Acquire::Languages=en`` when allowed and running as root; failing that, falls back to the
    installed packages in ``/var/lib/dpkg/status`` (a few hundred texts only).
    """
    files = translation_files(lists_dir)
    if not files and allow_apt_update and hasattr(os, "geteuid") and os.geteuid() == 0:
        apt_update_translations()
        files = translation_files(lists_dir)
    raw: list[str] = []
    if files:
        for f in files:
            raw.extend(texts_from_deb822(read_index_file(f)))
        # "<mirror>_debian_dists_bookworm_main_i18n_Translation-en.lz4" -> "bookworm_main_i18n_..."
        sources = [f.name.split("_dists_", 1)[-1] for f in files]
    else:
        raw.extend(texts_from_deb822(Path(status).read_text(encoding="utf-8", errors="replace")))
        sources = [status]
    return dedupe(raw), sources
