"""Description paragraphs from deb822 text (never calls apt-get)."""

from pathlib import Path

import pytest

from embedlite_datasets import debian_text as dt

SAMPLE = """Package: foo
Version: 1
Description: Frobnicate the widgets
 Foo frobnicates widgets quickly,
 and with style.
 .
 Features:
   * speed
   * style
 .
 Short.

Package: bar
Description-md5: 0123
Description-en: FROBNICATE the widgets
 foo frobnicates widgets quickly,   and with style.
"""


def test_paragraphs_and_synopsis():
    texts = dt.texts_from_deb822(SAMPLE)
    assert texts == [
        "Frobnicate the widgets",
        "Foo frobnicates widgets quickly, and with style.",
        "Features: * speed * style",
        "Short.",
        "FROBNICATE the widgets",
        "foo frobnicates widgets quickly, and with style.",
    ]


def test_dedupe_is_case_insensitive_sorted_and_drops_short():
    out = dt.dedupe(dt.texts_from_deb822(SAMPLE))
    assert out == ["Features: * speed * style", "Foo frobnicates widgets quickly, and with style.",
                   "Frobnicate the widgets"]


def test_dpkg_status_fallback_parses():
    p = Path(dt.DPKG_STATUS)
    if not p.exists():
        pytest.skip("no /var/lib/dpkg/status here")
    texts = dt.texts_from_deb822(p.read_text(encoding="utf-8", errors="replace"))
    assert len(texts) > 10
    assert all("\n" not in t and t == " ".join(t.split()) for t in texts)
