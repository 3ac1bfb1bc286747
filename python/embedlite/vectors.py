"""Vector blobs <-> numpy arrays.

A vector column holds libSQL's blob encoding (all little-endian):

============  ================================================================  =================
type          layout                                                            length
============  ================================================================  =================
``float32``   ``n`` x f32, no type byte (``F32_BLOB``; a trailing ``0x01`` ok)   ``4n`` (``4n+1``)
``float64``   ``n`` x f64, ``0x02``                                             ``8n + 1``
``float16``   ``n`` x binary16, ``0x05``                                        ``2n + 1``
``bfloat16``  ``n`` x bfloat16, ``0x06``                                        ``2n + 1``
``float8``    codes, padding, ``alpha: f32``, ``shift: f32``, ``0, p, 0x04``      ``n + p + 11``
``float1bit`` bits, pad, ``t``, ``0x03``                                        ``ceil(n/8)+2|3``
============  ================================================================  =================

Binding goes the other way in the native module: a 1-D ``float32``/``float16``/``float64``
array (or a ``list``, as float32) passed as a parameter is stored in this encoding, and
``Connection.insert_vectors`` stores the rows of an ``(n, d)`` array. numpy is imported only
when these helpers are called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

BlobLike = Union[bytes, bytearray, memoryview]

_TAG_F32 = 1
_TAG_F64 = 2
_TAG_F1BIT = 3
_TAG_F8 = 4
_TAG_F16 = 5
_TAG_BF16 = 6


def _decode(blob: BlobLike) -> npt.NDArray[Any]:
    import numpy as np

    data = memoryview(blob).cast("B")
    n = len(data)
    if n == 0:
        raise ValueError("an empty blob is not a vector")
    if n % 2 == 0:
        return np.frombuffer(data, dtype="<f4")
    tag = data[-1]
    body = data[:-1]
    if tag == _TAG_F32:
        return np.frombuffer(body, dtype="<f4")
    if tag == _TAG_F64:
        return np.frombuffer(body, dtype="<f8")
    if tag == _TAG_F16:
        return np.frombuffer(body, dtype="<f2")
    if tag == _TAG_BF16:
        bits = np.frombuffer(body, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    if tag == _TAG_F8:
        pad = data[-2]
        dims = n - pad - 11
        if dims <= 0:
            raise ValueError(f"malformed float8 vector blob of {n} bytes")
        codes = np.frombuffer(body[:dims], dtype=np.uint8)
        scale = np.frombuffer(body[dims + pad : dims + pad + 8], dtype="<f4")
        decoded: npt.NDArray[np.float32] = codes.astype(np.float32) * scale[0] + scale[1]
        return decoded
    if tag == _TAG_F1BIT:
        trailing = data[-2]
        dims = 8 * (n - 1) - trailing
        if dims <= 0:
            raise ValueError(f"malformed float1bit vector blob of {n} bytes")
        unpacked = np.unpackbits(np.frombuffer(body, dtype=np.uint8), bitorder="little")[:dims]
        return np.where(unpacked == 1, np.float32(1.0), np.float32(-1.0)).astype(np.float32)
    raise ValueError(f"not a vector blob: unknown type byte {tag} (length {n})")


def vector_from_blob(blob: BlobLike, dtype: Optional[npt.DTypeLike] = None) -> npt.NDArray[Any]:
    """Decodes one vector blob into a 1-D numpy array.

    ``float32``/``float16``/``float64`` blobs come back in their own type as a read-only view of
    the blob (no copy); ``bfloat16``, ``float8`` and ``float1bit`` blobs come back as ``float32``.
    With ``dtype``, the result is converted (copying only if the type differs).
    """
    arr = _decode(blob)
    return arr if dtype is None else arr.astype(dtype, copy=False)


def vectors_from_blobs(blobs: Iterable[BlobLike], dtype: Optional[npt.DTypeLike] = None) -> npt.NDArray[Any]:
    """Decodes vector blobs of equal dimensions into an ``(n, d)`` array (``(0, 0)`` if none).

    Typical use: ``vectors_from_blobs(b for (b,) in con.execute("SELECT emb FROM docs"))``.
    """
    import numpy as np

    items = [bytes(b) if not isinstance(b, bytes) else b for b in blobs]
    if not items:
        return np.zeros((0, 0), dtype=np.float32 if dtype is None else dtype)
    first = len(items[0])
    if first % 2 == 0 and all(len(b) == first for b in items):
        # All plain F32 blobs of one size: one join, one reshape.
        out = np.frombuffer(b"".join(items), dtype="<f4").reshape(len(items), first // 4)
    else:
        rows = [_decode(b) for b in items]
        dims = {r.shape[0] for r in rows}
        if len(dims) != 1:
            raise ValueError(f"vectors of different dimensions: {sorted(dims)}")
        out = np.stack(rows)
    return out if dtype is None else out.astype(dtype, copy=False)

