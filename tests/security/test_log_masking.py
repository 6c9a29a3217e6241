"""Masking secret values in captured logs: every chunk boundary, several values, values
that contain one another, multi-line values, and log records with tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from opsloop.security.log_masking import MaskingFilter, StreamMasker, mask_logger, mask_text
from opsloop.security.secret_references import referenced_names, substitute

SECRET = "hunter2-s3cr3t"


def _through(masker: StreamMasker, chunks: list[bytes]) -> bytes:
    return b"".join(masker.feed(chunk) for chunk in chunks) + masker.close()


def test_a_value_is_masked_wherever_the_chunks_cut_it() -> None:
    text = f"password={SECRET}; again {SECRET}\n".encode()
    for cut in range(1, len(text)):
        for second in range(cut, len(text)):
            out = _through(StreamMasker([SECRET]), [text[:cut], text[cut:second], text[second:]])
            assert out == b"password=***; again ***\n", (cut, second)


def test_one_byte_at_a_time_and_a_prefix_that_is_no_value_comes_out_whole() -> None:
    text = f"hunter hunter2 {SECRET} hunter2-s".encode()
    out = _through(StreamMasker([SECRET]), [bytes([b]) for b in text])
    assert out == b"hunter hunter2 *** hunter2-s"


def test_output_that_cannot_start_a_value_is_not_held_back() -> None:
    masker = StreamMasker([SECRET])
    assert masker.feed(b"progress 10%\r") == b"progress 10%\r"
    assert masker.feed(b"ends with hun") == b"ends with "  # could be the value's start
    assert masker.feed(b"gry\n") == b"hungry\n"


def test_several_values_the_longer_first_and_multi_line_values_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nAAAAbbbbCCCC\n-----END KEY-----"
    masker = StreamMasker(["abc", "abcdef", key])
    out = _through(masker, [b"abcdef abc ", key.encode(), b" line: AAAAbbbbCCCC\r\n"])
    assert out == b"*** *** *** line: ***\r\n"
    assert mask_text("x abcdef y", ["abc", "abcdef"]) == "x *** y"


def test_no_values_pass_everything_through() -> None:
    masker = StreamMasker(["", ""])
    assert masker.feed(b"anything") == b"anything" and masker.close() == b""


def test_a_log_record_is_masked_in_its_message_arguments_and_traceback() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.masking")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        mask_logger(logger, [SECRET])
        logger.error("request failed: %r", RuntimeError(SECRET))
        try:
            raise ValueError(f"bad {SECRET}")
        except ValueError:
            logger.exception("init failed with %s", SECRET)
        mask_logger(logger, ["other-value"])  # a new revision: its values replace the old
        logger.error("other-value and %s", SECRET)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert written.count(SECRET) == 1  # only in the last line, when no longer masked
    assert "request failed: RuntimeError('***')" in written
    assert "ValueError: bad ***" in written and "init failed with ***" in written
    assert written.rstrip().endswith(f"*** and {SECRET}")
    assert len([f for f in logger.filters if isinstance(f, MaskingFilter)]) == 1


def test_references_are_found_and_substituted_as_written() -> None:
    text = "a ${{secrets.A}} b ${{ secrets.B_2 }} ${{secrets.A}} ${{inputs.x}}"
    assert referenced_names(text) == ["A", "B_2"]
    assert substitute(text, {"A": "1 2", "B_2": "$HOME"}) == "a 1 2 b $HOME 1 2 ${{inputs.x}}"
    with pytest.raises(KeyError):
        substitute("${{secrets.C}}", {})
