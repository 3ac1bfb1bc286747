"""Differential test of the vector SQL functions against the live oracles: libSQL (PyPI ``libsql``,
which embeds libSQL's ``vector.c``) and Turso (PyPI ``pyturso``).

Seeded random vectors (dimensions 1 … 384, magnitudes 1e-4 … 6e4, several text styles) go through
the same SQL in embedlite and in the oracle:

- blobs of ``vector`` … ``vector1bit`` from text and the conversions between every pair of types
  are compared byte for byte;
- ``vector_extract`` texts are parsed back and compared within libSQL's six printed digits (and
  embedlite's must read back to the identical blob);
- ``vector_distance_cos`` / ``_l2`` for every type are compared within a float tolerance, and with
  an exact float64 distance computed here from the decoded elements;
- inputs that are errors (mismatched dimensions or types, malformed text or blobs, NULL, numbers)
  must be errors in both;
- Turso is the oracle of ``vector_distance_dot``, ``vector_concat`` and ``vector_slice``.

Where embedlite differs on purpose (the module docs of ``engine/src/functions/vector.rs`` and
``vector/src/types/blob.rs`` list why), the test asserts embedlite's documented behaviour and
libSQL's observed one explicitly, so that a change on either side shows up here. A failure prints
the SQL, its parameters and the seed.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import libsql  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
import pytest

import embedlite

F64Array = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]

SEED = 20240605
DIMS = (1, 3, 7, 16, 17, 97, 384)
# SQL constructor -> our short name of the element type.
CONSTRUCTORS = {
    "vector32": "f32",
    "vector64": "f64",
    "vector16": "f16",
    "vectorb16": "bf16",
    "vector8": "f8",
    "vector1bit": "1bit",
}
TYPE_BYTES = {1: "f32", 2: "f64", 3: "1bit", 4: "f8", 5: "f16", 6: "bf16"}


# --- running SQL on both sides -------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The result of one single-value query: a value, or the error's message."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Oracle:
    """One DB-API connection (embedlite, libsql or turso) answering single-value queries."""

    def __init__(self, name: str, con: Any) -> None:
        self.name = name
        self.con = con

    def one(self, sql: str, params: Sequence[Any] = ()) -> Outcome:
        try:
            row = self.con.execute(sql, tuple(params)).fetchone()
        except Exception as e:  # each driver has its own exception classes
            return Outcome(error=f"{type(e).__name__}: {e}")
        return Outcome(value=row[0])


@pytest.fixture(scope="module")
def ours() -> Iterator[Oracle]:
    con = embedlite.connect(":memory:")
    yield Oracle("embedlite", con)
    con.close()


@pytest.fixture(scope="module")
def lib() -> Iterator[Oracle]:
    con = libsql.connect(":memory:")
    yield Oracle("libsql", con)
    con.close()


@pytest.fixture(scope="module")
def turso_db() -> Iterator[Oracle]:
    turso = pytest.importorskip("turso")  # pyturso has wheels for CPython >= 3.10 only
    con = turso.connect(":memory:")
    yield Oracle("turso", con)
    con.close()


def both(a: Oracle, b: Oracle, sql: str, params: Sequence[Any] = ()) -> tuple[Outcome, Outcome]:
    return a.one(sql, params), b.one(sql, params)


def where(sql: str, params: Sequence[Any], seed: int | None = None) -> str:
    shown = [p.hex() if isinstance(p, bytes) else p for p in params]
    return f"{sql} with {shown}" + (f" (seed {seed})" if seed is not None else "")


# --- vectors, their text and their blobs ---------------------------------------------------------


def random_vector(rng: np.random.Generator, dims: int) -> F32Array:
    """A float32 vector of one of several shapes; |x| <= 6e4 so that float16 never overflows (the
    overflow difference has its own test)."""
    kind = int(rng.integers(5))
    scale = 10.0 ** rng.uniform(-4, 3)
    if kind == 0:
        v = rng.standard_normal(dims) * scale
    elif kind == 1:
        v = rng.uniform(0, 1, dims) * scale
    elif kind == 2:
        v = rng.integers(-5, 6, dims).astype(np.float64)
    elif kind == 3:  # wide dynamic range inside one vector
        v = rng.choice([-1.0, 1.0], dims) * 10.0 ** rng.uniform(-6, 4, dims)
    else:  # near a constant: f8's alpha is tiny
        v = 1.5 + rng.standard_normal(dims) * 1e-3
    out: F32Array = np.clip(v, -6e4, 6e4).astype(np.float32)
    return out


def to_text(rng: np.random.Generator, v: F32Array) -> str:
    """The text form of `v` in one of several styles, with random but legal whitespace."""
    style = int(rng.integers(4))
    if style == 0:
        items = [repr(float(x)) for x in v]  # the exact float32 value, 17 digits
    elif style == 1:
        items = ["%.9g" % x for x in v]  # round-trips float32
    elif style == 2:
        items = ["%.3e" % x for x in v]  # lossy: a decimal that is not a float32
    else:
        items = [str(int(x)) if float(x).is_integer() else "%.7g" % x for x in v]
    sep = [",", ", ", " , ", ",\t"][int(rng.integers(4))]
    pad = " " if rng.random() < 0.3 else ""
    return f"{pad}[{pad}{sep.join(items)}{pad}]{pad}"


def decode(blob: bytes) -> tuple[str, F64Array]:
    """Element type and elements of a vector blob in libSQL's layouts (see vector/src/types/blob.rs)."""
    # Random blobs hold signalling NaNs (their casts raise "invalid") and huge f8 alpha/shift.
    with np.errstate(invalid="ignore", over="ignore"):
        return _decode(blob)


def _decode(blob: bytes) -> tuple[str, F64Array]:
    n = len(blob)
    if n % 2 == 0 or blob[-1] == 1:
        body = blob if n % 2 == 0 else blob[:-1]
        return "f32", np.frombuffer(body, "<f4").astype(np.float64)
    kind = TYPE_BYTES[blob[-1]]
    body = blob[:-1]
    if kind == "f64":
        return kind, np.frombuffer(body, "<f8").astype(np.float64)
    if kind == "f16":
        return kind, np.frombuffer(body, "<f2").astype(np.float64)
    if kind == "bf16":
        bits = np.frombuffer(body, "<u2").astype(np.uint32) << 16
        return kind, bits.view(np.float32).astype(np.float64)
    if kind == "f8":
        pad = blob[-2]
        dims = n - 11 - pad
        alpha, shift = struct.unpack_from("<ff", blob, dims + pad)
        codes = np.frombuffer(blob[:dims], np.uint8).astype(np.float32)
        return kind, (np.float32(alpha) * codes + np.float32(shift)).astype(np.float64)
    dims = 8 * (n - 1) - blob[-2]
    unpacked = np.unpackbits(np.frombuffer(body, np.uint8), bitorder="little")[:dims]
    return kind, np.where(unpacked == 1, 1.0, -1.0)


def mask_f8_padding(blob: bytes) -> bytes:
    """An f8 blob with its alignment padding zeroed: libSQL leaves those bytes uninitialised (they
    hold whatever was in memory), embedlite writes zeros."""
    if len(blob) % 2 == 0 or blob[-1] != 4:
        return blob
    pad = blob[-2]
    dims = len(blob) - 11 - pad
    return blob[:dims] + bytes(pad) + blob[dims + pad :]


def f8_without_codes(blob: bytes) -> bytes | None:
    """An f8 blob whose alpha is 0.0 without its codes (which then do not matter), else None."""
    if len(blob) % 2 == 0 or blob[-1] != 4:
        return None
    dims = len(blob) - 11 - blob[-2]
    start = dims + blob[-2]
    return blob[start:] if struct.unpack_from("<f", blob, start)[0] == 0.0 else None


def f8_codes_off_by_one(a: bytes, b: bytes) -> bool:
    """Two f8 blobs equal but for codes that differ by at most one."""
    if len(a) != len(b) or len(a) % 2 == 0 or a[-1] != 4 or b[-1] != 4 or a[-2] != b[-2]:
        return False
    dims = len(a) - 11 - a[-2]
    diff = np.abs(np.frombuffer(a[:dims], np.uint8).astype(int) - np.frombuffer(b[:dims], np.uint8).astype(int))
    return a[dims:] == b[dims:] and int(diff.max(initial=0)) <= 1


def f64_ulps(a: bytes, b: bytes) -> int:
    """The largest distance in units of the last place between two float64 blobs' elements."""
    x = np.frombuffer(a[:-1], "<i8").astype(object)
    y = np.frombuffer(b[:-1], "<i8").astype(object)
    return max((abs(int(p) - int(q)) for p, q in zip(x, y)), default=0)


def parse_text(text: str) -> F64Array:
    inner = text.strip()[1:-1].strip()
    return np.array([float(s) for s in inner.split(",")] if inner else [], dtype=np.float64)


def cases(seed: int, count: int) -> Iterator[tuple[np.random.Generator, int, F32Array]]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        dims = int(rng.choice(DIMS))
        yield rng, dims, random_vector(rng, dims)


# --- blobs ---------------------------------------------------------------------------------------


def assert_same_blob(ours: Outcome, theirs: Outcome, sql: str, params: Sequence[Any]) -> None:
    assert ours.ok and theirs.ok, (where(sql, params, SEED), ours, theirs)
    a, b = ours.value, theirs.value
    assert isinstance(a, bytes) and isinstance(b, bytes), (where(sql, params), a, b)
    if a == b:
        return
    assert mask_f8_padding(a) == a, f"embedlite's f8 padding is not zero: {where(sql, params)}"
    if mask_f8_padding(b) == a:
        return  # libSQL's uninitialised f8 padding
    if f8_without_codes(a) == f8_without_codes(mask_f8_padding(b)) is not None:
        # alpha is 0 (elements distinct as float64 but equal as float32): the codes are multiplied
        # by 0 and any will do; libSQL computes some from the float64 differences, embedlite 0.
        return
    if "vector8(vector64(" in sql and f8_codes_off_by_one(a, mask_f8_padding(b)):
        # Known incompatibility (test_f8_from_f64_matches_libsql): libSQL quantizes float64
        # elements in double precision, embedlite after rounding them to float32, so a code on a
        # rounding tie can differ by one.
        return
    if len(a) == len(b) and a[-1:] == b[-1:] == b"\x02" and len(a) % 8 == 1 and f64_ulps(a, b) <= 1:
        # libSQL's text-to-double (SQLite's sqlite3AtoF) is not always correctly rounded; ours is.
        return
    raise AssertionError(f"blob differs: {where(sql, params, SEED)}\n embedlite {a.hex()}\n libsql    {b.hex()}")


def test_blobs_from_text_match_libsql(ours: Oracle, lib: Oracle) -> None:
    checked = 0
    for rng, _dims, v in cases(SEED, 1000):
        text = to_text(rng, v)
        for fn in ["vector", *CONSTRUCTORS]:
            sql = f"SELECT {fn}(?)"
            a, b = both(ours, lib, sql, [text])
            assert_same_blob(a, b, sql, [text])
            checked += 1
        # embedlite's float64 parse is the correctly rounded one (Python's float()).
        blob = ours.one("SELECT vector64(?)", [text]).value
        assert blob == np.array(parse_text(text), "<f8").tobytes() + b"\x02", where("vector64", [text])
    assert checked == 1000 * 7


def test_float64_text_full_precision(ours: Oracle, lib: Oracle) -> None:
    """Random doubles over the whole exponent range, printed with 17 digits: embedlite parses them
    exactly (as Python's float()); libSQL is sometimes one unit in the last place off."""
    rng = np.random.default_rng(SEED + 1)
    off_by_one_ulp = 0
    for _ in range(300):
        dims = int(rng.choice(DIMS[:5]))
        values = rng.standard_normal(dims) * 10.0 ** rng.uniform(-300, 300, dims)
        text = "[" + ",".join(repr(float(x)) for x in values) + "]"
        a, b = both(ours, lib, "SELECT vector64(?)", [text])
        assert a.value == values.astype("<f8").tobytes() + b"\x02", where("vector64", [text], SEED + 1)
        assert isinstance(b.value, bytes) and f64_ulps(a.value, b.value) <= 1, (text, b)
        off_by_one_ulp += a.value != b.value
    assert off_by_one_ulp < 30  # observed: a few per thousand elements, at large exponents


@pytest.mark.xfail(strict=True, reason="known: embedlite quantizes float64 to float8 through float32")
def test_f8_from_f64_matches_libsql(ours: Oracle, lib: Oracle) -> None:
    # The middle code: (2.7 - 2.5) / (0.4 / 255) is a rounding tie, decided differently in f32.
    sql = "SELECT hex(vector8(vector64('[2.9,2.7,2.5]')))"
    a, b = both(ours, lib, sql)
    assert b.value == "FF7F00006A9ACD3A00002040000104"
    assert a.value == b.value, (sql, a.value)


def test_conversions_between_every_pair_match_libsql(ours: Oracle, lib: Oracle) -> None:
    pairs = [(f, g) for f in CONSTRUCTORS for g in CONSTRUCTORS]
    for rng, _dims, v in cases(SEED + 2, 150):
        text = to_text(rng, v)
        for f, g in pairs:
            sql = f"SELECT {f}({g}(?))"
            a, b = both(ours, lib, sql, [text])
            assert_same_blob(a, b, sql, [text])
        # and through a third type, from a blob parameter rather than text
        f, g, h = (str(x) for x in rng.choice(list(CONSTRUCTORS), 3))
        blob = ours.one(f"SELECT {h}(?)", [text]).value
        sql = f"SELECT {f}({g}(?))"
        a, b = both(ours, lib, sql, [blob])
        assert_same_blob(a, b, sql, [blob])


# --- vector_extract ------------------------------------------------------------------------------


# How far (relative) the shortest text of an element may be from it: half a unit in the last
# place — a whole one for bfloat16, which libSQL (and so embedlite) rounds from float32 by
# truncation. f8 elements are float32 values.
TEXT_RTOL = {"f32": 2.0**-24, "f8": 2.0**-24, "f16": 2.0**-11, "bf16": 2.0**-7, "f64": 0.0, "1bit": 0.0}
# The same for subnormal elements, absolute: half the subnormal spacing (all of it for bfloat16).
TEXT_ATOL = {"f32": 2.0**-150, "f8": 2.0**-150, "f16": 2.0**-25, "bf16": 2.0**-133, "f64": 0.0, "1bit": 0.0}


def test_extract_matches_libsql_and_reads_back(ours: Oracle, lib: Oracle) -> None:
    for rng, _dims, v in cases(SEED + 3, 400):
        text = to_text(rng, v)
        for fn, kind in CONSTRUCTORS.items():
            blob = ours.one(f"SELECT {fn}(?)", [text]).value
            sql = "SELECT vector_extract(?)"
            a, b = both(ours, lib, sql, [blob])
            assert a.ok and b.ok, (where(sql, [blob], SEED + 3), a, b)
            x, y = parse_text(a.value), parse_text(b.value)
            _, stored = decode(blob)
            # libSQL prints 6 significant digits (documented difference); embedlite the shortest
            # text that reads back to the stored value: within half a unit in the last place of
            # the element type.
            np.testing.assert_allclose(y, stored, rtol=6e-6, atol=1e-44, err_msg=where(sql, [blob]))
            np.testing.assert_allclose(x, stored, rtol=TEXT_RTOL[kind], atol=TEXT_ATOL[kind], err_msg=where(sql, [blob]))
            if kind != "f8":  # re-quantizing f8 text picks new alpha/shift
                back = ours.one(f"SELECT {fn}(?)", [a.value]).value
                assert back == blob, f"{fn} text does not read back: {a.value}"


# --- distances -----------------------------------------------------------------------------------

# Absolute tolerance of the cosine distance (range 0..2) and relative tolerance of L2, embedlite
# against libSQL and against the exact float64 distance of the stored elements. libSQL sums in
# float32; simsimd's float32 cosine uses an approximate reciprocal square root (~1e-7..1e-9).
COS_ATOL = {"f32": 1e-5, "f64": 1e-6, "f16": 2e-5, "bf16": 2e-5, "f8": 5e-5}
L2_RTOL = {"f32": 1e-5, "f64": 1e-5, "f16": 1e-4, "bf16": 1e-4, "f8": 1e-4}


def exact_cos(a: F64Array, b: F64Array) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0 or nb == 0:
        return 0.0 if na == nb else 1.0
    return max(0.0, 1.0 - float(a @ b) / (na * nb))


def pair(rng: np.random.Generator, dims: int, v: F32Array) -> F32Array:
    """A second vector: independent, or near `v` (small distances are the hard case)."""
    if rng.random() < 0.5:
        return random_vector(rng, dims)
    noise = rng.standard_normal(dims) * float(np.abs(v).max() + 1e-3) * 10.0 ** rng.uniform(-4, 0)
    out: F32Array = np.clip(v * rng.uniform(0.5, 2) + noise, -6e4, 6e4).astype(np.float32)
    return out


def test_distances_match_libsql(ours: Oracle, lib: Oracle) -> None:
    for rng, dims, v in cases(SEED + 4, 800):
        w = pair(rng, dims, v)
        for fn, kind in CONSTRUCTORS.items():
            blobs = [ours.one(f"SELECT {fn}(?)", [to_text(rng, x)]).value for x in (v, w)]
            _, x = decode(blobs[0])
            _, y = decode(blobs[1])
            for metric in ("cos", "l2"):
                sql = f"SELECT vector_distance_{metric}(?, ?)"
                a, b = both(ours, lib, sql, blobs)
                msg = where(sql, blobs, SEED + 4)
                if kind == "1bit":
                    if metric == "l2":  # not defined for bits, in both
                        assert not a.ok and not b.ok, (msg, a, b)
                    else:  # Hamming distance, exactly
                        assert a.value == b.value == float(np.count_nonzero(x != y)), (msg, a, b)
                    continue
                assert a.ok and b.ok, (msg, a, b)
                if metric == "cos":
                    exact = exact_cos(x, y)
                    if b.value is None:  # libSQL: NULL for a zero vector (documented difference)
                        assert not (x.any() and y.any()), (msg, a)
                    else:
                        assert abs(a.value - b.value) <= COS_ATOL[kind], (msg, a, b)
                    assert abs(a.value - exact) <= COS_ATOL[kind], (msg, a, exact)
                else:
                    exact = float(np.linalg.norm(x - y))
                    assert math.isclose(a.value, b.value, rel_tol=L2_RTOL[kind], abs_tol=1e-30), (msg, a, b)
                    assert math.isclose(a.value, exact, rel_tol=L2_RTOL[kind], abs_tol=1e-30), (msg, a, exact)


def test_bf16_l2_matches_libsql(ours: Oracle, lib: Oracle) -> None:
    """simsimd's bf16 L2 kernel on CPUs with AVX-512 BF16 (its "genoa" path) rounds each difference
    a_i - b_i to bfloat16, ~0.3% off; the SQL functions widen bf16 elements to f64 instead."""
    worst = 0.0
    for rng, dims, v in cases(SEED + 5, 200):
        w = pair(rng, dims, v)
        blobs = [ours.one("SELECT vectorb16(?)", [to_text(rng, x)]).value for x in (v, w)]
        a, b = both(ours, lib, "SELECT vector_distance_l2(?, ?)", blobs)
        exact = float(np.linalg.norm(decode(blobs[0])[1] - decode(blobs[1])[1]))
        assert math.isclose(b.value, exact, rel_tol=1e-5, abs_tol=1e-30)
        if exact > 0:
            worst = max(worst, abs(a.value - exact) / exact)
    assert worst <= L2_RTOL["bf16"], f"embedlite's bf16 L2 is off by {worst:.2%} (relative)"


def test_distance_edge_cases(ours: Oracle, lib: Oracle) -> None:
    same = [
        "SELECT vector_distance_cos('[1,2]', '[1,2]')",
        "SELECT vector_distance_l2('[]', '[]')",
        "SELECT vector_distance_cos(vector16('[60000,60000]'), vector16('[60000,1]'))",
        "SELECT vector_distance_l2(vector16('[60000,60000]'), vector16('[-60000,1]'))",
        "SELECT vector_distance_cos(vector1bit('[1,-1,1,1,1,1,1,1,1]'), vector1bit('[-1,1,1,1,1,1,1,1,-1]'))",
        "SELECT typeof(vector_distance_cos('[1]', '[2]'))",
    ]
    for sql in same:
        a, b = both(ours, lib, sql)
        assert a.ok and b.ok, (sql, a, b)
        # abs: simsimd's float32 cosine of identical vectors is ~4e-9, not 0
        if isinstance(b.value, str):
            assert a.value == b.value, (sql, a, b)
        else:
            assert a.value == pytest.approx(b.value, rel=1e-6, abs=1e-7), (sql, a, b)


# --- errors --------------------------------------------------------------------------------------

BAD_TEXTS = [
    "", "1,2", "[1,2", "[", "]", "[1,,2]", "[,1]", "[1,2,]", "[1]]", "[[1]]", "[1e]", "[--1]",
    "[1.2.3]", "[0x10]", "[inf]", "[-inf]", "[nan]", "[a]", "[1,2]x", "abc", "[1;2]", "[1,'2']",
]  # fmt: skip
BAD_BLOBS = [
    bytes.fromhex(h)
    for h in (
        "00",  # unknown type byte 0
        "000000",  # unknown type byte 0
        "0000803f07",  # unknown type byte 7
        "0000803fff",  # unknown type byte 255
        "0000",  # float32 body not a multiple of 4
        "0000803f0000",  # float32 body not a multiple of 4
        "0000803f02",  # float64 body not a multiple of 8
        "00000000000000000000803f02",  # float64 body not a multiple of 8
        "00ff03",  # float1bit: trailing-bits count past the blob ("out of memory" in libSQL)
        "00000000000000000000000304",  # float8: pad byte 3 leaves -1 dimensions …
        "0000000000000000000000ff04",  # … and 255 fewer still
    )
]
NOT_VECTORS: list[Any] = [None, 1, 0, -7, 1.5]


def assert_both_error(ours: Oracle, lib: Oracle, sql: str, params: Sequence[Any]) -> None:
    a, b = both(ours, lib, sql, params)
    assert not a.ok and not b.ok, f"{where(sql, params)}: embedlite {a}, {lib.name} {b}"


def one_arg_calls() -> list[str]:
    return [
        *(f"SELECT {fn}(?)" for fn in ["vector", *CONSTRUCTORS, "vector_extract"]),
        "SELECT vector_distance_cos(?, '[1]')",
        "SELECT vector_distance_l2('[1]', ?)",
    ]


def test_malformed_text_is_an_error_in_both(ours: Oracle, lib: Oracle) -> None:
    for text in BAD_TEXTS:
        for sql in one_arg_calls():
            assert_both_error(ours, lib, sql, [text])


def test_malformed_blobs_are_errors_in_both(ours: Oracle, lib: Oracle) -> None:
    for blob in BAD_BLOBS:
        for sql in one_arg_calls():
            if len(blob) % 4 == 2 and ("extract" in sql or "distance" in sql):
                continue  # libSQL reads these there: test_observed_libsql_quirks
            assert_both_error(ours, lib, sql, [blob])


def test_non_vectors_are_errors_in_both(ours: Oracle, lib: Oracle) -> None:
    for value in NOT_VECTORS:
        for sql in one_arg_calls():
            assert_both_error(ours, lib, sql, [value])
        assert_both_error(ours, lib, "SELECT vector_distance_cos(?, ?)", [value, value])


def test_mismatched_dimensions_and_types_are_errors_in_both(ours: Oracle, lib: Oracle) -> None:
    rng = np.random.default_rng(SEED + 6)
    kinds = list(CONSTRUCTORS)
    for _ in range(40):
        d1, d2 = (int(d) for d in rng.choice(DIMS, 2, replace=False))
        t1, t2 = to_text(rng, random_vector(rng, d1)), to_text(rng, random_vector(rng, d2))
        for fn in kinds:
            for metric in ("cos", "l2"):
                assert_both_error(ours, lib, f"SELECT vector_distance_{metric}({fn}(?), {fn}(?))", [t1, t2])
    for f in kinds:
        for g in kinds:
            if f != g:
                for metric in ("cos", "l2"):
                    sql = f"SELECT vector_distance_{metric}({f}('[1,2,3]'), {g}('[1,2,3]'))"
                    assert_both_error(ours, lib, sql, [])


def header_dims(blob: bytes) -> int | None:
    """The dimensions libSQL reads from a typed blob's trailing bytes, if its type is f8 or 1-bit."""
    if blob[-1] == 3 and len(blob) >= 2:
        return 8 * (len(blob) - 1) - blob[-2]
    if blob[-1] == 4 and len(blob) >= 2:
        return len(blob) - 11 - blob[-2]
    return None


def blob_len(kind: str, dims: int) -> int:
    """The length of the blob of a `kind` vector of `dims` dimensions, as libSQL writes it."""
    if kind == "f8":
        return (dims + 3) // 4 * 4 + 11
    data = (dims + 7) // 8
    return data + (3 if data % 2 == 0 else 2)


def same_elements(a: bytes, b: bytes) -> bool:
    """Equal float32 blobs, taking every NaN as equal (libSQL canonicalises NaN payloads)."""
    x, y = np.frombuffer(a, "<f4"), np.frombuffer(b, "<f4")
    return x.shape == y.shape and bool(np.all((x == y) | (np.isnan(x) & np.isnan(y))))


def test_random_blobs(ours: Oracle, lib: Oracle) -> None:
    """Random bytes with random type bytes: whatever libSQL rejects, embedlite rejects; whatever both
    accept decodes to the same elements. embedlite rejects more, in the documented ways only."""
    rng = np.random.default_rng(SEED + 7)
    accepted = 0
    for _ in range(10000):
        n = int(rng.integers(1, 48))
        raw = bytearray(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
        if rng.random() < 0.8:
            raw[-1] = int(rng.integers(0, 8))
        if n > 1 and rng.random() < 0.5:
            raw[-2] = int(rng.integers(0, 24))
        blob = bytes(raw)
        a, b = both(ours, lib, "SELECT vector32(?)", [blob])
        if not b.ok:
            assert not a.ok, where("SELECT vector32(?)", [blob], SEED + 7)
        elif not a.ok:
            # libSQL trusts the trailing-bits (1-bit) and padding (f8) bytes and reads past the
            # data; embedlite requires the length they imply (vector/src/types/blob.rs).
            dims = header_dims(blob)
            kind = "1bit" if blob[-1] == 3 else "f8"
            assert dims is not None and blob_len(kind, max(dims, 0)) != len(blob), (where("vector32", [blob]), a)
        else:
            assert same_elements(a.value, b.value), where("SELECT vector32(?)", [blob], SEED + 7)
            accepted += 1
        # vector_extract: where libSQL's conversion rejects the blob, embedlite's extract does too
        # (libSQL's vector_extract prints bytes past the end of some of them instead).
        e = ours.one("SELECT vector_extract(?)", [blob])
        assert e.ok == a.ok, (where("vector_extract", [blob]), e, a)
        if e.ok and b.ok:
            kind, stored = decode(blob)
            np.testing.assert_allclose(parse_text(e.value), stored, rtol=TEXT_RTOL[kind], atol=TEXT_ATOL[kind],
                                       err_msg=where("vector_extract", [blob], SEED + 7))
    assert accepted > 2000


# --- Turso: vector_distance_dot, vector_concat, vector_slice --------------------------------------

TURSO_TYPES = ("vector32", "vector64", "vector8", "vector1bit")  # Turso has no vector16/vectorb16


def test_dot_matches_turso(ours: Oracle, turso_db: Oracle) -> None:
    for rng, dims, v in cases(SEED + 8, 500):
        w = pair(rng, dims, v)
        for fn in TURSO_TYPES:
            blobs = [ours.one(f"SELECT {fn}(?)", [to_text(rng, x)]).value for x in (v, w)]
            sql = "SELECT vector_distance_dot(?, ?)"
            a, b = both(ours, turso_db, sql, blobs)
            assert a.ok and b.ok, (where(sql, blobs, SEED + 8), a, b)
            x, y = decode(blobs[0])[1], decode(blobs[1])[1]
            scale = float(np.linalg.norm(x) * np.linalg.norm(y))
            for other in (b.value, -float(x @ y)):
                assert abs(a.value - other) <= 1e-5 * scale + 1e-30, (where(sql, blobs), a, other)
    for fn in ("vector16", "vectorb16"):  # no Turso oracle: the exact value
        a = ours.one(f"SELECT vector_distance_dot({fn}('[1,2,-3]'), {fn}('[4,0.5,2]'))")
        assert a.value == -(4 + 1 - 6)


def test_concat_and_slice_match_turso(ours: Oracle, turso_db: Oracle) -> None:
    rng = np.random.default_rng(SEED + 9)
    for _ in range(200):
        fn = ("vector32", "vector64")[int(rng.integers(2))]
        d1, d2 = int(rng.choice((0, *DIMS))), int(rng.choice((0, *DIMS)))
        t1, t2 = (to_text(rng, random_vector(rng, d)) for d in (d1, d2))
        sql = f"SELECT vector_concat({fn}(?), {fn}(?))"
        a, b = both(ours, turso_db, sql, [t1, t2])
        assert a.ok and b.ok and a.value == b.value, (where(sql, [t1, t2], SEED + 9), a, b)
        start = int(rng.integers(0, d1 + 1))
        end = int(rng.integers(start, d1 + 1))
        sql = f"SELECT vector_slice({fn}(?), ?, ?)"
        a, b = both(ours, turso_db, sql, [t1, start, end])
        assert a.ok and b.ok and a.value == b.value, (where(sql, [t1, start, end], SEED + 9), a, b)


def test_concat_slice_dot_errors_match_turso(ours: Oracle, turso_db: Oracle) -> None:
    errors: list[tuple[str, list[Any]]] = [
        ("SELECT vector_concat('[1,2]', vector64('[3]'))", []),
        ("SELECT vector_concat('[1]', ?)", [None]),
        ("SELECT vector_concat(?, '[1]')", [3]),
        ("SELECT vector_concat('[1', '[1]')", []),
        ("SELECT vector_slice(vector('[1,2,3,4]'), 3, 1)", []),
        ("SELECT vector_slice(vector('[1,2,3,4]'), -1, 2)", []),
        ("SELECT vector_slice(vector('[1,2,3,4]'), 0, 5)", []),
        ("SELECT vector_slice(vector('[1,2,3,4]'), ?, 2)", ["1"]),
        ("SELECT vector_slice(vector('[1,2,3,4]'), ?, 2)", [1.0]),
        ("SELECT vector_slice(vector('[1,2,3,4]'), ?, 2)", [None]),
        ("SELECT vector_slice(?, 0, 1)", [None]),
        ("SELECT vector_distance_dot('[1]', '[1,2]')", []),
        ("SELECT vector_distance_dot('[1]', vector64('[1]'))", []),
        ("SELECT vector_distance_dot(?, '[1]')", [None]),
        ("SELECT vector_distance_dot(?, '[1]')", [b"\x00\xff\x03"]),
    ]
    for sql, params in errors:
        assert_both_error(ours, turso_db, sql, params)


def test_concat_and_slice_of_f8_and_bits(ours: Oracle) -> None:
    """Beyond Turso (which refuses float8 and float1bit here): bits are sliced and joined exactly,
    float8 elements re-quantized over the result."""
    rng = np.random.default_rng(SEED + 10)
    for _ in range(60):
        d1, d2 = int(rng.choice(DIMS)), int(rng.choice(DIMS))
        t1, t2 = (to_text(rng, random_vector(rng, d)) for d in (d1, d2))
        start = int(rng.integers(0, d1 + 1))
        end = int(rng.integers(start, d1 + 1))
        for fn in ("vector1bit", "vector8"):
            x = decode(ours.one(f"SELECT {fn}(?)", [t1]).value)[1]
            y = decode(ours.one(f"SELECT {fn}(?)", [t2]).value)[1]
            joined = decode(ours.one(f"SELECT vector_concat({fn}(?), {fn}(?))", [t1, t2]).value)
            part = decode(ours.one(f"SELECT vector_slice({fn}(?), ?, ?)", [t1, start, end]).value)
            for (kind, got), want in ((joined, np.concatenate([x, y])), (part, x[start:end])):
                assert kind == CONSTRUCTORS[fn] and got.shape == want.shape
                step = float(want.max() - want.min()) / 255 if want.size else 0.0
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=step * 0.51 + 1e-30)


def test_norm_and_normalize(ours: Oracle) -> None:
    """Neither oracle has these: compared with numpy."""
    for rng, _dims, v in cases(SEED + 11, 100):
        text = to_text(rng, v)
        for fn in CONSTRUCTORS:
            blob = ours.one(f"SELECT {fn}(?)", [text]).value
            kind, x = decode(blob)
            norm = ours.one("SELECT vector_norm(?)", [blob]).value
            assert norm == pytest.approx(float(np.linalg.norm(x)), rel=1e-12)
            unit = ours.one("SELECT vector_normalize(?)", [blob]).value
            ukind, u = decode(unit)
            assert ukind == kind and u.shape == x.shape
            if kind in ("f32", "f64", "f16", "bf16") and norm > 0:
                rtol = {"f32": 1e-6, "f64": 1e-12, "f16": 1e-3, "bf16": 8e-3}[kind]
                np.testing.assert_allclose(u, x / norm, rtol=rtol, atol=1e-7 if kind == "f16" else 1e-30)


# --- documented differences from libSQL ----------------------------------------------------------


def test_documented_differences(ours: Oracle, lib: Oracle) -> None:
    def run(sql: str) -> tuple[Outcome, Outcome]:
        return both(ours, lib, sql)

    # A zero vector under cosine: 1 from a non-zero vector, 0 from itself (Turso's convention);
    # libSQL: NULL, which sorts zero vectors first in ORDER BY vector_distance_cos(...).
    for sql, want in [
        ("SELECT vector_distance_cos('[0,0]', '[1,2]')", 1.0),
        ("SELECT vector_distance_cos('[0,0]', '[0,0]')", 0.0),
        ("SELECT vector_distance_cos('[]', '[]')", 0.0),
    ]:
        a, b = run(sql)
        assert (a.value, b.value) == (want, None), sql
    # libSQL sums float32 products in float32: overflow gives NULL (cosine) or inf (L2), underflow
    # -inf, NULL or 0. embedlite widens float32 and bfloat16 elements to float64.
    cos = 1 - 11 / (5**0.5 * 5)
    for sql, theirs, want in [
        ("SELECT vector_distance_cos('[1e30,1e30]', '[1e30,1e30]')", None, 0.0),
        ("SELECT vector_distance_cos('[1e30,2e30]', '[3e30,4e30]')", None, cos),
        ("SELECT vector_distance_cos(vectorb16('[1e20,2e20]'), vectorb16('[3e20,4e20]'))", None, cos),
        ("SELECT vector_distance_cos('[1e-20,2e-20]', '[3e-20,4e-20]')", -math.inf, cos),
        ("SELECT vector_distance_cos('[1e-30,2e-30]', '[3e-30,4e-30]')", None, cos),
        ("SELECT vector_distance_l2('[1e20,2e20]', '[3e20,4e20]')", math.inf, 8**0.5 * 1e20),
        ("SELECT vector_distance_l2('[1e30,1e30]', '[-1e30,1e30]')", math.inf, 2e30),
        ("SELECT vector_distance_l2('[1e-30,2e-30]', '[3e-30,4e-30]')", 0.0, 8**0.5 * 1e-30),
    ]:
        a, b = run(sql)
        # (rel: bfloat16 rounds the inputs by up to 0.8%)
        close = a.value == pytest.approx(want, rel=2e-2, abs=1e-7 if want == 0 else 0)
        assert b.value == theirs and close, (sql, a, b)
    # Numbers that are not finite in the target type are errors; libSQL stores ±∞.
    for sql, stored in [
        ("SELECT vector('[1e40]')", "0000807f"),
        ("SELECT vector32('[-1e39]')", "000080ff"),
        ("SELECT vector16('[1e5]')", "007c05"),
        ("SELECT vector16('[65520]')", "007c05"),
        ("SELECT vectorb16('[1e39]')", "807f06"),
        ("SELECT vector64('[1e400]')", "000000000000f07f02"),
    ]:
        a, b = run(sql)
        assert "out of range" in str(a.error) and b.value == bytes.fromhex(stored), (sql, a, b)
    # Malformed blobs: an error naming what is wrong; libSQL says "out of memory".
    a, b = run("SELECT vector_extract(x'00FF03')")
    assert "invalid vector blob" in str(a.error) and "out of memory" in str(b.error)
    # vector_extract prints the shortest text that reads back; libSQL six significant digits.
    a, b = run("SELECT vector_extract(vector('[1.1010101]'))")
    assert (a.value, b.value) == ("[1.1010101]", "[1.10101]")
    a, b = run("SELECT vector_extract(vector16(vector64('[0.1]')))")
    assert (a.value, b.value) == ("[0.1]", "[0.0999756]")


def test_observed_libsql_quirks(ours: Oracle, lib: Oracle) -> None:
    """libSQL behaviour that embedlite does not copy (not in the crate docs' list yet)."""
    # libSQL drops the space inside a number list: '[1 2]' is the one-element vector [12].
    a, b = both(ours, lib, "SELECT vector('[1 2]')")
    assert not a.ok and b.value == struct.pack("<f", 12.0)
    # libSQL's vector_extract does not check a float32 blob's length (it prints bytes past the end
    # for longer ones); its vector32 does. embedlite rejects it in both.
    a, b = both(ours, lib, "SELECT vector_extract(x'0000')")
    assert not a.ok and b.value == "[]"
    assert not lib.one("SELECT vector32(x'0000')").ok
    a, b = both(ours, lib, "SELECT vector_distance_cos(x'0000803f0000', '[1]')")
    assert not a.ok and b.ok
    # libSQL leaves the f8 alignment padding uninitialised; embedlite writes zeros.
    blob = ours.one("SELECT vector8('[1,2,3,4,5]')").value
    assert blob[5:8] == bytes(3)
    # Typed columns: libSQL stores any value into F32_BLOB(3); embedlite checks type and dimension.
    lib.con.execute("CREATE TABLE typed(e F32_BLOB(3))")
    ours.con.execute("CREATE TABLE typed(e F32_BLOB(3))")
    for value in ("vector('[1,2]')", "vector64('[1,2,3]')", "5"):
        sql = f"INSERT INTO typed VALUES ({value})"
        lib.con.execute(sql)
        with pytest.raises(embedlite.Error, match="expected a float32 vector of 3 dimensions"):
            ours.con.execute(sql)
    ours.con.execute("INSERT INTO typed VALUES (vector('[1,2,3]'))")
