"""Ground truth posted to an online endpoint's feedback route (the platform API's and the
serving runtime's): a list of ``{correlation_id, ground_truth[, row_index]}`` rows.

``correlation_id`` is the ``x-request-id`` a scoring answer carried (what the data
collector records as ``correlationid``); ``row_index`` is the row's position within that
request (0, the default, for single-row requests).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
)
from pydantic import ValidationError as PydanticValidationError

from opsloop.errors import ValidationError

# One post is written as one Parquet file before it is answered: bounded so that a body
# stays small enough to parse and write while the caller waits. Send more in several posts.
MAX_FEEDBACK_ROWS = 10_000
MAX_CORRELATION_ID = 256


class FeedbackRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    correlation_id: StrictStr = Field(min_length=1, max_length=MAX_CORRELATION_ID)
    # A class label (text, integer, boolean) or a regression target (a number).
    ground_truth: StrictBool | StrictInt | StrictFloat | StrictStr
    row_index: StrictInt = Field(default=0, ge=0)


FeedbackRows = Annotated[list[FeedbackRow], Field(min_length=1, max_length=MAX_FEEDBACK_ROWS)]
_ROWS: TypeAdapter[list[FeedbackRow]] = TypeAdapter(FeedbackRows)


class FeedbackReceipt(BaseModel):
    endpoint: str
    rows: int
    location: str  # the Parquet file the rows were written to


def parse_rows(data: Any) -> list[FeedbackRow]:
    """A decoded JSON body as checked rows; one :class:`ValidationError` naming the field."""
    from opsloop.specs.loader import spec_error

    try:
        rows = _ROWS.validate_python(data)
    except PydanticValidationError as exc:
        raise spec_error(exc.errors()) from None
    check_rows(rows)
    return rows


def check_rows(rows: list[FeedbackRow]) -> None:
    """One kind of ground truth per post, so the stored column has one type that compares
    with the model's predictions: labels as text, or as booleans, or numbers."""
    first = _kind(rows[0].ground_truth)
    for index, row in enumerate(rows):
        kind = _kind(row.ground_truth)
        if kind != first:
            raise ValidationError(
                f"ground truth is {first} in row 0 but {kind} here; send one kind per post",
                field=f"{index}.ground_truth",
            )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "text"
