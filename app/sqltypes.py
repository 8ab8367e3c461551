"""Column types that behave the same on SQLite and PostgreSQL.

- `UTCDateTime`: timezone-aware UTC datetimes in, timezone-aware UTC datetimes out (SQLite
  stores no offset; naive values are refused rather than guessed).
- `DecimalText`: exact decimals stored as canonical text (SQLite has no exact NUMERIC; the
  service never sums prices in SQL), e.g. ceilings and prices (SPEC §4: never floats).
- `enum_type(E)`: VARCHAR + CHECK (`native_enum=False`), so migrations round-trip on PostgreSQL.
"""

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Constraint names the same on every backend, so migrations can drop and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a UTC offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        number = Decimal(value) if not isinstance(value, Decimal) else value
        if not number.is_finite():
            raise ValueError(f"not a finite decimal: {value!r}")
        return str(number)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def enum_type(enum: type[Enum], name: str, length: int = 32) -> sa.Enum:
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


def json_type() -> Any:
    return sa.JSON()


def _install_naming_convention() -> None:
    from sqlmodel import SQLModel

    SQLModel.metadata.naming_convention = NAMING_CONVENTION


# Every table module imports this module, so the convention is in place before any table.
_install_naming_convention()
