"""Open Inference Protocol V2 inference requests (``POST /v2/models/<m>/infer``).

A request is a JSON object of typed tensors. With the binary tensor data extension (what
``tritonclient`` sends by default) the body is that JSON, ``Inference-Header-Content-Length``
bytes long, followed by the raw data of every input whose ``parameters.binary_data_size``
says how many bytes it takes, in the order of ``inputs``. The request also says how the
answer is wanted: its ``id``, and binary or JSON outputs (``parameters.binary_data_output``,
or an output's ``parameters.binary_data``); JSON when nothing asks for binary.

Either way the tensors become ``Rows``: one 2-D tensor is a matrix of rows, several 1-D
tensors (or ``[n, 1]``) are named columns.

Status codes: 400 when the body cannot be read as a V2 request (its framing, its
``parameters`` or ``outputs``), 422 when it can but its tensors do not hold what they say.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from opsloop.scoring import tensors
from opsloop.scoring.protocols import BadRequest, Rows, check_unique, columnar, load_json

# Infer answers one tensor of predictions under this name.
OUTPUT_NAME = "predict"
_JSON_KINDS = {
    **dict.fromkeys(("FP16", "BF16", "FP32", "FP64"), float),
    **dict.fromkeys(("UINT8", "UINT16", "UINT32", "UINT64"), int),
    **dict.fromkeys(("INT8", "INT16", "INT32", "INT64"), int),
    "BOOL": bool,
    "BYTES": str,
}
_KEYS = ("name", "shape", "datatype", "data")


class V2Reply(NamedTuple):
    """What a V2 request asks of its answer."""

    request_id: str | None
    binary: bool  # the predictions as binary tensor data after the JSON header


def parse_v2(body: bytes, header_length: bytes | None = None) -> Rows:
    """``header_length``: the ``Inference-Header-Content-Length`` header, if the request
    has one. The rows' ``reply`` is a ``V2Reply``."""
    if header_length is None:
        document = _load(body)
        binary = None
    else:
        length = _json_length(header_length, len(body))
        document = _load(body[:length])
        binary = memoryview(body)[length:]
    if not isinstance(document, dict) or not isinstance(document.get("inputs"), list):
        raise BadRequest('the body must be an object with an "inputs" list of tensors')
    parsed = []
    offset = 0
    for index, tensor in enumerate(document["inputs"]):
        name, shape, values, offset = _tensor(tensor, index, binary, offset)
        parsed.append((name, shape, values))
    if not parsed:
        raise BadRequest("inputs holds no tensors")
    if binary is not None and offset != len(binary):
        raise BadRequest(
            f"the body has {len(binary) - offset} bytes after the JSON header that no input "
            "claims (the inputs' parameters.binary_data_size add up to "
            f"{offset}, Inference-Header-Content-Length leaves {len(binary)})",
            400,
        )
    reply = _reply(document)
    if len(parsed) == 1 and len(parsed[0][1]) == 2:
        _, shape, values = parsed[0]
        if isinstance(values, np.ndarray):
            return Rows(None, values.reshape(shape), None, reply)
        width = shape[1]
        matrix = [values[i * width : (i + 1) * width] for i in range(shape[0])]
        return Rows(None, matrix, None, reply)
    check_unique([name for name, _, _ in parsed], "inputs")
    columns: dict[str, list[Any]] = {}
    for name, shape, values in parsed:
        if len(shape) != 1 and not (len(shape) == 2 and shape[1] == 1):
            raise BadRequest(
                f"tensor {name!r}: with several tensors each must be one column of shape [n]"
            )
        columns[name] = values.tolist() if isinstance(values, np.ndarray) else values
    return columnar(columns, "inputs")._replace(reply=reply)


def _load(json_part: bytes) -> Any:
    try:
        return load_json(json_part)
    except BadRequest as exc:
        if "not valid JSON" not in exc.message:
            raise
        raise BadRequest(
            f"{exc.message} (a body with binary tensor data needs the "
            "Inference-Header-Content-Length header: the length of its JSON part)",
            400,
        ) from None


def _json_length(header: bytes, body_length: int) -> int:
    digits = header.strip()
    if not digits.isdigit():  # ASCII digits only (str.isdigit takes "²" as well)
        raise BadRequest(
            f"the Inference-Header-Content-Length header must be a whole number of bytes, "
            f"got {digits[:40].decode('latin-1')!r}",
            400,
        )
    # Past 15 digits no body is that long (and int() refuses a number of 4,300 digits).
    length = int(digits) if len(digits) <= 15 else body_length + 1
    if length > body_length:
        raise BadRequest(
            f"the Inference-Header-Content-Length header says {digits[:40].decode()} bytes of "
            f"JSON, the body has only {body_length}",
            400,
        )
    return length


def _tensor(
    tensor: Any, index: int, binary: memoryview | None, offset: int
) -> tuple[str, list[int], list[Any] | np.ndarray, int]:
    """(name, shape, flat values, offset of the next input's binary data)."""
    where = f"inputs[{index}]"
    if not isinstance(tensor, dict):
        raise BadRequest(f"{where} must be an object with name, shape, datatype and data")
    size = _binary_size(tensor, where)
    needed = _KEYS if size is None else _KEYS[:3]
    missing = [key for key in needed if key not in tensor]
    if missing:
        raise BadRequest(f"{where} lacks {', '.join(missing)}")
    name, shape, datatype = tensor["name"], tensor["shape"], tensor["datatype"]
    if datatype not in tensors.DATATYPES:
        raise BadRequest(f"{where}: unknown datatype {datatype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise BadRequest(f"{where}: shape must be a list of non-negative integers")
    if size is None:
        return str(name), shape, _json_values(tensor["data"], datatype, shape, where), offset
    if "data" in tensor:
        raise BadRequest(
            f"{where} has both data and parameters.binary_data_size: send its values one way",
            400,
        )
    if binary is None:
        raise BadRequest(
            f"{where} has parameters.binary_data_size but the request has no "
            "Inference-Header-Content-Length header (the length of its JSON part)",
            400,
        )
    end = offset + size
    if end > len(binary):
        raise BadRequest(
            f"{where}: parameters.binary_data_size is {size} bytes, the body has "
            f"{len(binary) - offset} left after the JSON header and the inputs before it",
            400,
        )
    values = tensors.decode(datatype, binary[offset:end], math.prod(shape), where)
    return str(name), shape, values, end


def _binary_size(tensor: dict[str, Any], where: str) -> int | None:
    parameters = tensor.get("parameters")
    if parameters is None:
        return None
    if not isinstance(parameters, dict):
        raise BadRequest(f"{where}.parameters must be an object", 400)
    size = parameters.get("binary_data_size")
    if size is None:
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadRequest(
            f"{where}.parameters.binary_data_size must be a whole number of bytes, got {size!r}",
            400,
        )
    return size


def _json_values(data: Any, datatype: str, shape: list[int], where: str) -> list[Any]:
    flat = _flatten(data)
    expected = math.prod(shape)
    if len(flat) != expected:
        raise BadRequest(f"{where}: shape {shape} needs {expected} values, data has {len(flat)}")
    kind = _JSON_KINDS[datatype]
    for value in flat:
        if not _fits(value, kind):
            raise BadRequest(f"{where}: value {value!r} is not {datatype}")
    return flat


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    if data and isinstance(data[0], list):
        return [value for item in data for value in _flatten(item)]
    return data


def _fits(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _reply(document: dict[str, Any]) -> V2Reply:
    request_id = document.get("id")
    parameters = document.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise BadRequest("parameters must be an object", 400)
    binary = _flag(parameters, "binary_data_output", "parameters", default=False)
    outputs = document.get("outputs")
    if outputs is not None and not isinstance(outputs, list):
        raise BadRequest("outputs must be a list of objects with a name", 400)
    for index, output in enumerate(outputs or ()):
        where = f"outputs[{index}]"
        if not isinstance(output, dict) or not isinstance(output.get("name"), str):
            raise BadRequest(f"{where} must be an object with a name", 400)
        if output["name"] != OUTPUT_NAME:
            raise BadRequest(
                f"{where}: no output {output['name']!r}; the model answers one, {OUTPUT_NAME!r}",
                400,
            )
        output_parameters = output.get("parameters")
        if output_parameters is not None and not isinstance(output_parameters, dict):
            raise BadRequest(f"{where}.parameters must be an object", 400)
        if output_parameters and output_parameters.get("classification"):
            raise BadRequest(
                f"{where}.parameters.classification: the classification extension is not "
                "supported; ask for the predictions",
                400,
            )
        binary = _flag(output_parameters, "binary_data", f"{where}.parameters", default=binary)
    return V2Reply(None if request_id is None else str(request_id), binary)


def _flag(parameters: dict[str, Any] | None, key: str, where: str, *, default: bool) -> bool:
    value = (parameters or {}).get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"{where}.{key} must be true or false, got {value!r}", 400)
    return value
