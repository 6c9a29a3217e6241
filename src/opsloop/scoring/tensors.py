"""Tensor data of the Open Inference Protocol: its datatypes, and how each is written in the
binary tensor data extension (raw little-endian, row-major; ``BOOL`` one byte per element;
``BYTES`` each element a 4-byte little-endian length and then its bytes)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from opsloop.scoring.protocols import BadRequest

_NUMPY = {
    "BOOL": "?", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8",
    "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
    "FP16": "<f2", "FP32": "<f4", "FP64": "<f8",
}  # fmt: skip
# numpy has no bfloat16: BF16 travels as the top half of a float32's bits.
DATATYPES = frozenset((*_NUMPY, "BF16", "BYTES"))
_LENGTH = struct.Struct("<I")


def item_size(datatype: str) -> int | None:
    """Bytes per element, None for BYTES (each element says its own length)."""
    if datatype == "BYTES":
        return None
    return 2 if datatype == "BF16" else np.dtype(_NUMPY[datatype]).itemsize


def decode(datatype: str, raw: memoryview, count: int, where: str) -> np.ndarray:
    """``count`` elements of ``datatype`` from their binary form, as a flat array (BYTES:
    an object array of ``str``, or of ``bytes`` for an element that is not UTF-8)."""
    if datatype == "BYTES":
        return _decode_bytes(raw, count, where)
    size = item_size(datatype)
    assert size is not None
    if len(raw) != count * size:
        raise BadRequest(
            f"{where}: {count} {datatype} values take {count * size} bytes, "
            f"binary_data_size is {len(raw)}",
            400,
        )
    if datatype == "BF16":
        return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    return np.frombuffer(raw, _NUMPY[datatype])


def _decode_bytes(raw: memoryview, count: int, where: str) -> np.ndarray:
    if count * _LENGTH.size > len(raw):  # before the shape's array is allocated
        raise BadRequest(
            f"{where}: {count} BYTES elements take at least {count * _LENGTH.size} bytes "
            f"(a 4-byte length each), binary_data_size is {len(raw)}",
            400,
        )
    values = np.empty(count, dtype=object)
    offset, end = 0, len(raw)
    for index in range(count):
        if offset + 4 > end:
            raise BadRequest(
                f"{where}: the BYTES data ends before element {index} of {count} "
                "(each element is a 4-byte little-endian length, then its bytes)",
                400,
            )
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += 4
        if offset + length > end:
            raise BadRequest(
                f"{where}: BYTES element {index} says {length} bytes, "
                f"{end - offset} are left in its binary data",
                400,
            )
        chunk = bytes(raw[offset : offset + length])
        offset += length
        try:
            values[index] = chunk.decode()
        except UnicodeDecodeError:
            values[index] = chunk
    if offset != end:
        raise BadRequest(
            f"{where}: {end - offset} bytes are left after its {count} BYTES elements", 400
        )
    return values


def encode(values: np.ndarray, datatype: str) -> bytes:
    """The binary form of an array whose datatype is ``datatype_of(values)``."""
    if datatype == "BYTES":
        return b"".join(_length_prefixed(value) for value in values.ravel())
    return np.ascontiguousarray(values, dtype=_NUMPY[datatype]).tobytes()


def _length_prefixed(value: Any) -> bytes:
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode()
    else:  # a record of several outputs, say: as the JSON answer writes it
        data = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    return _LENGTH.pack(len(data)) + data


def datatype_of(values: Any) -> str:
    """The datatype of a prediction array or list."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None:
        return datatype_of_dtype(dtype)
    first = values[0] if values else 0.0
    if isinstance(first, bool):
        return "BOOL"
    if isinstance(first, int):
        return "INT64"
    return "FP64" if isinstance(first, float) else "BYTES"


def datatype_of_dtype(dtype: np.dtype[Any]) -> str:
    if dtype.kind in "fiu":
        prefix = {"f": "FP", "i": "INT", "u": "UINT"}[dtype.kind]
        name = f"{prefix}{dtype.itemsize * 8}"
        return name if name in _NUMPY else "FP64"  # float128, say: answered as FP64
    return "BOOL" if dtype.kind == "b" else "BYTES"
