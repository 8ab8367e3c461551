"""Unit conversion for the price-ratio rules: strengths in µg/mg/g, fill volumes in ml/l."""

from decimal import Decimal


class UnitError(ValueError):
    pass


# factor to the family's base unit (mg for mass, ml for volume)
_STRENGTH: dict[str, Decimal] = {
    "µg": Decimal("0.001"),  # micro sign
    "μg": Decimal("0.001"),  # Greek mu
    "ug": Decimal("0.001"),
    "mcg": Decimal("0.001"),
    "mg": Decimal(1),
    "g": Decimal(1000),
}
_FILL: dict[str, Decimal] = {"ml": Decimal(1), "l": Decimal(1000)}


def _key(unit: str) -> str:
    return unit.strip().lower() if unit.strip() not in ("µg", "μg") else unit.strip()


def strength_unit_family(unit: str) -> str:
    """'mass' for µg/mg/g; any other unit (IU, U, …) is its own family and compares only to itself."""
    if _key(unit) in _STRENGTH:
        return "mass"
    if not unit.strip():
        raise UnitError("strength_unit must not be empty")
    return unit.strip().casefold()  # IU and iu are one unit


def fill_unit_family(unit: str) -> str:
    if _key(unit) not in _FILL:
        raise UnitError(f"unknown fill unit {unit!r}; use ml or l")
    return "volume"


def strength_in_base(value: Decimal, unit: str) -> Decimal:
    factor = _STRENGTH.get(_key(unit))
    return value if factor is None else value * factor


def fill_in_base(value: Decimal, unit: str) -> Decimal:
    factor = _FILL.get(_key(unit))
    if factor is None:
        raise UnitError(f"unknown fill unit {unit!r}; use ml or l")
    return value * factor
