"""Decimal rounding at the boundaries SPEC §4 and §8 name: money to 0.01 yuan, UCP to 0.0001."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UCP_QUANTUM = Decimal("0.0001")


def round_money(value: Decimal) -> Decimal:
    """Half-up to 0.01 yuan."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_ucp(value: Decimal) -> Decimal:
    """Half-up to 4 decimal places (单位可比价)."""
    return value.quantize(UCP_QUANTUM, rounding=ROUND_HALF_UP)


def round_volume(value: Decimal) -> int:
    """Half-up to a whole minimal unit."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_str(value: Decimal) -> str:
    return str(round_money(value))
