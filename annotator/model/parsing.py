"""Turn pydantic's multi-line errors into our one-line ``ValidationError``."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from annotator.errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)


def one_line(error: pydantic.ValidationError) -> str:
    """Summarise a pydantic error as ``field: reason; field: reason``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse(model: type[M], data: Any, where: str = "") -> M:
    """Validate ``data`` as ``model``; raise our ``ValidationError`` with a one-line message."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        prefix = f"{where}: " if where else ""
        raise ValidationError(f"{prefix}invalid {model.__name__}: {one_line(error)}") from None
