"""Audit payloads of the agreement period with money exact: decimals as strings ("17295.60"),
dates in ISO 8601, enums by value (FastAPI's JSON encoder would turn a Decimal into a float)."""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import SQLModel


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(row: SQLModel | Mapping[str, Any], *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    data = dict(row) if isinstance(row, Mapping) else row.model_dump()
    for name in exclude:
        data.pop(name, None)
    result: dict[str, Any] = plain(data)
    return result
