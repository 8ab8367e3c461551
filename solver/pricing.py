"""The unit comparable price (单位可比价), SPEC §4.

A bid is converted to the group's representative specification (代表品) with the price-ratio
rules (《药品差比价规则》):

    unit_price = pack_price / units_per_pack
    UCP = unit_price / (strength_coefficient ** log2(strength / rep_strength))
                     / (fill_volume_coefficient ** log2(fill_volume / rep_fill_volume))  # liquids
                     / form_ratio(dosage_form, rep_dosage_form)

then rounded half-up to 4 decimal places.  Everything is `Decimal`/`Fraction`: a ratio that is an
exact power of two (same strength, double, half, …) gives an exact power, so a price that lands
exactly on a half at the 5th decimal rounds up as the rule says; any other ratio goes through
`ln`/`exp` at `POWER_PRECISION` significant digits (SPEC asks for at least 28).
"""

from decimal import Decimal, localcontext
from fractions import Fraction

from solver import document
from solver.money import round_ucp
from solver.rules import RuleSet
from solver.units import fill_in_base, strength_in_base, strength_unit_family

POWER_PRECISION = 50


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _exact_power(coefficient: Decimal, ratio: Fraction) -> Fraction | None:
    """coefficient ** log2(ratio) when log2(ratio) is an integer (ratio = 2^k), else None.

    A rational ratio has a rational log2 only when it is a power of two, so this covers every
    case where the result is rational and a tie at the rounding digit is possible at all.
    """
    if not (_is_power_of_two(ratio.numerator) and _is_power_of_two(ratio.denominator)):
        return None
    k = ratio.numerator.bit_length() - ratio.denominator.bit_length()
    return Fraction(coefficient) ** k


def _ln_power(coefficient: Decimal, ratio: Fraction) -> Decimal:
    """coefficient ** log2(ratio) through ln/exp; call inside a context of POWER_PRECISION."""
    ratio_dec = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return (coefficient.ln() * ratio_dec.ln() / Decimal(2).ln()).exp()


def unit_comparable_price(bid: document.Bid, group: document.Group, rules: RuleSet) -> Decimal:
    """单位可比价: the bid's price per minimal unit of the representative spec, 4 places (SPEC §4).

    Raises `ValueError` when the bid cannot be compared with the representative (a strength
    unit of another family, a liquid group without the bid's fill volume); a validated round
    document never does.
    """
    rep = group.representative
    product = bid.product
    if strength_unit_family(product.strength_unit) != strength_unit_family(rep.strength_unit):
        raise ValueError(
            f"bid of {bid.enterprise!r}: strength unit {product.strength_unit!r} cannot be "
            f"compared with the representative's {rep.strength_unit!r}"
        )

    # Coefficient ** log2(ratio) terms: (coefficient, ratio of the bid to the representative).
    terms: list[tuple[Decimal, Fraction]] = [
        (
            rules.strength_coefficient,
            Fraction(strength_in_base(product.strength, product.strength_unit))
            / Fraction(strength_in_base(rep.strength, rep.strength_unit)),
        )
    ]
    if rep.fill_volume is not None:  # a liquid group (SPEC §4: liquids only)
        if rep.fill_unit is None or product.fill_volume is None or product.fill_unit is None:
            raise ValueError(
                f"group {group.id!r} is a liquid: the representative and the bid of "
                f"{bid.enterprise!r} need fill_volume and fill_unit"
            )
        terms.append(
            (
                rules.fill_volume_coefficient,
                Fraction(fill_in_base(product.fill_volume, product.fill_unit))
                / Fraction(fill_in_base(rep.fill_volume, rep.fill_unit)),
            )
        )

    exact = (
        Fraction(bid.pack_price)
        / product.units_per_pack
        / Fraction(rules.form_ratio(product.dosage_form, rep.dosage_form))
    )
    inexact_divisors: list[Decimal] = []
    with localcontext() as ctx:
        ctx.prec = POWER_PRECISION
        for coefficient, ratio in terms:
            power = _exact_power(coefficient, ratio)
            if power is None:
                inexact_divisors.append(_ln_power(coefficient, ratio))
            else:
                exact /= power
        # One division of the exact part: a value exactly on a half terminates and stays exact.
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
        for divisor in inexact_divisors:
            value /= divisor
        return round_ucp(value)
