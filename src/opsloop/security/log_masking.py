"""Masking secrets in the logs opsloop captures: a step's output (read in chunks from its
pipe) and a deployment's log (written through a ``logging.Logger``).

A value is replaced by ``***`` wherever it appears, also when a chunk boundary cuts it in
two: ``StreamMasker`` holds back the end of a chunk while it could be the start of a value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from opsloop.security.secret_references import secret_texts

MASK = "***"


def _pattern(texts: list[str]) -> re.Pattern[bytes] | None:
    # Longest first, so a value that contains another is masked whole.
    if not texts:
        return None
    return re.compile(b"|".join(re.escape(t.encode()) for t in texts))


class StreamMasker:
    """Masks values in a byte stream fed in arbitrary chunks::

    masker = StreamMasker(["hunter2"])
    out = masker.feed(b"pass: hun") + masker.feed(b"ter2\\n") + masker.close()
    assert out == b"pass: ***\\n"
    """

    def __init__(self, values: Iterable[str]) -> None:
        texts = secret_texts(values)
        self._needles = [t.encode() for t in texts]
        self._pattern = _pattern(texts)
        self._longest = max((len(n) for n in self._needles), default=0)
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """What of ``pending + chunk`` can be written now, masked."""
        if self._pattern is None:
            return chunk
        data = self._pattern.sub(MASK.encode(), self._pending + chunk)
        keep = self._partial_tail(data)
        self._pending = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def close(self) -> bytes:
        """The end of the stream: what was held back (it holds no whole value)."""
        rest, self._pending = self._pending, b""
        return rest

    def _partial_tail(self, data: bytes) -> int:
        """The length of the longest end of ``data`` that starts one of the values."""
        window = min(len(data), self._longest - 1)
        for length in range(window, 0, -1):
            tail = data[len(data) - length :]
            if any(needle.startswith(tail) for needle in self._needles):
                return length
        return 0


def mask_text(text: str, values: Iterable[str]) -> str:
    """``text`` with every value replaced by ``***``."""
    for secret in secret_texts(values):
        text = text.replace(secret, MASK)
    return text


class MaskingFilter(logging.Filter):
    """Masks values in each record (message, arguments and traceback) before a handler
    writes it. ``values`` can be replaced as the deployment's secrets change."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        super().__init__()
        self.values = list(values)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.values:
            return True
        record.msg, record.args = mask_text(record.getMessage(), self.values), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.values)
        return True


def mask_logger(logger: logging.Logger, values: Iterable[str]) -> None:
    """Mask ``values`` in what ``logger`` writes from now on (replacing what it masked)."""
    for existing in logger.filters:
        if isinstance(existing, MaskingFilter):
            existing.values = list(values)
            return
    logger.addFilter(MaskingFilter(values))
