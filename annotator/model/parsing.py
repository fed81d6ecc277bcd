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
        message = reason(item)
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def reason(item: Any) -> str:
    """One of pydantic's errors in our words: a choice names the choices and what was given
    ("takes done or all, not 'maybe'", as the options checked by hand say it)."""
    if item["type"] == "literal_error":
        expected = str(item.get("ctx", {}).get("expected", "")).replace("'", "")
        return f"takes {expected}, not {item['input']!r}"
    return str(item["msg"]).removeprefix("Value error, ")


def parse(model: type[M], data: Any, where: str = "") -> M:
    """Validate ``data`` as ``model``; raise our ``ValidationError`` with a one-line message."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        prefix = f"{where}: " if where else ""
        raise ValidationError(f"{prefix}invalid {model.__name__}: {one_line(error)}") from None
